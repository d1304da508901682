//! Opening a mailbox for copying: log in to both sides, plan the folders, create what the destination lacks,
//! and survey every folder in one pipelined round trip, so that folders with nothing new are reported without
//! being opened and the others come with an estimate of what they hold to copy. The pipeline's mailbox task
//! then copies the small ones over this same pair of connections (see `stages::copy`).

use super::EngineError;
use super::copy_settings::CopySettings;
use super::folder::{FolderReport, FolderTask, Progress, copy_folder};
use super::renames::{Renamed, follow_renames};
use super::report::compare_counts;
use super::sessions::{MailboxSync, apply, mailbox_error, open_and_plan};
use crate::imap::Session;
use crate::imap::plan::{FolderPlan, Plan};
use crate::model::{Checkpoint, FolderKey};
use crate::ports::Checkpoints;

/// A folder with something to copy, about how many messages (new UIDs since the checkpoint, or every message
/// when there is no usable checkpoint), and what its checkpoint counted as copied so far (read once, here).
#[derive(Clone, Debug)]
pub struct Pending {
    pub folder: FolderPlan,
    pub estimate: u32,
    pub copied_before: u64,
}

/// A mailbox ready for copying: both sessions logged in, the destination's folders created, every folder
/// surveyed.
pub struct OpenedMailbox {
    pub src: Session,
    pub dst: Session,
    pub plan: Plan,
    /// Folders with nothing new, reported from the counts.
    pub unchanged: Vec<FolderReport>,
    /// Folders to copy, in plan order.
    pub pending: Vec<Pending>,
    /// Messages in the planned source folders now (STATUS MESSAGES summed): what this pass is measured against.
    pub source_messages: u64,
    /// Folders found renamed on the source since the last pass, followed on the destination.
    pub renamed: Vec<Renamed>,
}

/// Log in to both sides, plan, create the folders the plan needs and survey them (one attempt; the caller
/// decides about retrying).
pub async fn open_mailbox(cfg: &MailboxSync, checkpoints: &dyn Checkpoints) -> Result<OpenedMailbox, EngineError> {
    let (mut src, mut dst, (source_listing, mut dest_listing), plan) = open_and_plan(cfg).await?;
    let applied = async {
        let listings = (&source_listing, &mut dest_listing);
        let renamed = follow_renames((&mut src, &mut dst), &plan, listings, cfg, checkpoints).await?;
        apply(&mut dst, &plan, &dest_listing).await.map_err(mailbox_error)?;
        let (unchanged, pending, source_messages) = survey(&mut src, &mut dst, &plan, cfg, checkpoints).await?;
        Ok::<_, EngineError>((unchanged, pending, source_messages, renamed))
    };
    match applied.await {
        Ok((unchanged, pending, source_messages, renamed)) => {
            Ok(OpenedMailbox { src, dst, plan, unchanged, pending, source_messages, renamed })
        }
        Err(e) => {
            src.logout().await;
            dst.logout().await;
            Err(e)
        }
    }
}

/// Copy one folder of `cfg`'s mailbox over an open pair of sessions (until done, the deadline or a stop in
/// `settings`), resuming from its checkpoint. After an error the sessions are in an unknown state: drop them.
pub async fn copy_over(
    src: &mut Session,
    dst: &mut Session,
    cfg: &MailboxSync,
    folder: &FolderPlan,
    checkpoints: &dyn Checkpoints,
    settings: &CopySettings,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<FolderReport, EngineError> {
    let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: folder.path.clone() };
    let task = FolderTask { key: &key, plan: folder, ledgers: cfg.ledgers.as_ref() };
    copy_folder(src, dst, checkpoints, &task, settings, progress).await
}

/// The cheap look before copying: STATUS of every planned folder on the source, pipelined (one round trip, RFC
/// 3501 §5.5), against the checkpoints. A folder with the same UIDVALIDITY, no UID above its checkpoint and no
/// interrupted batch has nothing new: it is reported from the counts (a second pipelined STATUS round, on the
/// destination, for those folders only) without being opened or leased. Returns those reports and the folders
/// that need a copy.
pub(super) async fn survey(
    src: &mut Session,
    dst: &mut Session,
    p: &Plan,
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
) -> Result<(Vec<FolderReport>, Vec<Pending>, u64), EngineError> {
    // Every folder's checkpoint at once (one DynamoDB read each on AWS: concurrent, not one after the other).
    let cps = futures::future::try_join_all(p.folders.iter().map(|f| async move {
        let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: f.path.clone() };
        checkpoints.load(&key).await.map_err(|source| EngineError::Checkpoint { folder: f.path.clone(), source })
    }))
    .await?;
    // A later pass compares flags too: where the source keeps mod-sequences, a folder whose HIGHESTMODSEQ did not
    // move has no flag changes, so STATUS alone still tells an untouched folder.
    let flags_due = |cp: &Checkpoint| cfg.ledgers.is_some() && cp.flags_due();
    let source_wires: Vec<String> = p.folders.iter().map(|f| f.source_wire.clone()).collect();
    let statuses = if cps.iter().flatten().any(flags_due) {
        src.status_with_modseq(&source_wires).await
    } else {
        src.status_many(&source_wires).await
    };
    let (mut caught_up, mut changed) = (Vec::new(), Vec::new());
    let statuses = statuses.map_err(mailbox_error)?;
    let source_messages = statuses.iter().map(|s| u64::from(s.messages.unwrap_or(0))).sum();
    for ((f, st), cp) in p.folders.iter().zip(statuses).zip(cps) {
        let flags_unchanged =
            |cp: &Checkpoint| !flags_due(cp) || (cp.modseq.is_some() && cp.modseq == st.highest_modseq);
        match cp {
            Some(cp)
                if cp.open_batch.is_none()
                    && cp.uid_validity.is_some_and(|v| Some(v) == st.uid_validity)
                    && cp
                        .last_uid
                        .is_some_and(|last| st.uid_next.is_some_and(|n| n.get() <= last.get().saturating_add(1)))
                    && flags_unchanged(&cp) =>
            {
                caught_up.push((f, st, cp));
            }
            Some(cp) if cp.uid_validity.is_some_and(|v| Some(v) == st.uid_validity) => {
                let done = cp.last_uid.map_or(0, |u| u.get());
                let estimate = st.uid_next.map_or(st.messages.unwrap_or(0), |n| n.get().saturating_sub(done + 1));
                let estimate = estimate.min(st.messages.unwrap_or(estimate));
                changed.push(Pending { folder: f.clone(), estimate, copied_before: cp.copied });
            }
            cp => changed.push(Pending {
                folder: f.clone(),
                estimate: st.messages.unwrap_or(0),
                copied_before: cp.map_or(0, |c| c.copied),
            }),
        }
    }
    let dest_wires: Vec<String> = caught_up.iter().map(|(f, ..)| f.dest_wire.clone()).collect();
    let dest =
        if dest_wires.is_empty() { Vec::new() } else { dst.status_many(&dest_wires).await.map_err(mailbox_error)? };
    let unchanged = caught_up
        .into_iter()
        .zip(dest)
        .map(|((f, st, cp), dest_st)| {
            let (source_messages, dest_messages) = (st.messages.unwrap_or(0), dest_st.messages.unwrap_or(0));
            FolderReport {
                path: f.path.clone(),
                copied: 0,
                total_copied: cp.copied,
                bytes: 0,
                already_present: 0,
                skipped: Vec::new(),
                dropped_flags: 0,
                bad_dates: 0,
                elsewhere: cp.elsewhere,
                several_labels: cp.several_labels,
                flags: Default::default(),
                source_messages,
                dest_messages,
                outcome: compare_counts(source_messages, dest_messages, cp.absent()),
            }
        })
        .collect();
    Ok((unchanged, changed, source_messages))
}
