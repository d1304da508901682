//! The copy stage: mailbox tasks (plan the folders, create them on the destination, enqueue one folder task
//! each) and folder tasks (run the engine until done or the deadline; more to do goes back on the queue).
//! Retryable errors go back to the queue (the caller lets the message reappear with back-off); permanent ones,
//! or retryable ones on the last delivery, are recorded under `reports/<job>/<pass>/failed/` and the folder ends
//! failed, so a pass always ends.

use super::credentials::mailbox_sync;
use super::error::no_panic;
use super::finish::{self, FolderTotals};
use super::{Deps, FolderTaskSpec, StageError, Task, mailbox_scope};
use crate::engine::{self, FolderOutcome};
use crate::model::{FolderKey, JobId, MailboxRecord, Pass};
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
    /// A server refused a session for too many connections: the task was sent again for later (never a
    /// failure, and not a delivery counted towards the dead-letter queue).
    Deferred,
}

/// Whether a stage error is a server refusing a session for too many connections.
fn crowded(e: &StageError) -> bool {
    matches!(e, StageError::Engine(e) if e.is_too_many_connections())
}

/// Send `task` again for later because a server is crowded: 5 to 15 s, spread so that deferred tasks do not all
/// come back at once.
async fn defer(deps: &Deps, task: Task, what: &str) -> Result<TaskOutcome, StageError> {
    let spread = deps.clock.now().timestamp_subsec_millis() as u64 * 10;
    let wait = Duration::from_millis(5_000 + spread);
    deps.tasks.send(&[task.to_body()], wait).await.map_err(StageError::port("defer a task"))?;
    tracing::info!(task = %what, wait_ms = wait.as_millis() as u64, "server crowded; task deferred");
    Ok(TaskOutcome::Deferred)
}

/// Handle one task. `deadline`: when the worker must stop (Lambda's deadline minus a margin); `last_delivery`:
/// the queue will not deliver this message again, so a retryable failure is recorded as final.
pub async fn on_task(
    deps: &Deps,
    task: &Task,
    deadline: Option<Instant>,
    last_delivery: bool,
) -> Result<TaskOutcome, StageError> {
    match task {
        Task::Mailbox { job, pass, mailbox } => on_mailbox(deps, job, *pass, mailbox, last_delivery).await,
        Task::Folder(spec) => on_folder(deps, spec, deadline, last_delivery).await,
    }
}

async fn record(deps: &Deps, job: &JobId, address: &str) -> Result<MailboxRecord, StageError> {
    deps.store
        .mailbox(job, address)
        .await
        .map_err(StageError::port("read mailbox"))?
        .ok_or_else(|| StageError::BadMessage { what: "task", detail: format!("job {job} has no mailbox {address}") })
}

async fn on_mailbox(
    deps: &Deps,
    job: &JobId,
    pass: Pass,
    address: &str,
    last: bool,
) -> Result<TaskOutcome, StageError> {
    let mut m = record(deps, job, address).await?;
    if !m.ready() {
        return Ok(TaskOutcome::Skipped);
    }
    let scope = mailbox_scope(job, pass, address);
    let planning = async { Ok::<_, StageError>(engine::prepare_mailbox(&mailbox_sync(deps, &m).await?).await?) };
    let planned = no_panic("planning a mailbox", planning).await;
    let plan = match planned {
        Ok(p) => p,
        Err(e) if crowded(&e) => {
            let task = Task::Mailbox { job: job.clone(), pass, mailbox: address.to_string() };
            return defer(deps, task, address).await;
        }
        Err(e) if e.is_retryable() && !last => return Err(e),
        Err(e) => {
            let reason = e.to_string();
            write_failure(deps, job, pass, address, "", &reason).await?;
            let now = deps.clock.now().timestamp_millis();
            let totals = deps
                .counters
                .add_once(&scope, "planned", &[("folders", 0), ("failed", 1), ("started_ms", now)])
                .await
                .map_err(StageError::port("count folders"))?;
            if let Some(totals) = totals {
                finish::mailbox_finished(deps, job, pass, address, &totals).await?;
            }
            return Ok(TaskOutcome::Failed { reason });
        }
    };
    for f in &plan.folders {
        if !m.details.folders.contains(&f.path) {
            m.details.folders.push(f.path.clone());
        }
    }
    deps.store.put_mailboxes(std::slice::from_ref(&m)).await.map_err(StageError::port("store folders"))?;
    let mut bodies = Vec::with_capacity(plan.folders.len());
    for f in &plan.folders {
        let key = FolderKey { job: job.clone(), mailbox: address.to_string(), folder: f.path.clone() };
        let copied_before =
            deps.checkpoints.load(&key).await.map_err(StageError::port("read checkpoint"))?.map_or(0, |c| c.copied);
        let spec =
            FolderTaskSpec { job: job.clone(), pass, mailbox: address.to_string(), folder: f.clone(), copied_before };
        bodies.push(Task::Folder(spec).to_body());
    }
    let now = deps.clock.now().timestamp_millis();
    let first = deps
        .counters
        .add_once(&scope, "planned", &[("folders", plan.folders.len() as i64), ("started_ms", now)])
        .await
        .map_err(StageError::port("count folders"))?;
    deps.tasks.send(&bodies, Duration::ZERO).await.map_err(StageError::port("send folder tasks"))?;
    if let Some(totals) = first.filter(|_| plan.folders.is_empty()) {
        finish::mailbox_finished(deps, job, pass, address, &totals).await?;
    }
    tracing::info!(job = %job, pass = %pass, mailbox = %address, folders = plan.folders.len(), "mailbox planned");
    Ok(TaskOutcome::Planned { folders: plan.folders.len() })
}

async fn on_folder(
    deps: &Deps,
    spec: &FolderTaskSpec,
    deadline: Option<Instant>,
    last: bool,
) -> Result<TaskOutcome, StageError> {
    let (job, pass, address, path) = (&spec.job, spec.pass, spec.mailbox.as_str(), spec.folder.path.as_str());
    let m = record(deps, job, address).await?;
    let run = async {
        let mut cfg = mailbox_sync(deps, &m).await?;
        cfg.settings.deadline = deadline;
        Ok::<_, StageError>(engine::copy_one_folder(&cfg, &spec.folder, deps.checkpoints.as_ref(), &|_| {}).await?)
    };
    let run = no_panic("copying a folder", run).await;
    let report = match run {
        Ok(r) => r,
        Err(e) if crowded(&e) => return defer(deps, Task::Folder(spec.clone()), path).await,
        Err(e) if e.is_retryable() && !last => {
            tracing::warn!(job = %job, mailbox = %address, folder = %path, error = %e, "folder copy failed; the queue will retry");
            return Err(e);
        }
        Err(e) => {
            let reason = e.to_string();
            write_failure(deps, job, pass, address, path, &reason).await?;
            let t = FolderTotals { failed: true, ..Default::default() };
            finish::folder_finished(deps, job, pass, address, path, t).await?;
            return Ok(TaskOutcome::Failed { reason });
        }
    };
    // Bytes and skipped messages are counted per run (a folder may take several runs).
    let scope = mailbox_scope(job, pass, address);
    let run_deltas = [("bytes", report.bytes as i64), ("skipped", report.skipped.len() as i64)];
    deps.counters.add(&scope, &run_deltas).await.map_err(StageError::port("count progress"))?;
    if !report.skipped.is_empty() {
        let lines: Vec<String> = report
            .skipped
            .iter()
            .map(|s| {
                serde_json::json!({"folder": s.folder, "uid": s.uid, "size": s.size, "date": s.date, "subject": s.subject, "reason": s.reason}).to_string()
            })
            .collect();
        let key = format!(
            "reports/{job}/{pass}/skipped/{address}/{}-{}.jsonl",
            name_hash(path),
            deps.clock.now().timestamp_millis()
        );
        deps.blobs
            .put(&key, lines.join("\n").into_bytes(), "application/x-ndjson")
            .await
            .map_err(StageError::port("write report"))?;
    }
    match report.outcome {
        FolderOutcome::MoreToDo => {
            deps.tasks
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
            let t = FolderTotals { copied, bytes: 0, skipped: 0, failed };
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
async fn write_failure(
    deps: &Deps,
    job: &JobId,
    pass: Pass,
    address: &str,
    folder: &str,
    reason: &str,
) -> Result<(), StageError> {
    tracing::warn!(job = %job, mailbox = %address, folder = %folder, reason = %reason, "recorded as failed");
    let key = format!("reports/{job}/{pass}/failed/{address}/{}.json", name_hash(folder));
    let body = serde_json::json!({"mailbox": address, "folder": folder, "reason": reason}).to_string();
    deps.blobs.put(&key, body.into_bytes(), "application/json").await.map_err(StageError::port("write report"))
}
