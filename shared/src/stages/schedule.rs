//! Scheduling a pass: `schedule_pass` records the operator's start time as a one-time schedule (EventBridge
//! Scheduler on AWS, the runner's table embedded), and after a pass the next catch-up is scheduled here too. When
//! a schedule fires, `fan_out` starts the pass.

use super::counter;
use super::holds::{HasBlobs, HasClock, HasCounters, HasSchedules, HasStore};
use super::{ScheduleAction, ScheduleInput, StageError};
use crate::model::{JobId, JobStatus, Pass};
use chrono::{DateTime, Utc};

/// The statuses from which a pass may be scheduled or started.
pub(super) fn startable(pass: Pass) -> &'static [JobStatus] {
    match pass {
        Pass::Initial => &[JobStatus::Validated, JobStatus::Scheduled],
        Pass::Final => &[JobStatus::InitialDone, JobStatus::Scheduled],
        Pass::Extra(_) => &[JobStatus::InitialDone, JobStatus::Complete, JobStatus::Scheduled],
        Pass::CatchUp(_) => &[JobStatus::InitialDone, JobStatus::Scheduled],
    }
}

pub(super) fn no_job(job: &JobId) -> StageError {
    StageError::BadMessage { what: "schedule", detail: format!("there is no job {job}") }
}

/// The schedule's name for a pass (one per job and pass: scheduling again moves it).
pub(crate) fn schedule_name(job: &JobId, pass: Pass) -> String {
    format!("{job}-{pass}")
}

/// Start `pass` of `job` at `at`: the job becomes `scheduled` and a one-time schedule is created.
pub async fn schedule_pass(
    deps: &(impl HasStore + HasCounters + HasBlobs + HasSchedules),
    job: &JobId,
    pass: Pass,
    at: DateTime<Utc>,
) -> Result<(), StageError> {
    let current = deps.store().job(job).await.map_err(StageError::port("read job"))?.ok_or_else(|| no_job(job))?;
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
        super::cutover_state::stop_watching(deps, job, at).await?;
    }
    if current.status != JobStatus::Scheduled {
        deps.store()
            .transition_job(job, current.status, JobStatus::Scheduled)
            .await
            .map_err(StageError::port("schedule job"))?;
    }
    let input = ScheduleInput { job: job.clone(), pass, action: ScheduleAction::Start };
    let input = serde_json::to_string(&input).unwrap_or_default();
    deps.schedules()
        .schedule_at(&schedule_name(job, pass), at, &input)
        .await
        .map_err(StageError::port("create schedule"))?;
    tracing::info!(job = %job, pass = %pass, at = %at, "pass scheduled");
    Ok(())
}

/// The final pass ends the catch-ups: the next one, if scheduled, is removed, and none follows.
async fn cancel_catch_up(deps: &(impl HasCounters + HasSchedules), job: &JobId) -> Result<(), StageError> {
    let rounds = super::catch_up_rounds(deps, job).await?;
    deps.counters()
        .add_once(&format!("{job}/catch-up"), counter::ENDED, &[])
        .await
        .map_err(StageError::port("end catch-ups"))?;
    if rounds > 0 {
        let name = schedule_name(job, Pass::CatchUp(rounds));
        deps.schedules().cancel(&name).await.map_err(StageError::port("remove schedule"))?;
    }
    Ok(())
}

/// After the first pass or a catch-up: schedule the next catch-up, if the job has a catch-up schedule, the final
/// pass was not asked for, and the most it asked for did not run yet. Returns when.
pub(crate) async fn next_catch_up(
    deps: &(impl HasStore + HasCounters + HasBlobs + HasSchedules + HasClock),
    job: &crate::model::Job,
) -> Result<Option<DateTime<Utc>>, StageError> {
    let Some(plan) = job.catch_up else { return Ok(None) };
    let scope = format!("{}/catch-up", job.id);
    if deps.counters().seen(&scope, counter::ENDED).await.map_err(StageError::port("read counters"))? {
        return Ok(None);
    }
    let done = super::catch_up_rounds(deps, &job.id).await?;
    if plan.max.is_some_and(|max| done >= max) {
        return Ok(None);
    }
    let next = done + 1;
    let claimed = deps.counters().add_once(&scope, &format!("round:{next}"), &[(counter::ROUNDS, 1)]).await;
    if claimed.map_err(StageError::port("count catch-ups"))?.is_none() {
        return Ok(None); // another worker scheduled it
    }
    let at = deps.clock().now() + chrono::Duration::seconds(plan.every_secs.min(86_400 * 30) as i64);
    schedule_pass(deps, &job.id, Pass::CatchUp(next), at).await?;
    Ok(Some(at))
}
