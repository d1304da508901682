//! One mailbox's copy as configured (`MailboxSync`: both servers and logins, filters, settings) and its two
//! sessions: logging in to both sides, listing and planning the folders, creating what the destination lacks.
//! Used by the whole-mailbox sync (`mailbox`), the survey that opens a mailbox task (`survey`) and the folder
//! retries (`retries`), none of which use each other for it.

use super::EngineError;
use super::copy_settings::CopySettings;
use super::error::Side;
use crate::imap::plan::{Filters, Listing, Plan, plan};
use crate::imap::{self, Endpoint, ImapError, Login, Session};
use crate::model::JobId;

/// Everything needed to sync one mailbox.
#[derive(Clone, Debug)]
pub struct MailboxSync {
    pub source: Endpoint,
    pub source_login: Login,
    pub dest: Endpoint,
    pub dest_login: Login,
    /// Checkpoint keys: job and mailbox (the destination address).
    pub job: JobId,
    pub mailbox: String,
    pub filters: Filters,
    /// Folders copied at once (each over its own pair of connections).
    pub parallel: usize,
    /// Attempts per folder for retryable errors.
    pub attempts: u32,
    pub settings: CopySettings,
    /// Where each folder's ledger (what every message was written with) is kept, so later passes carry flag
    /// changes; `None`: no ledger, later passes copy new messages only.
    pub ledgers: Option<super::ledger::LedgerStore>,
    /// The source folders (paths) earlier passes planned: one missing now whose UIDVALIDITY turns up under a new
    /// name was renamed (see `renames`). Empty: renames are not looked for.
    pub known_folders: Vec<String>,
}

/// Log in to both sides at once; a failure names its side, server and user.
pub(super) async fn connect(cfg: &MailboxSync) -> Result<(Session, Session), EngineError> {
    let (src, dst) = tokio::join!(imap::open(&cfg.source, &cfg.source_login), imap::open(&cfg.dest, &cfg.dest_login));
    Ok((src.map_err(on(cfg, Side::Source))?, dst.map_err(on(cfg, Side::Destination))?))
}

/// Attribute an error to one side of `cfg`.
fn on(cfg: &MailboxSync, side: Side) -> impl Fn(ImapError) -> EngineError + '_ {
    move |source| {
        let (ep, login) = match side {
            Side::Source => (&cfg.source, &cfg.source_login),
            Side::Destination => (&cfg.dest, &cfg.dest_login),
        };
        let server = format!("{}:{}", ep.host, ep.port);
        EngineError::Server { side, server, user: login.user().to_string(), source }
    }
}

/// A mailbox-level failure (not tied to one folder).
pub(super) fn mailbox_error(source: ImapError) -> EngineError {
    EngineError::Imap { folder: String::new(), source }
}

/// Connect, list both sides and plan; the connections and both listings (source, destination) are handed back.
pub(super) async fn open_and_plan(
    cfg: &MailboxSync,
) -> Result<(Session, Session, (Listing, Listing), Plan), EngineError> {
    let (mut src, mut dst) = connect(cfg).await?;
    let (source_listing, dest_listing) = tokio::join!(src.listing(), dst.listing());
    let source_listing = source_listing.map_err(on(cfg, Side::Source))?;
    let dest_listing = dest_listing.map_err(on(cfg, Side::Destination))?;
    let p = plan(&source_listing, &dest_listing, &cfg.filters);
    Ok((src, dst, (source_listing, dest_listing), p))
}

/// Create the destination folders the plan needs (parents first) and subscribe as the source was (folders the
/// destination already subscribes are left alone).
pub(super) async fn apply(dst: &mut Session, p: &Plan, dest: &Listing) -> Result<(), ImapError> {
    // Two round trips in all, however many folders: the CREATEs pipelined (parents first, in order), then the
    // SUBSCRIBEs.
    let mut creates: Vec<String> = p.parents.iter().map(|(_, wire)| wire.clone()).collect();
    creates.extend(p.folders.iter().filter(|f| f.create).map(|f| f.dest_wire.clone()));
    dst.create_many(&creates).await?;
    let subscribes: Vec<String> = p
        .folders
        .iter()
        .filter(|f| f.subscribe && !dest.subscribed.contains(&f.dest))
        .map(|f| f.dest_wire.clone())
        .collect();
    dst.subscribe_many(&subscribes).await
}
