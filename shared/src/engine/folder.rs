//! Copying one folder (see the protocol in the module docs): acquire the folder, resume or re-scan as the
//! checkpoint says, list only UIDs above the checkpoint, then batches of fetch → APPEND → checkpoint until done
//! or the deadline, and finally compare counts on both sides.

use super::EngineError;
use super::dedupe::{Present, destination_from, fingerprint};
use super::source::{Batch, plan_batches, produce};
use crate::imap::plan::FolderPlan;
use crate::imap::{Appended, ImapError, OutMessage, Session};
use crate::model::{Checkpoint, FolderKey, OpenBatch, Uid};
use crate::ports::{Checkpoints, PortError};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Tuning and identity for a copy.
#[derive(Clone, Debug)]
pub struct CopySettings {
    /// Who is copying (the lease owner).
    pub owner: String,
    /// Lease length; renewed every batch.
    pub lease_ttl: Duration,
    /// Bytes per batch (a larger message travels alone).
    pub batch_bytes: u64,
    /// Messages per batch.
    pub batch_max: usize,
    /// Stop cleanly (checkpoint saved, "more to do") once this passes.
    pub deadline: Option<Instant>,
    /// Stop the same way when this is raised (an interrupted command).
    pub stop: super::Stop,
}

impl CopySettings {
    /// Whether a copy must stop at this batch boundary: the deadline passed or a stop was asked for.
    pub fn must_stop(&self) -> bool {
        self.stop.requested() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

impl Default for CopySettings {
    fn default() -> Self {
        CopySettings {
            owner: "mailferry".into(),
            lease_ttl: Duration::from_secs(120),
            batch_bytes: 4 << 20,
            batch_max: 250,
            deadline: None,
            stop: super::Stop::default(),
        }
    }
}

/// A message the destination would not take, with the server's words, and what lets a person find it: its
/// INTERNALDATE (as the source gave it; empty when it gave none) and Subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedMessage {
    pub folder: String,
    pub uid: u32,
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
fn note_unsafe_metadata(path: &str, meta: &crate::imap::MessageMeta, report: &mut FolderReport) {
    for raw in &meta.dropped_flags {
        tracing::warn!(folder = %path, uid = meta.uid.get(), flag = ?raw, "source flag is not a valid flag; left out");
    }
    report.dropped_flags += meta.dropped_flags.len() as u64;
    if meta.internal_date.is_none() {
        tracing::warn!(folder = %path, uid = meta.uid.get(), "source sent no valid INTERNALDATE; arrival time used");
        report.bad_dates += 1;
    }
}

/// One folder to copy: its checkpoint key and where it goes.
#[derive(Clone, Copy, Debug)]
pub struct FolderTask<'a> {
    pub key: &'a FolderKey,
    pub plan: &'a FolderPlan,
}

/// The first UID after `last` (UID 1 when nothing was copied; `None` when `last` is the highest UID there is).
fn next_uid(last: Option<Uid>) -> Option<Uid> {
    last.map_or(Some(1), |u| u.get().checked_add(1)).and_then(Uid::new)
}

/// Copy one planned folder. `src` and `dst` are logged-in sessions; the source is opened read-only.
pub async fn copy_folder(
    src: &mut Session,
    dst: &mut Session,
    checkpoints: &dyn Checkpoints,
    task: &FolderTask<'_>,
    settings: &CopySettings,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<FolderReport, EngineError> {
    let (key, plan) = (task.key, task.plan);
    let path = plan.path.clone();
    let imap = |source: ImapError| EngineError::Imap { folder: plan.path.clone(), source };
    let port = |source: PortError| EngineError::Checkpoint { folder: plan.path.clone(), source };
    let claim = checkpoints.acquire(key, &settings.owner, settings.lease_ttl).await.map_err(port)?;
    let fence = claim.lease.fence;
    let mut lease_until = Instant::now() + settings.lease_ttl;
    let mut cp = claim.checkpoint;
    // The source's metadata from the checkpoint on is fetched pipelined behind EXAMINE (one round trip); a
    // UIDVALIDITY change found below asks again from UID 1.
    let fetched_from = next_uid(cp.last_uid);
    let opening = async {
        match fetched_from {
            Some(from) => src.examine_with_metadata(&plan.source_wire, from).await,
            None => src.open(&plan.source_wire, true).await.map(|sel| (sel, Vec::new())),
        }
    };
    let (opened, dest_status) = tokio::join!(opening, dst.status(&plan.dest_wire));
    let ((sel, mut metas), dest_status) = (opened.map_err(imap)?, dest_status.map_err(imap)?);
    let validity = sel.uid_validity.and_then(crate::model::UidValidity::new);

    // Resume window: destination messages from UID `.0` on may be copies of source messages up to UID `.1`.
    // It stays in force (and is written into every open batch) until the checkpoint has passed `.1`, so a
    // second crash while resuming still compares against everything the first run may have stored.
    let whole = Uid::new(u32::MAX).expect("non-zero");
    let window: Option<(u32, Uid)> = if cp.uid_validity.is_some() && cp.uid_validity != validity {
        tracing::warn!(folder = %path, was = ?cp.uid_validity, now = ?validity, "uidvalidity changed: comparing the whole folder");
        cp = Checkpoint { copied: cp.copied, skipped: cp.skipped, ..Default::default() };
        Some((1, whole))
    } else if let Some(open) = &cp.open_batch {
        tracing::info!(folder = %path, dest_from = open.dest_uid_next, "resuming an interrupted batch");
        Some((open.dest_uid_next, open.last))
    } else if cp.last_uid.is_none() && dest_status.messages.unwrap_or(0) > 0 {
        // A first copy into a folder that already holds mail (an earlier run whose state was lost, a manual
        // copy): whatever is there already is not copied again.
        tracing::info!(folder = %path, "destination folder is not empty: comparing by content before the first copy");
        Some((1, whole))
    } else {
        None
    };
    // Messages of an interrupted batch found on the destination were stored by this job but never counted; the
    // others a comparison finds were counted when they were copied (or were there before the job).
    let count_present_from = cp.open_batch.as_ref().map_or(u32::MAX, |o| o.first.get());
    let mut present = Present::default();
    if let Some((from, _)) = window {
        if cp.open_batch.is_some() {
            settle(dst, &plan.dest_wire).await.map_err(imap)?;
        }
        present = destination_from(dst, &plan.dest_wire, from).await.map_err(imap)?;
    }
    let check_until = window.map_or(0, |(_, last)| last.get());
    cp.uid_validity = validity;
    cp.done = false;

    let from = next_uid(cp.last_uid);
    if from != fetched_from {
        metas = match from {
            Some(from) => src.metadata_from(from).await.map_err(imap)?,
            None => Vec::new(),
        };
    }
    let exists = src.selected().map_or(0, |s| s.exists);
    if cp.last_uid.is_none() && metas.len() != exists as usize {
        return Err(imap(ImapError::Inconsistent {
            detail: format!("EXISTS says {exists} messages but the listing has {}", metas.len()),
        }));
    }
    let total = metas.len() as u64;
    let limit: Option<u64> = dst.capability_value("APPENDLIMIT").and_then(|v| v.parse().ok());
    let mut report = FolderReport {
        path: path.clone(),
        copied: 0,
        total_copied: 0,
        bytes: 0,
        already_present: 0,
        skipped: Vec::new(),
        dropped_flags: 0,
        bad_dates: 0,
        source_messages: exists,
        dest_messages: 0,
        outcome: FolderOutcome::Done,
    };
    progress(Progress { path: &path, done: 0, total, bytes: 0 });

    let batches = plan_batches(metas, settings.batch_bytes, settings.batch_max);
    let batch_count = batches.len();
    let (tx, mut rx) = mpsc::channel::<Result<Batch, ImapError>>(1);
    let producer = produce(src, batches, tx);
    let mut first_dest_next = dest_status.uid_next;
    // However the consumer ends (done, deadline, an error), the channel is closed: a producer waiting to hand
    // over its next batch is woken with an error and returns, instead of waiting forever for a receiver that
    // still exists but will never receive again. It only ever waits after a whole FETCH was read, so the
    // source session stays usable.
    let consumer = async {
        let result = async {
        let mut handled = 0usize;
        while let Some(batch) = rx.recv().await {
            if settings.must_stop() {
                return Ok::<bool, EngineError>(false);
            }
            let batch = batch.map_err(imap)?;
            if lease_until.saturating_duration_since(Instant::now()) < settings.lease_ttl / 2 {
                checkpoints.renew(key, fence, settings.lease_ttl).await.map_err(port)?;
                lease_until = Instant::now() + settings.lease_ttl;
            }
            let (Some(first), Some(last)) = (batch_first(&batch), batch_last(&batch)) else { continue };
            cp.open_batch = Some(match window {
                Some((from, until)) if cp.last_uid.is_none_or(|done| done < until) => {
                    OpenBatch { dest_uid_next: from, first, last: until.max(last) }
                }
                _ => {
                    // The first batch reuses the STATUS taken when the folder was opened (a lower, older UIDNEXT
                    // only widens a resume's comparison, never narrows it); later batches ask again.
                    let dest_next = match first_dest_next.take() {
                        Some(n) => n,
                        None => dst.status(&plan.dest_wire).await.map_err(imap)?.uid_next.unwrap_or(1),
                    };
                    OpenBatch { dest_uid_next: dest_next, first, last }
                }
            });
            checkpoints.save(key, fence, &cp).await.map_err(port)?;
            let skipped_before = report.skipped.len();
            let mut out = Vec::with_capacity(batch.messages.len());
            let mut sent = Vec::with_capacity(batch.messages.len());
            for (mut meta, body) in batch.messages {
                if meta.uid.get() <= check_until && present.take(&fingerprint(&body)) {
                    // Stored by an interrupted run whose count never reached the checkpoint: it counts as copied
                    // by this pass, so the report matches what the destination holds.
                    report.already_present += 1;
                    cp.copied += u64::from(meta.uid.get() >= count_present_from);
                    continue;
                }
                if let Some(max) = limit.filter(|max| meta.size > *max) {
                    let reason = format!("larger than the destination's APPENDLIMIT of {max} bytes");
                    report.skipped.push(skip(&path, &meta, &body, reason));
                    continue;
                }
                note_unsafe_metadata(&path, &meta, &mut report);
                // Flags move into the message; `sent` keeps the UID and size for reports.
                let flags = std::mem::take(&mut meta.flags);
                out.push(OutMessage { flags, internal_date: meta.internal_date, body });
                sent.push(meta);
            }
            let outcomes = if out.is_empty() {
                Vec::new()
            } else {
                dst.append_batch(&plan.dest_wire, &out).await.map_err(imap)?
            };
            let mut stored = 0u64;
            for ((meta, outcome), msg) in sent.iter().zip(&outcomes).zip(&out) {
                match outcome {
                    Appended::Stored { .. } => {
                        stored += 1;
                        report.bytes += msg.body.len() as u64;
                    }
                    Appended::Refused { text } => {
                        tracing::warn!(folder = %path, uid = meta.uid.get(), size = meta.size, reason = %text, "destination refused a message");
                        report.skipped.push(skip(&path, meta, &msg.body, text.clone()));
                    }
                }
            }
            report.copied += stored;
            cp.copied += stored;
            cp.skipped += (report.skipped.len() - skipped_before) as u64;
            cp.last_uid = Some(last);
            cp.open_batch = None;
            checkpoints.save(key, fence, &cp).await.map_err(port)?;
            handled += 1;
            progress(Progress {
                path: &path,
                done: report.copied + report.already_present + report.skipped.len() as u64,
                total,
                bytes: report.bytes,
            });
        }
        Ok(handled == batch_count)
        }
        .await;
        rx.close();
        result
    };
    let ((), finished) = tokio::join!(producer, consumer);
    let finished = finished?;
    if finished {
        cp.done = true;
        checkpoints.save(key, fence, &cp).await.map_err(port)?;
    }
    checkpoints.release(key, fence).await.map_err(port)?;
    report.total_copied = cp.copied;

    report.source_messages = src.selected().map_or(exists, |s| s.exists);
    report.dest_messages = dst.status(&plan.dest_wire).await.map_err(imap)?.messages.unwrap_or(0);
    report.outcome = if finished {
        compare_counts(report.source_messages, report.dest_messages, cp.skipped)
    } else {
        FolderOutcome::MoreToDo
    };
    tracing::info!(folder = %path, copied = report.copied, skipped = report.skipped.len(), source = report.source_messages, dest = report.dest_messages, outcome = ?report.outcome, "folder finished");
    Ok(report)
}

/// After a crash, the dead worker's last APPEND may still be committing on the server (it had received every
/// byte). Wait until the destination folder's UIDNEXT holds still for a moment (at most a few seconds) before
/// comparing, so such a late commit is seen and not copied again.
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

/// The end-of-folder check: the destination must hold at least the source's messages minus those skipped
/// (more is fine: merged folders, mail delivered to the new server after the MX change).
pub(crate) fn compare_counts(source: u32, dest: u32, skipped: u64) -> FolderOutcome {
    let expected = u64::from(source).saturating_sub(skipped);
    if u64::from(dest) < expected {
        FolderOutcome::Differs { missing: expected - u64::from(dest) }
    } else {
        FolderOutcome::Done
    }
}

fn skip(folder: &str, meta: &crate::imap::MessageMeta, body: &[u8], reason: String) -> SkippedMessage {
    SkippedMessage {
        folder: folder.to_string(),
        uid: meta.uid.get(),
        size: meta.size,
        date: meta.internal_date.map(|d| d.to_string()).unwrap_or_default(),
        subject: super::headers::subject(body),
        // The destination's words go into reports and onto terminals as text, never as control sequences.
        reason: super::headers::printable(&reason, 1000),
    }
}

fn batch_first(b: &Batch) -> Option<Uid> {
    b.messages.first().map(|(m, _)| m.uid).into_iter().chain(b.gone.first().map(|m| m.uid)).min()
}

fn batch_last(b: &Batch) -> Option<Uid> {
    b.messages.last().map(|(m, _)| m.uid).into_iter().chain(b.gone.last().map(|m| m.uid)).max()
}
