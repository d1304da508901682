//! The embedded runner: plays the parts AWS plays in the cloud. A timer fires due schedules into the scheduler
//! stage; a pool of workers takes tasks from the SQLite queue into the copy stage (acknowledged on success, made
//! visible again with back-off on a retryable error, dead-lettered after `MAX_RECEIVES`); the notifier takes
//! "pass complete" events. It runs until the watched job has no pass scheduled or running and its operator has
//! been notified.

use super::{Home, MAX_RECEIVES};
use futures::FutureExt;
use mailferry::model::{JobId, JobStatus, Pass};
use mailferry::ports::{Delivery, TaskQueue};
use mailferry::stages::{self, PassEvent, ScheduleInput, Task};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a folder task runs before it re-enqueues itself (so long folders interleave and progress is saved).
const TASK_TIME: Duration = Duration::from_secs(600);

fn back_off(receive_count: u32) -> Duration {
    Duration::from_secs(2u64.pow(receive_count.min(6)))
}

async fn fire_schedules(home: &Home) {
    let due = match home.schedules.due(home.deps.clock.now()).await {
        Ok(d) => d,
        Err(e) => return tracing::warn!(error = %e, "cannot read schedules"),
    };
    for (name, input) in due {
        let parsed: Result<ScheduleInput, _> = serde_json::from_str(&input);
        let result = match parsed {
            Ok(input) => stages::on_schedule(&home.deps, &input).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(format!("unreadable schedule input: {e}")),
        };
        match result {
            Ok(()) => {
                let _ = mailferry::ports::Schedules::cancel(&home.schedules, &name).await;
            }
            Err(e) => tracing::warn!(schedule = %name, error = %e, "schedule failed; trying again"),
        }
    }
}

async fn settle(queue: &dyn TaskQueue, d: &Delivery, result: Result<(), (bool, String)>) {
    let outcome = match result {
        Ok(()) => queue.ack(&d.receipt).await,
        Err((retryable, error)) => {
            tracing::warn!(message = %d.id, receive_count = d.receive_count, retryable, error = %error, "message failed");
            let wait = if retryable { back_off(d.receive_count) } else { Duration::ZERO };
            queue.retry_after(&d.receipt, wait).await
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(message = %d.id, error = %e, "cannot settle a message");
    }
}

async fn handle_events(home: &Home) {
    let got = home.events.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap_or_default();
    for d in got {
        let result = match serde_json::from_str::<PassEvent>(&d.body) {
            Ok(event) => stages::on_pass_complete(&home.deps, &event)
                .await
                .map(|_| ())
                .map_err(|e| (e.is_retryable(), e.to_string())),
            Err(e) => Err((false, format!("unreadable event: {e}"))),
        };
        settle(&home.events, &d, result).await;
    }
}

async fn worker(home: &Home, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let got = match home.tasks.receive(1, TASK_TIME * 2, Duration::from_millis(250)).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the task queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for d in got {
            let deadline = Some(tokio::time::Instant::now() + TASK_TIME);
            let result = match Task::parse(&d.body) {
                // The stages turn a panic in the copy into a failed folder; this catch is the last resort that
                // keeps the worker alive (a dead worker would leave `migrate` waiting for ever).
                Ok(task) => std::panic::AssertUnwindSafe(stages::on_task(
                    &home.deps,
                    &task,
                    deadline,
                    d.receive_count >= MAX_RECEIVES,
                ))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| Err(stages::StageError::BadMessage { what: "task", detail: "a panic".into() }))
                .map(|_| ())
                .map_err(|e| (e.is_retryable(), e.to_string())),
                Err(e) => Err((false, e.to_string())),
            };
            settle(&home.tasks, &d, result).await;
        }
    }
}

/// Whether `job` is at rest: no pass scheduled or running, and the last finished pass notified.
pub(crate) async fn at_rest(home: &Home, job: &JobId) -> bool {
    let Ok(Some(j)) = home.deps.store.job(job).await else { return true };
    let pass = match j.status {
        JobStatus::Scheduled | JobStatus::Running => return false,
        JobStatus::InitialDone => Pass::Initial,
        JobStatus::Complete => Pass::Final,
        JobStatus::Validated | JobStatus::Failed | JobStatus::Cancelled => return true,
    };
    j.operator_email.is_none() || home.deps.counters.seen(&format!("{job}/{pass}"), "notified").await.unwrap_or(false)
}

/// Run the pipeline until `job` is at rest.
pub async fn run_until_rest(home: Arc<Home>, job: JobId, workers: usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let pool: Vec<_> = (0..workers.max(1))
        .map(|_| {
            let (home, stop) = (home.clone(), stop.clone());
            tokio::spawn(async move { worker(&home, &stop).await })
        })
        .collect();
    loop {
        fire_schedules(&home).await;
        handle_events(&home).await;
        if at_rest(&home, &job).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in pool {
        let _ = w.await;
    }
}
