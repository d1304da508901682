//! Scheduling a pass and its fan-out. `schedule_pass` records the operator's start time as a one-time schedule
//! (EventBridge Scheduler on AWS, the runner's table embedded); when it fires, `on_schedule` marks the pass
//! running and sends one mailbox task per ready mailbox, at most `mailboxes_in_flight` at first: each finished
//! mailbox sends the next one (see `finish`).

use super::{Deps, ScheduleAction, ScheduleInput, StageError, Task, finish, pass_scope};
use crate::model::{JobId, JobStatus, Pass};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The statuses from which a pass may be scheduled or started.
fn startable(pass: Pass) -> &'static [JobStatus] {
    match pass {
        Pass::Initial => &[JobStatus::Validated, JobStatus::Scheduled],
        Pass::Final => &[JobStatus::InitialDone, JobStatus::Scheduled],
        Pass::Extra(_) => &[JobStatus::InitialDone, JobStatus::Complete, JobStatus::Scheduled],
        Pass::CatchUp(_) => &[JobStatus::InitialDone, JobStatus::Scheduled],
    }
}

fn no_job(job: &JobId) -> StageError {
    StageError::BadMessage { what: "schedule", detail: format!("there is no job {job}") }
}

/// The schedule's name for a pass (one per job and pass: scheduling again moves it).
pub(crate) fn schedule_name(job: &JobId, pass: Pass) -> String {
    format!("{job}-{pass}")
}

/// Start `pass` of `job` at `at`: the job becomes `scheduled` and a one-time schedule is created.
pub async fn schedule_pass(deps: &Deps, job: &JobId, pass: Pass, at: DateTime<Utc>) -> Result<(), StageError> {
    let current = deps.store.job(job).await.map_err(StageError::port("read job"))?.ok_or_else(|| no_job(job))?;
    if pass == Pass::Final && current.status == JobStatus::Complete {
        return Err(StageError::Mailbox {
            mailbox: job.to_string(),
            reason: format!(
                "the final pass is over; for another pass over every mailbox (its credentials were purged): \
                 mailferry retry {job} --all --credentials FILE"
            ),
        });
    }
    if !startable(pass).contains(&current.status) {
        return Err(StageError::Mailbox {
            mailbox: job.to_string(),
            reason: format!(
                "the {pass} pass cannot be scheduled while the job is {} (it can be from: {})",
                current.status,
                startable(pass).iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    if pass == Pass::Final {
        cancel_catch_up(deps, job).await?;
        super::cutover::stop_watching(deps, job, at).await?;
    }
    if current.status != JobStatus::Scheduled {
        deps.store
            .transition_job(job, current.status, JobStatus::Scheduled)
            .await
            .map_err(StageError::port("schedule job"))?;
    }
    let input = ScheduleInput { job: job.clone(), pass, action: ScheduleAction::Start };
    let input = serde_json::to_string(&input).unwrap_or_default();
    deps.schedules
        .schedule_at(&schedule_name(job, pass), at, &input)
        .await
        .map_err(StageError::port("create schedule"))?;
    tracing::info!(job = %job, pass = %pass, at = %at, "pass scheduled");
    Ok(())
}

/// The final pass ends the catch-ups: the next one, if scheduled, is removed, and none follows.
async fn cancel_catch_up(deps: &Deps, job: &JobId) -> Result<(), StageError> {
    let rounds = super::catch_up_rounds(deps, job).await?;
    deps.counters
        .add_once(&format!("{job}/catch-up"), "ended", &[])
        .await
        .map_err(StageError::port("end catch-ups"))?;
    if rounds > 0 {
        let name = schedule_name(job, Pass::CatchUp(rounds));
        deps.schedules.cancel(&name).await.map_err(StageError::port("remove schedule"))?;
    }
    Ok(())
}

/// After the first pass or a catch-up: schedule the next catch-up, if the job has a catch-up schedule, the final
/// pass was not asked for, and the most it asked for did not run yet. Returns when.
pub(crate) async fn next_catch_up(deps: &Deps, job: &crate::model::Job) -> Result<Option<DateTime<Utc>>, StageError> {
    let Some(plan) = job.catch_up else { return Ok(None) };
    let scope = format!("{}/catch-up", job.id);
    if deps.counters.seen(&scope, "ended").await.map_err(StageError::port("read counters"))? {
        return Ok(None);
    }
    let done = super::catch_up_rounds(deps, &job.id).await?;
    if plan.max.is_some_and(|max| done >= max) {
        return Ok(None);
    }
    let next = done + 1;
    let claimed = deps.counters.add_once(&scope, &format!("round:{next}"), &[("rounds", 1)]).await;
    if claimed.map_err(StageError::port("count catch-ups"))?.is_none() {
        return Ok(None); // another worker scheduled it
    }
    let at = deps.clock.now() + chrono::Duration::seconds(plan.every_secs.min(86_400 * 30) as i64);
    schedule_pass(deps, &job.id, Pass::CatchUp(next), at).await?;
    Ok(Some(at))
}

/// A schedule fired: mark the pass running and send the first mailbox tasks. A repeated event sends the same
/// first tasks again (harmless: tasks are idempotent) until the fan-out is recorded complete, then nothing.
/// Returns how many mailbox tasks were sent.
pub async fn on_schedule(deps: &Deps, input: &ScheduleInput) -> Result<usize, StageError> {
    let (job, pass) = (&input.job, input.pass);
    match input.action {
        ScheduleAction::Start => {}
        ScheduleAction::Expire => {
            let purged = super::end::cancel(deps, job).await?;
            tracing::info!(job = %job, purged, "credentials' retention period over: job cancelled");
            return Ok(0);
        }
        ScheduleAction::Cutover => return super::cutover::on_watch(deps, job).await.map(|()| 0),
    }
    let current = deps.store.job(job).await.map_err(StageError::port("read job"))?.ok_or_else(|| no_job(job))?;
    let mut running = current.status == JobStatus::Running;
    for from in startable(pass) {
        if !running && current.status == *from {
            running = deps
                .store
                .transition_job(job, *from, JobStatus::Running)
                .await
                .map_err(StageError::port("start pass"))?;
        }
    }
    let scope = pass_scope(job, pass);
    if !running || deps.counters.seen(&scope, "fanned_out").await.map_err(StageError::port("read counters"))? {
        tracing::info!(job = %job, pass = %pass, status = %current.status, "schedule fired for a pass already under way or over; nothing to do");
        return Ok(0);
    }
    let ready = super::ready_mailboxes(deps, job, pass).await?;
    let first = ready.len().min(deps.settings.mailboxes_in_flight.max(1));
    deps.counters
        .add_once(&scope, "fanout", &[("mailboxes", ready.len() as i64), ("started", first as i64)])
        .await
        .map_err(StageError::port("count mailboxes"))?;
    let bodies: Vec<String> =
        ready[..first].iter().map(|m| Task::Mailbox { job: job.clone(), pass, mailbox: m.clone() }.to_body()).collect();
    deps.tasks.send(&bodies, Duration::ZERO).await.map_err(StageError::port("send mailbox tasks"))?;
    if ready.is_empty() {
        finish::pass_finished(deps, job, pass).await?;
    }
    deps.counters.add_once(&scope, "fanned_out", &[]).await.map_err(StageError::port("record fan-out"))?;
    tracing::info!(job = %job, pass = %pass, mailboxes = ready.len(), sent = first, "pass started");
    Ok(first)
}
