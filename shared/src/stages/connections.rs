//! Connection caps for copy tasks: before a task logs in, it takes a slot of its mailbox (at most
//! `per_mailbox` pairs of connections: one to the source, one to the destination, both as that user) and a slot
//! of its source server across the job (at most `per_source_host` connections). A task that finds either full is
//! deferred, never failed. Slots are leases ([`crate::ports::Slots`]), so a task that dies frees its slots when
//! the lease ends; the embedded runner frees a dead runner's slots as soon as it finds it dead.
//!
//! Why caps in the store and not the queue's concurrency: servers limit connections per user (Dovecot 10 per
//! user and IP, Gmail 15 per account including the user's own clients) and often per client address; on AWS
//! many copy functions may pick folders of one mailbox or one server at once.

use super::StageError;
use super::holds::{HasSettings, HasSlots};
use crate::model::MailboxRecord;
use std::time::Duration;
use tokio::time::Instant;

/// How many connections a job may hold, and which folders share the mailbox task's connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    /// Pairs of connections (source and destination) one mailbox may have open at once.
    pub per_mailbox: u32,
    /// Connections to one source server across all mailboxes of a job.
    pub per_source_host: u32,
    /// A folder with at most this many messages to copy is copied by the mailbox task over the connections it
    /// planned with (one login pair for all of a mailbox's small folders); a bigger one gets its own task, so
    /// big folders of one mailbox copy in parallel.
    pub small_folder: u32,
}

impl Default for Connections {
    /// 4 pairs per mailbox: well under Dovecot's 10 and Gmail's 15, and leaving room for the user's own clients.
    fn default() -> Self {
        Connections { per_mailbox: 4, per_source_host: 20, small_folder: 2000 }
    }
}

/// What the slots taken by lease owner `owner` (`CopySettings::owner`) are held as start with: a runner that
/// finds another one dead frees them by this prefix.
pub fn holder_prefix(owner: &str) -> String {
    format!("{owner}#")
}

/// Slots held by one task; give them back with [`release`].
#[must_use = "slots must be given back"]
pub(crate) struct Held {
    holder: String,
    scopes: Vec<String>,
}

/// Take a slot of the mailbox and one of its source server for this task, until the task's deadline (plus a
/// margin) or 15 minutes. `None`: one of them is full; defer the task.
pub(crate) async fn take(
    deps: &(impl HasSlots + HasSettings),
    m: &MailboxRecord,
    deadline: Option<Instant>,
) -> Result<Option<Held>, StageError> {
    let (job, mailbox, source_host) = (&m.job, &m.address, m.details.host.as_str());
    let mut caps = deps.settings().connections;
    // A provider's preset may allow fewer per mailbox (the user's own clients count against its limit).
    if let Some(p) = super::presets::of(source_host, m.details.auth) {
        caps.per_mailbox = caps.per_mailbox.min(p.per_mailbox);
    }
    let ttl = deadline.map_or(Duration::from_secs(900), |d| d.saturating_duration_since(Instant::now()))
        + Duration::from_secs(60);
    let holder = format!("{}{}", holder_prefix(&deps.settings().copy.owner), uuid::Uuid::new_v4().simple());
    let wanted = [
        (format!("{job}/mailbox/{mailbox}"), caps.per_mailbox),
        (format!("{job}/host/{source_host}"), caps.per_source_host),
    ];
    let mut held = Held { holder, scopes: Vec::new() };
    for (scope, limit) in wanted {
        let got = deps.slots().take(&scope, &held.holder, limit.max(1), ttl).await;
        match got {
            Ok(true) => held.scopes.push(scope),
            Ok(false) => {
                tracing::info!(scope = %scope, limit, "connection cap reached");
                release(deps, held).await;
                return Ok(None);
            }
            Err(e) => {
                release(deps, held).await;
                return Err(StageError::port("take a connection slot")(e));
            }
        }
    }
    Ok(Some(held))
}

/// Give the slots back. A failure is only logged: the lease ends by itself.
pub(crate) async fn release(deps: &impl HasSlots, held: Held) {
    for scope in &held.scopes {
        if let Err(e) = deps.slots().give_back(scope, &held.holder).await {
            tracing::warn!(scope = %scope, error = %e, "cannot give a connection slot back; its lease will end");
        }
    }
}
