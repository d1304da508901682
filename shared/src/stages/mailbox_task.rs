//! The mailbox task: log in to both sides once, plan the folders, create them on the destination and survey
//! them in one round trip; then give each big folder its own folder task (so big folders copy in parallel,
//! each on its own connections) and copy the small ones right here, over the connections already open. A
//! mailbox of sixteen small folders costs one login per side, not sixteen; a later pass whose folders hold
//! nothing new opens none of them.
//!
//! The copies use the engine's checkpoint protocol exactly as a folder task does (lease, open batch, fenced
//! saves), so a crash here resumes like any other: the redelivered mailbox task (or a folder task) continues
//! from the checkpoints, and each folder is counted finished once. A folder whose copy here fails or runs into
//! the deadline or a stop goes on as its own folder task, and so do the small folders not reached.

use super::budget::{self, Budget};
use super::copy::{Crowded, TaskOutcome, crowded, defer, record, settle_run, write_failure};
use super::counter;
use super::credentials::mailbox_sync;
use super::error::no_panic;
use super::finish;
use super::holds::{
    CopyPorts, HasBlobs, HasCheckpoints, HasClock, HasCounters, HasEvents, HasSchedules, HasSecrets, HasSettings,
    HasStore, HasTasks,
};
use super::{FolderTaskSpec, StageError, Task, connections, mailbox_scope};
use crate::engine::{self, OpenedMailbox, Renamed};
use crate::imap::plan::{FolderPlan, Plan};
use crate::model::{EmailAddress, FolderRename, JobId, MailboxDetails, MailboxRecord, Pass};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Handle a mailbox task (see the module docs). `deadline`: when the worker must stop; `last`: this delivery is
/// the last one, so a retryable failure is recorded as final.
pub(super) async fn on_mailbox<D>(
    deps: &D,
    job: &JobId,
    pass: Pass,
    address: &EmailAddress,
    deadline: Option<Instant>,
    last: bool,
) -> Result<TaskOutcome, StageError>
where
    D: CopyPorts,
{
    let m = record(deps, job, address).await?;
    if !m.ready() {
        return Ok(TaskOutcome::Skipped);
    }
    let task = || Task::Mailbox { job: job.clone(), pass, mailbox: address.clone() };
    let limit = match budget::state(deps, &m).await? {
        Ok(limit) => limit,
        Err(until) => return defer(deps, task(), &address.to_string(), Crowded::Parked(until)).await,
    };
    let Some(held) = connections::take(deps, &m, deadline).await? else {
        return defer(deps, task(), &address.to_string(), Crowded::Cap).await;
    };
    let result = plan_and_copy(deps, m, pass, (deadline, limit), last).await;
    connections::release(deps, held).await;
    match result {
        Err(e) if let Some(why) = crowded(&e) => defer(deps, task(), &address.to_string(), why).await,
        other => other,
    }
}

/// Plan the mailbox and copy its small folders; `stop`: the worker's deadline and the byte limit of the run.
async fn plan_and_copy<D>(
    deps: &D,
    mut m: MailboxRecord,
    pass: Pass,
    (deadline, limit): (Option<Instant>, Option<u64>),
    last: bool,
) -> Result<TaskOutcome, StageError>
where
    D: HasStore
        + HasCounters
        + HasCheckpoints
        + HasTasks
        + HasEvents
        + HasBlobs
        + HasSecrets
        + HasSchedules
        + HasClock
        + HasSettings,
{
    let (job, address) = (m.job.clone(), m.address.clone());
    let budget = budget::of(deps, &m);
    let opening = async {
        let mut cfg = mailbox_sync(deps, &m).await?;
        cfg.settings.deadline = deadline;
        cfg.settings.byte_limit = limit;
        let opened = engine::open_mailbox(&cfg, deps.checkpoints().as_ref()).await?;
        Ok::<_, StageError>((cfg, opened))
    };
    let (cfg, opened) = match no_panic("planning a mailbox", opening).await {
        Ok(o) => o,
        Err(e) if crowded(&e).is_some() || (e.is_retryable() && !last) => return Err(e),
        Err(e) => return planning_failed(deps, &job, pass, &address, e).await,
    };
    let OpenedMailbox { src, dst, plan, unchanged, pending, source_messages, renamed } = opened;
    // Read again: the sign-in may have kept a rotated refresh token in the record since it was read.
    m = record(deps, &job, &address).await?;
    if remember_folders(&mut m.details, &plan, &renamed, pass) {
        deps.store().put_mailboxes(std::slice::from_ref(&m)).await.map_err(StageError::port("store folders"))?;
    }
    let spec = |folder: &FolderPlan, copied_before| FolderTaskSpec {
        job: job.clone(),
        pass,
        mailbox: address.clone(),
        folder: folder.clone(),
        copied_before,
    };
    let (mut small, mut big) = (VecDeque::new(), Vec::new());
    for p in &pending {
        if p.estimate <= deps.settings().connections.small_folder {
            small.push_back(spec(&p.folder, p.copied_before));
        } else {
            big.push(Task::Folder(spec(&p.folder, p.copied_before)).to_body());
        }
    }
    count_planned(deps, (&job, pass, &address), plan.folders.len(), source_messages).await?;
    tracing::info!(
        job = %job, pass = %pass, mailbox = %address, folders = plan.folders.len(), unchanged = unchanged.len(),
        own_tasks = big.len(), here = small.len(), "mailbox planned"
    );
    deps.tasks().send(&big, Duration::ZERO).await.map_err(StageError::port("send folder tasks"))?;
    for report in unchanged {
        if let Some(folder) = plan.folders.iter().find(|f| f.path == report.path) {
            settle_run(deps, &spec(folder, report.total_copied), report, budget).await?;
        }
    }
    let later = copy_small(deps, &cfg, (src, dst), &mut small, budget).await?;
    let rest: Vec<String> = small.into_iter().map(|s| Task::Folder(s).to_body()).collect();
    if !later.is_zero() {
        tracing::info!(
            mailbox = %address, folders = rest.len(), wait_ms = later.as_millis() as u64,
            "throttled; the folders left deferred as their own tasks"
        );
    }
    deps.tasks().send(&rest, later).await.map_err(StageError::port("send folder tasks"))?;
    Ok(TaskOutcome::Planned { folders: plan.folders.len() })
}

/// Fix the mailbox's totals for the pass once (its folders, when it started, the source's messages); a mailbox
/// with no folder to copy is finished here, since no folder will finish it.
async fn count_planned(
    deps: &(impl HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    (job, pass, address): (&JobId, Pass, &EmailAddress),
    folders: usize,
    source_messages: u64,
) -> Result<(), StageError> {
    let now = deps.clock().now().timestamp_millis();
    let planned = [
        (counter::FOLDERS, folders as i64),
        (counter::STARTED_MS, now),
        (counter::SOURCE_MESSAGES, source_messages as i64),
    ];
    let scope = mailbox_scope(job, pass, address);
    let first = deps.counters().add_once(&scope, counter::PLANNED, &planned).await;
    let first = first.map_err(StageError::port("count folders"))?;
    if let Some(totals) = first.filter(|_| folders == 0) {
        finish::mailbox_finished(deps, job, pass, address, &totals).await?;
    }
    Ok(())
}

/// Add the planned folders the mailbox's record does not know yet, and the renames found (the old names leave
/// the list). Whether anything changed.
fn remember_folders(d: &mut MailboxDetails, plan: &Plan, renamed: &[Renamed], pass: Pass) -> bool {
    let before = d.folders.len();
    d.folders.retain(|f| !renamed.iter().any(|r| &r.from == f));
    let new: Vec<&String> = plan.folders.iter().map(|f| &f.path).filter(|p| !d.folders.contains(p)).collect();
    let changed = !new.is_empty() || d.folders.len() != before;
    d.folders.extend(new.into_iter().cloned());
    for r in renamed {
        d.renamed.push(FolderRename { from: r.from.clone(), to: r.to.clone(), pass });
    }
    changed || !renamed.is_empty()
}

/// Copy the small folders one after the other over the open pair of connections, taking each off `small` as it
/// is settled. Stops at the deadline or a stop request, or at the first folder whose copy fails (the sessions
/// are then in an unknown state); what is left in `small` is the caller's to send as folder tasks, after the
/// returned wait (a provider's, when it throttled).
async fn copy_small(
    deps: &(impl HasStore + HasCounters + HasCheckpoints + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    cfg: &engine::MailboxSync,
    (mut src, mut dst): (crate::imap::Session, crate::imap::Session),
    small: &mut VecDeque<FolderTaskSpec>,
    budget: Option<Budget>,
) -> Result<Duration, StageError> {
    let checkpoints = deps.checkpoints().as_ref();
    // The byte limit holds for all the folders copied here together.
    let mut settings = cfg.settings.clone();
    while let Some(spec) = small.front() {
        // A token that ends soon: the folders left go on as their own tasks, which sign in afresh. A budget used
        // up: they go on as their own tasks too, which wait for it to renew.
        if settings.must_stop() || settings.spent(0) || src.sign_in_ends_soon() || dst.sign_in_ends_soon() {
            break;
        }
        let meter = super::rate::Meter::new(deps.clock().clone());
        let progress = |p: engine::Progress<'_>| meter.observe(&p);
        let copy = async {
            Ok(engine::copy_over(&mut src, &mut dst, cfg, &spec.folder, checkpoints, &settings, &progress).await?)
        };
        let copied = no_panic("copying a folder", copy).await;
        meter.flush(deps, &spec.job, spec.pass).await;
        match copied {
            Ok(report) => {
                let spec = small.pop_front().expect("a front element");
                settings.byte_limit = settings.byte_limit.map(|l| l.saturating_sub(report.bytes));
                settle_run(deps, &spec, report, budget).await?;
            }
            Err(e) => {
                tracing::info!(
                    mailbox = %cfg.mailbox, folder = %spec.folder.path, error = %e,
                    "copy on the mailbox's connections failed; the folder goes on as its own task"
                );
                return Ok(match crowded(&e) {
                    Some(Crowded::Throttled(wait)) => wait,
                    _ => Duration::ZERO,
                });
            }
        }
    }
    src.logout().await;
    dst.logout().await;
    Ok(Duration::ZERO)
}

/// The mailbox cannot be planned (for good, or on its last delivery): record why, and count it as a mailbox
/// with no folders and one failure so the pass still ends.
async fn planning_failed(
    deps: &(impl HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    job: &JobId,
    pass: Pass,
    address: &EmailAddress,
    e: StageError,
) -> Result<TaskOutcome, StageError> {
    let reason = e.to_string();
    write_failure(deps, job, pass, address, "", &reason).await?;
    let now = deps.clock().now().timestamp_millis();
    let totals = deps
        .counters()
        .add_once(
            &mailbox_scope(job, pass, address),
            counter::PLANNED,
            &[(counter::FOLDERS, 0), (counter::FAILED, 1), (counter::STARTED_MS, now)],
        )
        .await
        .map_err(StageError::port("count folders"))?;
    if let Some(totals) = totals {
        finish::mailbox_finished(deps, job, pass, address, &totals).await?;
    }
    Ok(TaskOutcome::Failed { reason })
}
