//! The copy stage's folder tasks (run the engine until done or the deadline; more to do goes back on the queue),
//! and what the mailbox tasks (`mailbox_task`: plan, create, copy the small folders over the same connections, one
//! folder task for each big one) share with them; `dispatch` hands each task to its handler. Every task first
//! takes its connection slots (`connections`); a full cap or a server refusing a login for too many connections
//! defers the task, never fails it. Retryable errors go back to the queue (the caller lets the message reappear
//! with back-off); permanent ones, or retryable ones on the last delivery, are recorded under
//! `reports/<job>/<pass>/failed/` and the folder ends failed, so a pass always ends.

use super::budget::{self, Budget};
use super::counter;
use super::credentials::mailbox_sync;
use super::error::no_panic;
use super::finish::{self, FolderTotals};
use super::holds::{CopyPorts, HasBlobs, HasClock, HasCounters, HasEvents, HasSchedules, HasStore, HasTasks};
use super::{FolderTaskSpec, StageError, Task, connections, mailbox_scope};
use crate::engine::{self, FolderOutcome, FolderReport};
use crate::model::{EmailAddress, JobId, MailboxRecord, Pass};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::time::Instant;

/// What a task did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskOutcome {
    /// A mailbox task enqueued this many folder tasks.
    Planned { folders: usize },
    /// A folder stopped at the deadline and was enqueued again.
    MoreToDo,
    /// A folder finished (copied this many messages in this run).
    Finished { copied: u64 },
    /// The work failed for good and was recorded.
    Failed { reason: String },
    /// Nothing to do (a mailbox that failed its pre-flight).
    Skipped,
    /// A server refused a session for too many connections, or a connection cap was full: the task was sent
    /// again for later (never a failure, and not a delivery counted towards the dead-letter queue).
    Deferred,
}

/// Why a stage error means "later", not "failed": a server refusing a session for too many connections, or a
/// provider throttling for a while.
pub(super) fn crowded(e: &StageError) -> Option<Crowded> {
    let StageError::Engine(e) = e else { return None };
    match e.throttled_for() {
        Some(wait) => Some(Crowded::Throttled(wait)),
        None => e.is_too_many_connections().then_some(Crowded::Server),
    }
}

/// Why a task waits: a server refused a login for too many connections, one of our own connection caps is full
/// (cheaper to ask again: no login was made), a provider asked to wait this long, or the mailbox used its
/// download budget until then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Crowded {
    Server,
    Cap,
    Throttled(Duration),
    Parked(chrono::DateTime<chrono::Utc>),
}

/// Send `task` again for later: 5 to 15 s when a server is crowded, 1 to 3 s when a cap is full, spread so that
/// deferred tasks do not all come back at once; after the provider's wait (plus up to 1 s) when throttled. The
/// task's place is its checkpoints: nothing is copied twice.
pub(super) async fn defer(
    deps: &(impl HasTasks + HasClock),
    task: Task,
    what: &str,
    why: Crowded,
) -> Result<TaskOutcome, StageError> {
    let spread = u64::from(deps.clock().now().timestamp_subsec_millis());
    let wait = match why {
        Crowded::Server => Duration::from_millis(5_000 + spread * 10),
        Crowded::Cap => Duration::from_millis(1_000 + spread * 2),
        Crowded::Throttled(wait) => wait + Duration::from_millis(spread),
        Crowded::Parked(until) => {
            let wait = (until - deps.clock().now()).to_std().unwrap_or_default();
            tracing::info!(task = %what, until = %until, "over its download budget; parked until the budget renews");
            wait + Duration::from_millis(spread)
        }
    };
    deps.tasks().send(&[task.to_body()], wait).await.map_err(StageError::port("defer a task"))?;
    tracing::info!(task = %what, why = ?why, wait_ms = wait.as_millis() as u64, "task deferred");
    Ok(TaskOutcome::Deferred)
}

pub(super) async fn record(
    deps: &impl HasStore,
    job: &JobId,
    address: &EmailAddress,
) -> Result<MailboxRecord, StageError> {
    deps.store()
        .mailbox(job, address)
        .await
        .map_err(StageError::port("read mailbox"))?
        .ok_or_else(|| StageError::BadMessage { what: "task", detail: format!("job {job} has no mailbox {address}") })
}

pub(super) async fn on_folder<D>(
    deps: &D,
    spec: &FolderTaskSpec,
    deadline: Option<Instant>,
    last: bool,
) -> Result<TaskOutcome, StageError>
where
    D: CopyPorts,
{
    let (job, address, path) = (&spec.job, &spec.mailbox, spec.folder.path.as_str());
    let m = record(deps, job, address).await?;
    let limit = match budget::state(deps, &m).await? {
        Ok(limit) => limit,
        Err(until) => return defer(deps, Task::Folder(spec.clone()), path, Crowded::Parked(until)).await,
    };
    let Some(held) = connections::take(deps, &m, deadline).await? else {
        return defer(deps, Task::Folder(spec.clone()), path, Crowded::Cap).await;
    };
    let meter = super::rate::Meter::new(deps.clock().clone());
    let run = async {
        let mut cfg = mailbox_sync(deps, &m).await?;
        cfg.settings.deadline = deadline;
        cfg.settings.byte_limit = limit;
        let progress = |p: engine::Progress<'_>| meter.observe(&p);
        Ok::<_, StageError>(engine::copy_one_folder(&cfg, &spec.folder, deps.checkpoints().as_ref(), &progress).await?)
    };
    let run = no_panic("copying a folder", run).await;
    connections::release(deps, held).await;
    meter.flush(deps, job, spec.pass).await;
    match run {
        Ok(report) => settle_run(deps, spec, report, budget::of(deps, &m)).await,
        Err(e) if let Some(why) = crowded(&e) => defer(deps, Task::Folder(spec.clone()), path, why).await,
        Err(e) if e.is_retryable() && !last => {
            tracing::warn!(
                job = %job, mailbox = %address, folder = %path, error = %e, "folder copy failed; the queue will retry"
            );
            Err(e)
        }
        Err(e) => {
            let reason = e.to_string();
            write_failure(deps, job, spec.pass, address, path, &reason).await?;
            let t = FolderTotals { failed: true, ..Default::default() };
            finish::folder_finished(deps, job, spec.pass, address, path, t).await?;
            Ok(TaskOutcome::Failed { reason })
        }
    }
}

/// Account for one run of a folder copy (on its own task or the mailbox task's connections): bytes and skipped
/// messages (counted per run: a folder may take several), the skipped messages' report, and then either the
/// folder's task again (more to do) or the folder finished.
pub(super) async fn settle_run(
    deps: &(impl HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    spec: &FolderTaskSpec,
    report: FolderReport,
    budget: Option<Budget>,
) -> Result<TaskOutcome, StageError> {
    let (job, pass, address, path) = (&spec.job, spec.pass, &spec.mailbox, spec.folder.path.as_str());
    if let Some(b) = budget {
        budget::spend(deps, job, address, b, report.bytes).await?;
    }
    let scope = mailbox_scope(job, pass, address);
    if report.bytes > 0 || !report.skipped.is_empty() {
        let run_deltas = [(counter::BYTES, report.bytes as i64), (counter::SKIPPED, report.skipped.len() as i64)];
        deps.counters().add(&scope, &run_deltas).await.map_err(StageError::port("count progress"))?;
    }
    if !report.skipped.is_empty() {
        let lines: Vec<String> = report
            .skipped
            .iter()
            .map(|s| {
                let (folder, uid, size, date) = (&s.folder, s.uid, s.size, &s.date);
                serde_json::json!({"folder": folder, "uid": uid, "size": size, "date": date, "subject": s.subject,
                    "reason": s.reason})
                .to_string()
            })
            .collect();
        let key = format!(
            "reports/{job}/{pass}/skipped/{address}/{}-{}.jsonl",
            name_hash(path),
            deps.clock().now().timestamp_millis()
        );
        deps.blobs()
            .put(&key, lines.join("\n").into_bytes(), "application/x-ndjson")
            .await
            .map_err(StageError::port("write report"))?;
    }
    match report.outcome {
        FolderOutcome::MoreToDo => {
            deps.tasks()
                .send(&[Task::Folder(spec.clone()).to_body()], Duration::ZERO)
                .await
                .map_err(StageError::port("send folder task"))?;
            Ok(TaskOutcome::MoreToDo)
        }
        outcome => {
            let failed = matches!(outcome, FolderOutcome::Differs { .. });
            if let FolderOutcome::Differs { missing } = outcome {
                let reason = format!("the destination holds {missing} message(s) fewer than the source after the copy");
                write_failure(deps, job, pass, address, path, &reason).await?;
            }
            let copied = report.total_copied.saturating_sub(spec.copied_before);
            let counts = Some((report.source_messages, report.dest_messages));
            let t = FolderTotals { copied, bytes: 0, skipped: 0, failed, counts };
            finish::folder_finished(deps, job, pass, address, path, t).await?;
            Ok(TaskOutcome::Finished { copied: report.copied })
        }
    }
}

/// A short, path-safe name for a folder in report keys.
fn name_hash(path: &str) -> String {
    Sha256::digest(path.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Record why a mailbox (empty `folder`) or folder failed, for the report and the notification.
pub(super) async fn write_failure(
    deps: &impl HasBlobs,
    job: &JobId,
    pass: Pass,
    address: &EmailAddress,
    folder: &str,
    reason: &str,
) -> Result<(), StageError> {
    tracing::warn!(job = %job, mailbox = %address, folder = %folder, reason = %reason, "recorded as failed");
    let key = format!("reports/{job}/{pass}/failed/{address}/{}.json", name_hash(folder));
    let body = serde_json::json!({"mailbox": address, "folder": folder, "reason": reason}).to_string();
    deps.blobs().put(&key, body.into_bytes(), "application/json").await.map_err(StageError::port("write report"))
}
