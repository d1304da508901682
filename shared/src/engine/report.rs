//! What a folder copy reports: its outcome, counts, skipped messages (with what lets a person find them) and
//! progress while it runs; and the end-of-folder count check.

use crate::imap::MessageMeta;

/// A message the destination would not take, with the server's words, and what lets a person find it: its
/// INTERNALDATE (as the source gave it; empty when it gave none) and Subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedMessage {
    pub folder: String,
    pub uid: crate::model::Uid,
    pub size: u64,
    pub date: String,
    pub subject: String,
    pub reason: String,
}

/// How a folder copy ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderOutcome {
    /// Everything is on the destination (skipped messages, if any, are listed).
    Done,
    /// Stopped at the deadline with a checkpoint; run again to continue.
    MoreToDo,
    /// Finished, but the destination holds fewer messages than the source minus the skipped ones.
    Differs { missing: u64 },
}

/// What one run of a folder copy did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderReport {
    pub path: String,
    pub copied: u64,
    /// Messages copied into this folder by every run so far (from the checkpoint).
    pub total_copied: u64,
    pub bytes: u64,
    /// Messages found already on the destination while resuming (not copied again).
    pub already_present: u64,
    pub skipped: Vec<SkippedMessage>,
    /// Flags left out because the source sent something that is not a valid flag (see the log for which).
    pub dropped_flags: u64,
    /// Messages whose INTERNALDATE from the source was not a date (copied with the arrival time instead).
    pub bad_dates: u64,
    /// From a Gmail source, by every run so far: messages left to other folders (each is in its labels'
    /// folders), and (in the archive) messages carrying several labels.
    pub elsewhere: u64,
    pub several_labels: u64,
    /// A later pass: the source's flag changes carried to the destination, and messages expunged on the source.
    pub flags: super::flag_pass::FlagChanges,
    /// Counts at the end: source EXISTS, destination MESSAGES.
    pub source_messages: u32,
    pub dest_messages: u32,
    pub outcome: FolderOutcome,
}

/// Progress of a running folder copy, for bars and status.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub path: &'a str,
    pub done: u64,
    pub total: u64,
    pub bytes: u64,
}

/// Flags the source sent that cannot be written back, and a date that is not one, are left out of the copy
/// (never passed on as syntax) and counted in the report; the log names the folder and UID.
pub(super) fn note_unsafe_metadata(path: &str, meta: &MessageMeta, report: &mut FolderReport) {
    for raw in &meta.dropped_flags {
        tracing::warn!(folder = %path, uid = meta.uid.get(), flag = ?raw, "source flag is not a valid flag; left out");
    }
    report.dropped_flags += meta.dropped_flags.len() as u64;
    if meta.internal_date.is_none() {
        tracing::warn!(folder = %path, uid = meta.uid.get(), "source sent no valid INTERNALDATE; arrival time used");
        report.bad_dates += 1;
    }
}

/// The end-of-folder check: the destination must hold at least the source's messages minus those meant to be
/// absent (`Checkpoint::absent`: skipped, or left to other folders); more is fine: merged folders, mail delivered
/// to the new server after the MX change.
pub(crate) fn compare_counts(source: u32, dest: u32, absent: u64) -> FolderOutcome {
    let expected = u64::from(source).saturating_sub(absent);
    if u64::from(dest) < expected {
        FolderOutcome::Differs { missing: expected - u64::from(dest) }
    } else {
        FolderOutcome::Done
    }
}

pub(super) fn skip(folder: &str, meta: &MessageMeta, body: &[u8], reason: String) -> SkippedMessage {
    SkippedMessage {
        folder: folder.to_string(),
        uid: meta.uid,
        size: meta.size,
        date: meta.internal_date.map(|d| d.to_string()).unwrap_or_default(),
        subject: super::headers::subject(body),
        // The destination's words go into reports and onto terminals as text, never as control sequences.
        reason: crate::text::printable(&reason, 1000),
    }
}
