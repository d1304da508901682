//! The resume step of a folder copy: from the checkpoint, the source's UIDVALIDITY now and the destination's
//! count, decide which destination messages may already be copies of source messages ([`ResumeWindow`]), wait
//! for a dead worker's late commit, and fingerprint those messages so none is stored twice.

use super::dedupe::{Present, destination_from};
use crate::imap::{ImapError, Session};
use crate::model::{Checkpoint, OpenBatch, Uid, UidValidity};
use std::time::Duration;
use tokio::time::Instant;

/// Destination messages from UID `dest_from` on may be copies of source messages up to UID `until`. The window
/// stays in force (and is written into every open batch) until the checkpoint has passed `until`, so a second
/// crash while resuming still compares against everything the first run may have stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResumeWindow {
    pub dest_from: Uid,
    pub until: Uid,
}

impl ResumeWindow {
    /// The whole folder: every destination message may be a copy of any source message.
    fn whole() -> ResumeWindow {
        ResumeWindow { dest_from: Uid::FIRST, until: Uid::new(u32::MAX).expect("non-zero") }
    }

    /// Decide the window for a copy about to start. A UIDVALIDITY change voids every UID learnt before: `cp` is
    /// reset (its counts kept) and the whole folder is compared. An interrupted batch is compared from the
    /// UIDNEXT it recorded. A first copy into a folder that already holds mail (an earlier run whose state was
    /// lost, a manual copy) compares everything, so what is there is not copied again.
    pub fn decide(cp: &mut Checkpoint, validity: Option<UidValidity>, dest_messages: u32, path: &str) -> Option<Self> {
        if cp.uid_validity.is_some() && cp.uid_validity != validity {
            tracing::warn!(
                folder = %path, was = ?cp.uid_validity, now = ?validity,
                "uidvalidity changed: comparing the whole folder"
            );
            *cp = Checkpoint { copied: cp.copied, skipped: cp.skipped, ..Default::default() };
            Some(Self::whole())
        } else if let Some(open) = &cp.open_batch {
            tracing::info!(folder = %path, dest_from = open.dest_uid_next.get(), "resuming an interrupted batch");
            Some(ResumeWindow { dest_from: open.dest_uid_next, until: open.last })
        } else if cp.last_uid.is_none() && dest_messages > 0 {
            tracing::info!(
                folder = %path, "destination folder is not empty: comparing by content before the first copy"
            );
            Some(Self::whole())
        } else {
            None
        }
    }

    /// The window while it is in force: until the checkpoint has passed its end.
    pub fn in_force(window: Option<Self>, cp: &Checkpoint) -> Option<Self> {
        window.filter(|w| cp.last_uid.is_none_or(|done| done < w.until))
    }

    /// The open batch to record before sending source UIDs `first..=last` inside the window: from the window's
    /// start, and at least to its end.
    pub fn open_batch(&self, first: Uid, last: Uid) -> OpenBatch {
        OpenBatch { dest_uid_next: self.dest_from, first, last: self.until.max(last) }
    }

    /// The destination messages of the window, fingerprinted. After a crash (`interrupted`), the dead worker's
    /// last APPEND may still be committing: wait until the folder's UIDNEXT holds still first.
    pub async fn present(&self, dst: &mut Session, wire: &str, interrupted: bool) -> Result<Present, ImapError> {
        if interrupted {
            settle(dst, wire).await?;
        }
        destination_from(dst, wire, self.dest_from).await
    }
}

/// Wait until the destination folder's UIDNEXT holds still for a moment (at most a few seconds), so a late commit
/// of a dead worker's APPEND (the server had every byte) is seen and not copied again.
async fn settle(dst: &mut Session, wire: &str) -> Result<(), ImapError> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = dst.status(wire).await?.uid_next;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = dst.status(wire).await?.uid_next;
        if now == last || Instant::now() >= deadline {
            return Ok(());
        }
        last = now;
    }
}
