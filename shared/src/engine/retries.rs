//! One folder copy until it is done, with the engine's one policy for what comes in the way. A failure that is
//! not a fault of the work is waited out without counting as an attempt: a server refusing a session for too many
//! connections, a provider throttling (its suggested wait, when short enough to wait here), a session that ended
//! with its access token (signed in again at once with a new one). Other retryable failures are tried again
//! from the checkpoint on fresh connections, with exponential back-off, up to `cfg.attempts` times.

use super::EngineError;
use super::folder::{FolderOutcome, FolderReport, FolderTask, Progress, copy_folder};
use super::sessions::{MailboxSync, connect};
use crate::imap::Session;
use crate::imap::plan::FolderPlan;
use crate::model::FolderKey;
use crate::ports::Checkpoints;
use std::time::Duration;
use tokio::time::Instant;

/// How many times one connection waits for a crowded server (about 8 minutes in all) before giving up.
const CROWDED_WAITS: u32 = 55;
/// The longest throttling wait spent here; a longer one goes back to the caller (the task is sent again for
/// then: on Lambda that is cheaper than sleeping).
const WAIT_HERE: Duration = Duration::from_secs(10);
/// How many throttling waits one call spends here before handing the wait to the caller.
const THROTTLED_WAITS: u32 = 20;
/// How many sessions in a row may end with an expired token before it counts as a failure.
const EXPIRED_SIGN_INS: u32 = 5;

/// The waits a call has spent, by kind.
#[derive(Default)]
struct Waits {
    crowded: u32,
    throttled: u32,
    expired: u32,
}

/// Copy one folder on `conns` (logging in when `None`); see the module docs for what is retried. `copied`
/// counts what every attempt of this call copied.
///
/// A server that refuses the login for too many connections: when `give_way()` says another connection pair
/// of the mailbox is at work, the error is returned at once (the caller hands the folder to it).
pub(super) async fn copy_with_retries(
    cfg: &MailboxSync,
    folder: &FolderPlan,
    checkpoints: &dyn Checkpoints,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
    conns: &mut Option<(Session, Session)>,
    give_way: &(dyn Fn() -> bool + Send + Sync),
) -> Result<FolderReport, EngineError> {
    let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: folder.path.clone() };
    // What earlier runs copied, so a run whose first attempt failed half-way still reports all it copied.
    let before = checkpoints.load(&key).await.ok().flatten().map_or(0, |c| c.copied);
    let (mut attempt, mut waits) = (0, Waits::default());
    loop {
        let result = async {
            if conns.is_none() {
                *conns = Some(connect(cfg).await?);
            }
            let (src, dst) = conns.as_mut().expect("connected");
            let task = FolderTask { key: &key, plan: folder, ledgers: cfg.ledgers.as_ref() };
            copy_folder(src, dst, checkpoints, &task, &cfg.settings, progress).await
        }
        .await;
        let e = match result {
            // Stopped because a sign-in's token ends soon (not a deadline or a stop): sign in again, go on.
            Ok(report)
                if report.outcome == FolderOutcome::MoreToDo
                    && !cfg.settings.must_stop()
                    && !cfg.settings.spent(report.bytes) =>
            {
                tracing::info!(folder = %folder.path, copied = report.copied, "signing in again with a fresh token");
                *conns = None;
                continue;
            }
            Ok(mut report) => {
                report.copied = report.copied.max(report.total_copied.saturating_sub(before));
                return Ok(report);
            }
            Err(e) => e,
        };
        if e.is_sign_in_expired() && waits.expired < EXPIRED_SIGN_INS {
            let sessions = conns.take();
            let used: Vec<_> = sessions.iter().flat_map(|(s, d)| [s.signed_in_with(), d.signed_in_with()]).collect();
            drop(sessions);
            for (source, token) in used.into_iter().flatten() {
                source.rejected(&token).await;
            }
            waits.expired += 1;
            tracing::info!(
                folder = %folder.path, error = %e, "the session ended with its token; signing in again with a new one"
            );
            continue;
        }
        *conns = None;
        match wait_before_next(cfg, &e, &mut waits, give_way) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => {
                attempt += 1;
                let fatal = !e.is_retryable() || e.is_fenced() || e.is_too_many_connections();
                if fatal || e.throttled_for().is_some() || attempt >= cfg.attempts || cfg.settings.must_stop() {
                    return Err(e);
                }
                let wait = Duration::from_millis(200 * 2u64.pow(attempt.min(6)));
                tracing::warn!(
                    folder = %folder.path, attempt, error = %e, wait_ms = wait.as_millis() as u64,
                    "folder copy failed; retrying from the checkpoint"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A wait that is not a failed attempt: a crowded server (unless another pair of the mailbox is at work, or the
/// waits ran out), or a provider's throttling short enough to wait here before the deadline. `None`: treat `e`
/// as a failure (a throttling wait then goes back to the caller).
fn wait_before_next(
    cfg: &MailboxSync,
    e: &EngineError,
    waits: &mut Waits,
    give_way: &(dyn Fn() -> bool + Send + Sync),
) -> Option<Duration> {
    if cfg.settings.must_stop() {
        return None;
    }
    if e.is_too_many_connections() && !give_way() && waits.crowded < CROWDED_WAITS {
        waits.crowded += 1;
        let wait = Duration::from_secs(u64::from(waits.crowded).min(10));
        tracing::info!(wait_s = wait.as_secs(), error = %e, "server crowded; waiting for a connection");
        return Some(wait);
    }
    let wait = e.throttled_for()?;
    let before_deadline = cfg.settings.deadline.is_none_or(|d| Instant::now() + wait < d);
    if wait > WAIT_HERE || !before_deadline || waits.throttled >= THROTTLED_WAITS {
        return None;
    }
    waits.throttled += 1;
    tracing::info!(
        wait_ms = wait.as_millis() as u64, error = %e,
        "throttled by the server; waiting, then going on from the checkpoint"
    );
    Some(wait)
}
