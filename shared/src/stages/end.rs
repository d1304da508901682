//! Ending a job before its final pass: cancelled by the operator, or expired when its credentials' retention
//! period is over (a one-time schedule made at upload). Either way the job stops for good, its pending pass
//! schedules are removed and every sealed credential is purged. Idempotent: ending an ended job purges again
//! (a no-op) and changes nothing else.

use super::StageError;
use super::holds::{HasBlobs, HasCounters, HasSchedules, HasStore};
use super::schedule::schedule_name;
use crate::model::{JobId, JobStatus, Pass};

/// The schedule that expires a job's credentials.
pub(crate) fn expiry_name(job: &JobId) -> String {
    format!("{job}-expire")
}

/// Cancel `job` and purge its credentials; returns how many mailboxes held some.
pub async fn cancel(
    deps: &(impl HasStore + HasCounters + HasBlobs + HasSchedules),
    job: &JobId,
) -> Result<usize, StageError> {
    let no_job = || StageError::BadMessage { what: "job", detail: format!("there is no job {job}") };
    // Compare-and-set until the job is ended: a worker may move it (running → initial done) meanwhile.
    for _ in 0..10 {
        let current = deps.store().job(job).await.map_err(StageError::port("read job"))?.ok_or_else(no_job)?;
        if matches!(current.status, JobStatus::Complete | JobStatus::Failed | JobStatus::Cancelled) {
            break;
        }
        if deps
            .store()
            .transition_job(job, current.status, JobStatus::Cancelled)
            .await
            .map_err(StageError::port("cancel job"))?
        {
            break;
        }
    }
    let mut names = vec![schedule_name(job, Pass::Initial), schedule_name(job, Pass::Final), expiry_name(job)];
    names.extend(super::extra_passes(deps, job).await?.into_iter().map(|p| schedule_name(job, p)));
    for name in names {
        deps.schedules().cancel(&name).await.map_err(StageError::port("remove schedule"))?;
    }
    let purged = deps.store().purge_credentials(job).await.map_err(StageError::port("purge credentials"))?;
    super::held::purge(deps, job).await?;
    tracing::info!(job = %job, purged, "job ended: credentials purged");
    Ok(purged)
}
