//! A schedule fired: `on_schedule` marks the pass running and sends one mailbox task per ready mailbox, at most
//! `mailboxes_in_flight` at first: each finished mailbox sends the next one (see `finish`). A schedule may also
//! end a job (the credentials' expiry) or run a cutover check.

use super::counter;
use super::holds::{HasBlobs, HasClock, HasCounters, HasDns, HasEvents, HasSchedules, HasSettings, HasStore, HasTasks};
use super::schedule::{no_job, startable};
use super::{ScheduleAction, ScheduleInput, StageError, Task, finish, pass_scope};
use crate::model::JobStatus;
use std::time::Duration;

/// A schedule fired: mark the pass running and send the first mailbox tasks. A repeated event sends the same
/// first tasks again (harmless: tasks are idempotent) until the fan-out is recorded complete, then nothing.
/// Returns how many mailbox tasks were sent.
pub async fn on_schedule<D>(deps: &D, input: &ScheduleInput) -> Result<usize, StageError>
where
    D: HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock + HasDns + HasSettings,
{
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
    let current = deps.store().job(job).await.map_err(StageError::port("read job"))?.ok_or_else(|| no_job(job))?;
    let mut running = current.status == JobStatus::Running;
    for from in startable(pass) {
        if !running && current.status == *from {
            running = deps
                .store()
                .transition_job(job, *from, JobStatus::Running)
                .await
                .map_err(StageError::port("start pass"))?;
        }
    }
    let scope = pass_scope(job, pass);
    if !running || deps.counters().seen(&scope, counter::FANNED_OUT).await.map_err(StageError::port("read counters"))? {
        tracing::info!(
            job = %job, pass = %pass, status = %current.status,
            "schedule fired for a pass already under way or over; nothing to do"
        );
        return Ok(0);
    }
    let ready = super::ready_mailboxes(deps, job, pass).await?;
    let first = ready.len().min(deps.settings().mailboxes_in_flight.max(1));
    deps.counters()
        .add_once(
            &scope,
            counter::FANOUT,
            &[(counter::MAILBOXES, ready.len() as i64), (counter::STARTED, first as i64)],
        )
        .await
        .map_err(StageError::port("count mailboxes"))?;
    let bodies: Vec<String> =
        ready[..first].iter().map(|m| Task::Mailbox { job: job.clone(), pass, mailbox: m.clone() }.to_body()).collect();
    deps.tasks().send(&bodies, Duration::ZERO).await.map_err(StageError::port("send mailbox tasks"))?;
    if ready.is_empty() {
        finish::pass_finished(deps, job, pass).await?;
    }
    deps.counters().add_once(&scope, counter::FANNED_OUT, &[]).await.map_err(StageError::port("record fan-out"))?;
    tracing::info!(job = %job, pass = %pass, mailboxes = ready.len(), sent = first, "pass started");
    Ok(first)
}
