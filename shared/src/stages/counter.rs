//! The names of the counters and events the stages keep through `ports::Counters`, in one place: a name typed
//! wrong in a literal would silently start a counter nobody reads. Scopes: a pass (`{job}/{pass}`), a mailbox in
//! a pass (`{job}/{pass}/{address}`), a mailbox's folder counts (`…/folders`), the pass's throughput (`…/rate`),
//! a job's later passes and catch-ups (`{job}/extra`, `{job}/catch-up`).

// Counters.
/// Mailboxes in a pass (a pass's scope), or ready to copy.
pub(crate) const MAILBOXES: &str = "mailboxes";
/// Mailboxes (a pass) or folders (a mailbox) finished.
pub(crate) const DONE: &str = "done";
/// Mailbox tasks sent so far (a pass), or runs of a mailbox begun (a mailbox).
pub(crate) const STARTED: &str = "started";
pub(crate) const COPIED: &str = "copied";
pub(crate) const BYTES: &str = "bytes";
pub(crate) const SKIPPED: &str = "skipped";
pub(crate) const FAILED: &str = "failed";
/// Folders a mailbox's pass planned.
pub(crate) const FOLDERS: &str = "folders";
/// Messages the source held when the pass planned the mailbox.
pub(crate) const SOURCE_MESSAGES: &str = "source_messages";
pub(crate) const STARTED_MS: &str = "started_ms";
pub(crate) const FINISHED_MS: &str = "finished_ms";
/// Later passes or catch-ups taken.
pub(crate) const ROUNDS: &str = "rounds";

// Events (recorded once: `add_once`, `seen`).
/// A pass's first mailbox tasks were sent.
pub(crate) const FANOUT: &str = "fanout";
/// Every mailbox task of a pass was sent.
pub(crate) const FANNED_OUT: &str = "fanned_out";
/// A pass, or a mailbox's pass, is over.
pub(crate) const COMPLETE: &str = "complete";
/// A mailbox's folders were planned for the pass.
pub(crate) const PLANNED: &str = "planned";
/// The pass's email was sent.
pub(crate) const NOTIFIED: &str = "notified";
/// The catch-ups ended (the final pass was asked for).
pub(crate) const ENDED: &str = "ended";
