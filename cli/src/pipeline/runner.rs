//! The embedded runner: plays the parts AWS plays in the cloud. A timer fires due schedules into the scheduler
//! stage; a pool of workers takes tasks from the SQLite queue into the copy stage (acknowledged on success, made
//! visible again with back-off on a retryable error, dead-lettered after `MAX_RECEIVES`); the notifier takes
//! "pass complete" events. It runs until the watched job has no pass scheduled or running and its operator has
//! been notified, or until it is asked to stop (Ctrl-C): then the tasks in flight end at a batch boundary and
//! are settled (a folder with more to do goes back on the queue), so nothing is left hidden or leased.
//!
//! While it runs it holds a runner lock on the state directory (`mailferry::embedded::runners`); at start and
//! every few seconds it hands back what runners that died without stopping had received or leased.

use super::progress::Live;
use super::{Home, MAX_RECEIVES, lease_owner};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use mailferry::embedded::runners::{RunnerLock, dead_holders};
use mailferry::model::{JobId, JobStatus};
use mailferry::ports::{Delivery, TaskQueue};
use mailferry::stages::{self, PassEvent, ScheduleInput, StageError, Task, delivery};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a folder task runs before it re-enqueues itself (so long folders interleave and progress is saved).
const TASK_TIME: Duration = Duration::from_secs(600);

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

/// Settle a delivery by the one delivery policy (`stages::delivery`).
async fn settle(queue: &dyn TaskQueue, d: &Delivery, result: Result<(), StageError>) {
    if let Err(e) = &result {
        tracing::warn!(
            message = %d.id, receive_count = d.receive_count, retryable = e.is_retryable(), error = %e, "message failed"
        );
    }
    if let Err(e) = delivery::settle(queue, &d.receipt, delivery::settlement(&result, d.receive_count)).await {
        tracing::warn!(message = %d.id, error = %e, "cannot settle a message");
    }
}

async fn handle_events(home: &Home) {
    let got = home.events.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap_or_default();
    for d in got {
        let result = match serde_json::from_str::<PassEvent>(&d.body) {
            Ok(event) => stages::on_pass_complete(&home.deps, &event).await.map(|_| ()),
            Err(e) => Err(StageError::BadMessage { what: "pass event", detail: e.to_string() }),
        };
        settle(&home.events, &d, result).await;
    }
}

/// What the connection slots of runner `holder` start with.
fn slot_prefix(holder: &str) -> String {
    stages::holder_prefix(&lease_owner(holder))
}

/// Hand back the tasks and leases of runners that died (their lock files are free); returns how many holders.
pub(crate) async fn rescue(home: &Home) -> usize {
    let dead = dead_holders(&home.dir);
    for d in &dead {
        let at: DateTime<Utc> = d.hand_back_at.into();
        let tasks = home.tasks.release_held_by(&d.holder, at).await.unwrap_or_default();
        let events = home.events.release_held_by(&d.holder, at).await.unwrap_or_default();
        let leases = home.checkpoints.expire_leases_of(&lease_owner(&d.holder), at).await.unwrap_or_default();
        let slots = home.slots.expire_held_by(&slot_prefix(&d.holder), at).await.unwrap_or_default();
        tracing::info!(
            holder = %d.holder, tasks, events, leases, slots, at = %at, "handing back the work of a runner that is gone"
        );
    }
    dead.len()
}

async fn worker(home: &Home, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) && !home.deps.settings.copy.stop.requested() {
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
                .unwrap_or_else(|_| Err(StageError::BadMessage { what: "task", detail: "a panic".into() }))
                .map(|_| ()),
                Err(e) => Err(e),
            };
            settle(&home.tasks, &d, result).await;
        }
    }
}

/// Whether `job` is at rest: no pass scheduled or running, the cutover assistant not watching it, and every
/// finished pass notified.
pub(crate) async fn at_rest(home: &Home, job: &JobId) -> bool {
    let Ok(Some(j)) = home.deps.store.job(job).await else { return true };
    match j.status {
        JobStatus::Scheduled | JobStatus::Running => return false,
        JobStatus::InitialDone => {
            if stages::cutover::watching(&home.deps, job).await.unwrap_or(false) {
                return false;
            }
        }
        JobStatus::Complete => {}
        JobStatus::Validated | JobStatus::Failed | JobStatus::Cancelled => return true,
    }
    if j.operator_email.is_none() {
        return true;
    }
    let counters = &home.deps.counters;
    for pass in stages::passes_of(&home.deps, job).await.unwrap_or_default() {
        let scope = format!("{job}/{pass}");
        let complete = counters.seen(&scope, "complete").await.unwrap_or(false);
        if complete && !counters.seen(&scope, "notified").await.unwrap_or(true) {
            return false;
        }
    }
    true
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The job is at rest (see [`at_rest`]).
    AtRest,
    /// A stop was asked for; the work in flight was settled and the job resumes when run again.
    Interrupted,
}

/// Run the pipeline until `job` is at rest or a stop is asked for (`home.deps.settings.copy.stop`).
pub async fn run_until_rest(home: Arc<Home>, job: JobId, workers: usize, live: &mut Live) -> RunEnd {
    run(home, Some(job), workers, live).await
}

/// Run the pipeline for every job until a stop is asked for (`mailferry serve`).
pub async fn run_until_stopped(home: Arc<Home>, workers: usize) -> RunEnd {
    run(home, None, workers, &mut Live::new(true, Duration::from_secs(3600))).await
}

async fn run(home: Arc<Home>, job: Option<JobId>, workers: usize, live: &mut Live) -> RunEnd {
    let _lock = RunnerLock::take(&home.dir, &home.holder)
        .inspect_err(|e| tracing::warn!(error = %e, "cannot take the runner lock; a crash would hide tasks longer"))
        .ok();
    rescue(&home).await;
    let stop = Arc::new(AtomicBool::new(false));
    let pool: Vec<_> = (0..workers.max(1))
        .map(|_| {
            let (home, stop) = (home.clone(), stop.clone());
            tokio::spawn(async move { worker(&home, &stop).await })
        })
        .collect();
    let interrupted = || home.deps.settings.copy.stop.requested();
    let mut round = 0u32;
    let end = loop {
        if interrupted() {
            break RunEnd::Interrupted;
        }
        fire_schedules(&home).await;
        handle_events(&home).await;
        if let Some(job) = &job
            && at_rest(&home, job).await
        {
            break RunEnd::AtRest;
        }
        round = round.wrapping_add(1);
        if let Some(job) = job.as_ref().filter(|_| round % 5 == 1) {
            live.update(&home, job, false).await;
        }
        if round.is_multiple_of(25) {
            rescue(&home).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    stop.store(true, Ordering::Relaxed);
    for w in pool {
        let _ = w.await;
    }
    if let Some(job) = &job {
        live.finish(&home, job).await;
    }
    // Every worker settled what it received; anything still marked as ours is handed back all the same.
    let now = home.deps.clock.now();
    let _ = home.tasks.release_held_by(&home.holder, now).await;
    let _ = home.events.release_held_by(&home.holder, now).await;
    let _ = home.checkpoints.expire_leases_of(&lease_owner(&home.holder), now).await;
    let _ = home.slots.expire_held_by(&slot_prefix(&home.holder), now).await;
    end
}
