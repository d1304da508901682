//! The copy engine: copies one folder at a time from a source session to a destination session, checkpointing
//! through the `Checkpoints` port so that a crash at any point resumes with nothing lost and nothing duplicated.
//!
//! ## The no-duplicate protocol
//! Each folder is copied in batches. Before a batch is sent, the checkpoint records an *open batch*: the
//! destination folder's UIDNEXT and the batch's first and last source UIDs. After every message of the batch is
//! stored, the checkpoint advances `last_uid` to the batch's last UID and clears the open batch. Both writes carry
//! the folder's fencing token, so a worker that lost its lease writes nothing.
//!
//! On resume with an open batch, the destination messages with UID ≥ the recorded UIDNEXT are fingerprinted
//! (SHA-256 of the whole message), and the source messages of the batch are checked against that multiset: one
//! already there is skipped (and taken out of the multiset, so two identical source messages still become two
//! destination messages). A crash before the open batch is written leaves nothing on the destination; a crash
//! after `last_uid` advanced leaves nothing to redo. When UIDVALIDITY changed, every UID learnt before is void, so
//! the whole folder is compared the same way. Either way nothing is skipped and nothing is stored twice.

mod copy_settings;
mod dedupe;
mod error;
mod flag_pass;
mod folder;
pub mod headers;
pub mod ledger;
mod mailbox;
mod placed;
mod renames;
mod report;
mod resume;
mod retries;
mod sessions;
mod source;
mod stop;
mod survey;

pub use error::{EngineError, Side};
pub use folder::Progress;
pub use folder::{CopySettings, FolderOutcome, FolderReport, FolderTask, SkippedMessage, copy_folder};
pub use mailbox::{MailboxReport, MailboxSync, copy_one_folder, plan_mailbox, sync_mailbox};
pub use renames::Renamed;
pub use stop::Stop;
pub use survey::{OpenedMailbox, Pending, copy_over, open_mailbox};
