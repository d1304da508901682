//! Copying one folder (see the protocol in the module docs), in named steps: open (acquire the folder, list
//! only UIDs above the checkpoint, resume or re-scan as the checkpoint says: `resume`), batches of fetch →
//! APPEND → checkpoint until done or the deadline, and finish (compare counts on both sides).

use super::EngineError;
pub use super::copy_settings::CopySettings;
use super::dedupe::{Present, fingerprint};
use super::flag_pass::{FlagChanges, sync_flags};
use super::ledger::{LedgerStore, Ledgered};
use super::placed::Placed;
pub use super::report::{FolderOutcome, FolderReport, Progress, SkippedMessage};
use super::report::{compare_counts, note_unsafe_metadata, skip};
use super::resume::ResumeWindow;
use super::source::{Batch, plan_batches, produce};
use crate::imap::plan::FolderPlan;
use crate::imap::{Appended, ImapError, MessageMeta, OutMessage, Session};
use crate::model::{Checkpoint, FolderKey, OpenBatch, Uid};
use crate::ports::{Checkpoints, PortError};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// One folder to copy: its checkpoint key, where it goes, and where its ledger is kept (`None`: none is kept,
/// and later passes carry no flag changes).
#[derive(Clone, Copy, Debug)]
pub struct FolderTask<'a> {
    pub key: &'a FolderKey,
    pub plan: &'a FolderPlan,
    pub ledgers: Option<&'a LedgerStore>,
}

/// The first UID after `last` (UID 1 when nothing was copied; `None` when `last` is the highest UID there is).
fn next_uid(last: Option<Uid>) -> Option<Uid> {
    last.map_or(Some(1), |u| u.get().checked_add(1)).and_then(Uid::new)
}

/// Copy one planned folder. `src` and `dst` are logged-in sessions; the source is opened read-only. Three steps:
/// open and resume ([`Copying::open`]), copy batch after batch until done or told to stop
/// ([`Copying::copy_batches`]), finish (checkpoint, lease, counts: [`Copying::finish`]).
pub async fn copy_folder(
    src: &mut Session,
    dst: &mut Session,
    checkpoints: &dyn Checkpoints,
    task: &FolderTask<'_>,
    settings: &CopySettings,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<FolderReport, EngineError> {
    let (mut run, metas) = Copying::open(src, dst, checkpoints, task, settings).await?;
    progress(Progress { path: &task.plan.path, done: 0, total: metas.len() as u64, bytes: 0 });
    let finished = run.copy_batches(src, dst, metas, progress).await?;
    run.finish(src, dst, finished).await
}

fn imap_error(plan: &FolderPlan) -> impl Fn(ImapError) -> EngineError + '_ {
    move |source| EngineError::Imap { folder: plan.path.clone(), source }
}

fn port_error(plan: &FolderPlan) -> impl Fn(PortError) -> EngineError + '_ {
    move |source| EngineError::Checkpoint { folder: plan.path.clone(), source }
}

/// A folder copy under way: its lease and checkpoint, what resuming must compare, and the report so far.
struct Copying<'a> {
    key: &'a FolderKey,
    plan: &'a FolderPlan,
    checkpoints: &'a dyn Checkpoints,
    settings: &'a CopySettings,
    fence: u64,
    lease_until: Instant,
    cp: Checkpoint,
    window: Option<ResumeWindow>,
    /// Destination messages of the window, fingerprinted; source UIDs up to `check_until` are looked up here.
    present: Present,
    check_until: u32,
    /// Messages of an interrupted batch (source UID from this on) found on the destination were stored by this
    /// job but never counted; the others a comparison finds were counted when copied (or were there before).
    count_present_from: u32,
    /// A lower bound of the destination's UIDNEXT for the next open batch: from the STATUS taken when the folder
    /// was opened, then from the last batch's APPENDUIDs (RFC 4315), so no STATUS round trip is needed per batch.
    dest_next: Option<Uid>,
    /// The destination's APPENDLIMIT (RFC 7889): larger messages are skipped, not sent.
    limit: Option<u64>,
    /// Gmail: listed messages this folder leaves to other folders, not yet passed by the checkpoint.
    placed: Placed,
    /// What the batches stored since the ledger was last written (see `ledger`), and the source folder's
    /// HIGHESTMODSEQ as this run opened it.
    ledger: Ledgered<'a>,
    report: FolderReport,
}

impl<'a> Copying<'a> {
    /// Take the folder's lease, open the source read-only with the metadata from the checkpoint on (pipelined
    /// behind EXAMINE, one round trip, while the destination's STATUS is asked at the same time), decide the
    /// resume window and fingerprint what it covers. Returns the state and the messages to copy. (Long: one
    /// ordered sequence of the copy's set-up, read top to bottom; it is split with `copy_folder` in the
    /// many-mailboxes issue.)
    async fn open(
        src: &mut Session,
        dst: &mut Session,
        checkpoints: &'a dyn Checkpoints,
        task: &FolderTask<'a>,
        settings: &'a CopySettings,
    ) -> Result<(Copying<'a>, Vec<MessageMeta>), EngineError> {
        let (key, plan) = (task.key, task.plan);
        let (imap, port) = (imap_error(plan), port_error(plan));
        let claim = checkpoints.acquire(key, &settings.owner, settings.lease_ttl).await.map_err(&port)?;
        let lease_until = Instant::now() + settings.lease_ttl;
        let mut cp = claim.checkpoint;
        // With a ledger, open so the source reports HIGHESTMODSEQ: the first pass records the mod-sequence its flags
        // were read at, and a later pass reads only the messages changed since.
        let flag_pass = task.ledgers.is_some() && cp.flags_due();
        src.use_condstore(task.ledgers.is_some());
        let fetched_from = next_uid(cp.last_uid);
        let opening = async {
            match fetched_from {
                Some(from) => src.examine_with_metadata(&plan.source_wire, from).await,
                None => src.open(&plan.source_wire, true).await.map(|sel| (sel, Vec::new())),
            }
        };
        let (opened, dest_status) = tokio::join!(opening, dst.status(&plan.dest_wire));
        let ((sel, mut metas), dest_status) = (opened.map_err(&imap)?, dest_status.map_err(&imap)?);
        let validity = sel.uid_validity;
        let renumbered = cp.uid_validity.is_some() && cp.uid_validity != validity;
        let window = ResumeWindow::decide(&mut cp, validity, dest_status.messages.unwrap_or(0), &plan.path);
        let ledger = Ledgered::open(task.ledgers, key, &mut cp, (flag_pass, renumbered), sel.highest_modseq)
            .await
            .map_err(&port)?;
        let count_present_from = cp.open_batch.as_ref().map_or(u32::MAX, |o| o.first.get());
        let present = match window {
            Some(w) => w.present(dst, &plan.dest_wire, cp.open_batch.is_some()).await.map_err(&imap)?,
            None => Present::default(),
        };
        cp.uid_validity = validity;
        cp.done = false;
        // A UIDVALIDITY change reset the checkpoint: ask again from UID 1.
        let from = next_uid(cp.last_uid);
        if from != fetched_from {
            metas = match from {
                Some(from) => src.metadata_from(from).await.map_err(&imap)?,
                None => Vec::new(),
            };
        }
        let exists = src.selected().map_or(0, |s| s.exists);
        if cp.last_uid.is_none() && metas.len() != exists as usize {
            return Err(imap(ImapError::Inconsistent {
                detail: format!("EXISTS says {exists} messages but the listing has {}", metas.len()),
            }));
        }
        let placed = Placed::sort_out(plan, &mut metas);
        let report = FolderReport {
            path: plan.path.clone(),
            copied: 0,
            total_copied: 0,
            bytes: 0,
            already_present: 0,
            skipped: Vec::new(),
            dropped_flags: 0,
            bad_dates: 0,
            elsewhere: 0,
            several_labels: 0,
            flags: Default::default(),
            source_messages: exists,
            dest_messages: 0,
            outcome: FolderOutcome::Done,
        };
        let run = Copying {
            key,
            plan,
            checkpoints,
            settings,
            fence: claim.lease.fence,
            lease_until,
            cp,
            window,
            present,
            check_until: window.map_or(0, |w| w.until.get()),
            count_present_from,
            dest_next: dest_status.uid_next,
            limit: dst.capability_value("APPENDLIMIT").and_then(|v| v.parse().ok()),
            placed,
            ledger,
            report,
        };
        Ok((run, metas))
    }

    /// Fetch batches from the source (one ahead, on the source session) while storing the previous one on the
    /// destination. Returns whether every batch was stored (`false`: stopped at a batch boundary).
    async fn copy_batches(
        &mut self,
        src: &mut Session,
        dst: &mut Session,
        metas: Vec<MessageMeta>,
        progress: &(dyn Fn(Progress<'_>) + Send + Sync),
    ) -> Result<bool, EngineError> {
        let (plan, total) = (self.plan, metas.len() as u64);
        // A bearer-token sign-in that ends soon stops the copy at a batch boundary, like a deadline; the caller
        // signs in again with a fresh token and continues from the checkpoint.
        let renew_source_at = src.sign_in_renew_at();
        let batches = plan_batches(metas, self.settings.batch_bytes, self.settings.batch_max);
        let batch_count = batches.len();
        let (tx, mut rx) = mpsc::channel::<Result<Batch, ImapError>>(1);
        let producer = produce(src, batches, tx, self.settings);
        // However the consumer ends (done, deadline, an error), the channel is closed: a producer waiting to hand
        // over its next batch is woken with an error and returns, instead of waiting forever for a receiver that
        // still exists but will never receive again. It only ever waits after a whole FETCH was read, so the
        // source session stays usable.
        let consumer = async {
            let result = async {
                let mut handled = 0usize;
                while let Some(batch) = rx.recv().await {
                    let renew = renew_source_at.is_some_and(|at| Instant::now() >= at) || dst.sign_in_ends_soon();
                    if self.settings.must_stop() || renew || self.settings.spent(self.report.bytes) {
                        return Ok(false);
                    }
                    self.copy_batch(dst, batch.map_err(imap_error(plan))?).await?;
                    handled += 1;
                    let r = &self.report;
                    let done = r.copied + r.already_present + r.skipped.len() as u64;
                    progress(Progress { path: &plan.path, done, total, bytes: r.bytes });
                }
                Ok::<bool, EngineError>(handled == batch_count)
            }
            .await;
            rx.close();
            result
        };
        let ((), finished) = tokio::join!(producer, consumer);
        finished
    }

    /// One batch: record it as open (fenced), leave out what the destination holds already or would refuse by
    /// size, APPEND the rest in one command, count what was stored and skipped, and record the batch as done.
    async fn copy_batch(&mut self, dst: &mut Session, batch: Batch) -> Result<(), EngineError> {
        let (plan, path) = (self.plan, &self.plan.path);
        let (imap, port) = (imap_error(plan), port_error(plan));
        if self.lease_until.saturating_duration_since(Instant::now()) < self.settings.lease_ttl / 2 {
            self.checkpoints.renew(self.key, self.fence, self.settings.lease_ttl).await.map_err(&port)?;
            self.lease_until = Instant::now() + self.settings.lease_ttl;
        }
        let (Some(first), Some(last)) = (batch_first(&batch), batch_last(&batch)) else { return Ok(()) };
        let open = match ResumeWindow::in_force(self.window, &self.cp) {
            Some(w) => w.open_batch(first, last),
            None => {
                let dest_next = match self.dest_next.take() {
                    Some(n) => n,
                    None => dst.status(&plan.dest_wire).await.map_err(&imap)?.uid_next.unwrap_or(Uid::FIRST),
                };
                self.dest_next = Some(dest_next);
                OpenBatch { dest_uid_next: dest_next, first, last }
            }
        };
        self.cp.open_batch = Some(open);
        self.checkpoints.save(self.key, self.fence, &self.cp).await.map_err(&port)?;
        let skipped_before = self.report.skipped.len();
        let mut out = Vec::with_capacity(batch.messages.len());
        let mut sent = Vec::with_capacity(batch.messages.len());
        for (mut meta, body) in batch.messages {
            if meta.uid.get() <= self.check_until && self.present.take(&fingerprint(&body)) {
                // Stored by an interrupted run whose count never reached the checkpoint: it counts as copied by
                // this pass, so the report matches what the destination holds.
                self.report.already_present += 1;
                self.cp.copied += u64::from(meta.uid.get() >= self.count_present_from);
                self.ledger.record(meta.uid.get(), None, &meta.flags);
                continue;
            }
            if let Some(reason) = self.too_large(meta.size) {
                self.report.skipped.push(skip(path, &meta, &body, reason));
                continue;
            }
            note_unsafe_metadata(path, &meta, &mut self.report);
            // Flags move into the message; `sent` keeps the UID and size for reports.
            let flags = std::mem::take(&mut meta.flags);
            out.push(OutMessage { flags, internal_date: meta.internal_date, body });
            sent.push(meta);
        }
        let outcomes =
            if out.is_empty() { Vec::new() } else { dst.append_batch(&plan.dest_wire, &out).await.map_err(&imap)? };
        let mut stored = 0u64;
        let mut highest = Some(0u32);
        for ((meta, outcome), msg) in sent.iter().zip(&outcomes).zip(&out) {
            match outcome {
                Appended::Stored { uid } => {
                    stored += 1;
                    self.ledger.record(meta.uid.get(), *uid, &msg.flags);
                    self.report.bytes += msg.body.len() as u64;
                    highest = highest.zip(*uid).map(|(h, u)| h.max(u));
                }
                Appended::Refused { text } => {
                    tracing::warn!(
                        folder = %path, uid = meta.uid.get(), size = meta.size, reason = %text,
                        "destination refused a message"
                    );
                    self.report.skipped.push(skip(path, meta, &msg.body, text.clone()));
                }
            }
        }
        // New UIDs only grow: one above the highest APPENDUID is a lower bound of the next UIDNEXT. Without
        // APPENDUID for every stored message, the next batch asks with STATUS.
        match highest {
            Some(h) if h > 0 => self.dest_next = h.checked_add(1).and_then(Uid::new),
            Some(_) => {}
            None => self.dest_next = None,
        }
        self.report.copied += stored;
        self.cp.copied += stored;
        self.cp.skipped += (self.report.skipped.len() - skipped_before) as u64;
        self.placed.pass(&mut self.cp, Some(last));
        self.cp.last_uid = Some(last);
        self.cp.open_batch = None;
        self.ledger.before_save(self.key, &mut self.cp).await.map_err(&port)?;
        self.checkpoints.save(self.key, self.fence, &self.cp).await.map_err(&port)
    }

    /// The flag pass (see `flag_pass`): compare, apply, keep the new flags (this run's entries with them: one
    /// read and one write of the ledger) and the mod-sequence they were read at.
    async fn sync_flags(&mut self, src: &mut Session, dst: &mut Session) -> Result<FlagChanges, EngineError> {
        let (plan, port) = (self.plan, port_error(self.plan));
        let merged = self.ledger.merged(self.key, &mut self.cp).await.map_err(&port)?;
        let Some(mut ledger) = merged else { return Ok(Default::default()) };
        let found = sync_flags(src, dst, plan, &mut ledger, self.cp.modseq).await.map_err(imap_error(plan))?;
        self.ledger.save(self.key, &ledger).await.map_err(&port)?;
        (self.cp.modseq, self.cp.flag_sync_due) = (self.ledger.modseq_now, false);
        Ok(found)
    }

    /// Why a message of `size` bytes is not copied, if it is too large: the destination's APPENDLIMIT (RFC 7889)
    /// or the source provider's limit.
    fn too_large(&self, size: u64) -> Option<String> {
        if let Some(max) = self.limit.filter(|max| size > *max) {
            return Some(format!("larger than the destination's APPENDLIMIT of {max} bytes"));
        }
        let (max, whose) = self.settings.max_message.filter(|(max, _)| size > *max)?;
        Some(format!("larger than {whose}'s limit of {max} bytes for a message over IMAP"))
    }

    /// Record the folder done (when every batch was stored), give the lease back, and compare the counts on
    /// both sides.
    async fn finish(
        mut self,
        src: &mut Session,
        dst: &mut Session,
        finished: bool,
    ) -> Result<FolderReport, EngineError> {
        let (plan, port) = (self.plan, port_error(self.plan));
        if finished {
            // What is left of the listing went to other folders: the checkpoint passes it too.
            let highest = self.placed.pass(&mut self.cp, None);
            self.cp.last_uid = self.cp.last_uid.max(highest);
            if self.cp.flag_sync_due {
                self.report.flags = self.sync_flags(src, dst).await?;
            } else {
                self.ledger.flush(self.key, &mut self.cp).await.map_err(&port)?;
            }
            self.cp.done = true;
            self.checkpoints.save(self.key, self.fence, &self.cp).await.map_err(&port)?;
        }
        self.checkpoints.release(self.key, self.fence).await.map_err(&port)?;
        let mut report = self.report;
        report.total_copied = self.cp.copied;
        (report.elsewhere, report.several_labels) = (self.cp.elsewhere, self.cp.several_labels);
        report.source_messages = src.selected().map_or(report.source_messages, |s| s.exists);
        report.dest_messages = dst.status(&plan.dest_wire).await.map_err(imap_error(plan))?.messages.unwrap_or(0);
        report.outcome = if finished {
            compare_counts(report.source_messages, report.dest_messages, self.cp.absent())
        } else {
            FolderOutcome::MoreToDo
        };
        tracing::info!(
            folder = %plan.path, copied = report.copied, skipped = report.skipped.len(),
            source = report.source_messages, dest = report.dest_messages, outcome = ?report.outcome, "folder finished"
        );
        Ok(report)
    }
}

fn batch_first(b: &Batch) -> Option<Uid> {
    b.messages.first().map(|(m, _)| m.uid).into_iter().chain(b.gone.first().map(|m| m.uid)).min()
}

fn batch_last(b: &Batch) -> Option<Uid> {
    b.messages.last().map(|(m, _)| m.uid).into_iter().chain(b.gone.last().map(|m| m.uid)).max()
}
