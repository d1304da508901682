//! Per-folder copy checkpoints and the leases that fence them.
//!
//! A folder is copied by one worker at a time. A worker first *acquires* the folder, which bumps a fencing
//! token; every later write carries that token and succeeds only if it is still the current one. A worker whose
//! lease ran out and was taken over by another therefore cannot advance the checkpoint any more, even if it
//! keeps running (Kleppmann's fencing tokens).

use super::{JobId, Uid, UidValidity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies one folder of one mailbox of one job.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FolderKey {
    pub job: JobId,
    /// The destination address of the mailbox.
    pub mailbox: String,
    /// The source folder name, decoded (UTF-8).
    pub folder: String,
}

impl fmt::Display for FolderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.job, self.mailbox, self.folder)
    }
}

/// A batch that was being appended when the checkpoint was written: on resume, destination messages from
/// `dest_uid_next` on may already hold some of these source UIDs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenBatch {
    /// The destination folder's UIDNEXT before the batch was sent.
    pub dest_uid_next: Uid,
    /// First and last source UIDs of the batch.
    pub first: Uid,
    pub last: Uid,
}

/// How far a folder has been copied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The source folder's UIDVALIDITY the UIDs below refer to.
    pub uid_validity: Option<UidValidity>,
    /// Every source UID up to and including this one is on the destination.
    pub last_uid: Option<Uid>,
    /// A batch in flight when this was written.
    pub open_batch: Option<OpenBatch>,
    /// Messages copied and skipped so far.
    pub copied: u64,
    pub skipped: u64,
    /// From a Gmail source: messages this folder left to other folders (their labels' own), and of those (in
    /// the archive) the ones carrying several labels. Counted as the checkpoint passes them, so exactly once.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub elsewhere: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub several_labels: u64,
    /// The folder is fully copied for the current pass.
    pub done: bool,
    /// What the batches since the ledger was last written stored (an encoded `engine::ledger::Ledger`, base64):
    /// saved with the checkpoint, so the ledger loses nothing to a crash.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ledger_tail: String,
    /// The source folder's HIGHESTMODSEQ when the flags in the ledger were read (RFC 7162), if it reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modseq: Option<u64>,
    /// A pass after the one that finished this folder has begun: its flags are still to be compared.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flag_sync_due: bool,
}

/// A worker's hold on a folder: the fencing token that every write must carry, and until when it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub fence: u64,
    pub owner: String,
    pub expires_at: DateTime<Utc>,
}

/// What acquiring a folder gives: the lease and the checkpoint as last saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub lease: Lease,
    pub checkpoint: Checkpoint,
}

impl Checkpoint {
    /// Messages of the source folder that are meant not to be in the destination folder: skipped, and (from
    /// Gmail) left to the folders of their labels. What the count check after a copy allows for.
    pub fn absent(&self) -> u64 {
        self.skipped + self.elsewhere
    }

    /// A pass after the one that finished the folder has come: its flags are due for comparison.
    pub fn flags_due(&self) -> bool {
        self.done || self.flag_sync_due
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
