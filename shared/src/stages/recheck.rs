//! Checking one mailbox's source again (the panel's per-row re-check): the same live pre-flight as the upload
//! (login, folders, messages, size, the destination's quota), its result stored with the mailbox. A mailbox
//! refused at upload that passes now takes part in the job's next pass; one that fails now is left out of it.

use super::holds::{HasClock, HasSecrets, HasSettings, HasStore};
use super::{StageError, credentials, preflight};
use crate::model::{EmailAddress, JobId, Preflight};

/// Check `address` of `job` again; what the check found.
pub async fn recheck(
    deps: &(impl HasStore + HasSecrets + HasClock + HasSettings),
    job: &JobId,
    address: &EmailAddress,
) -> Result<Preflight, StageError> {
    let missing =
        || StageError::Mailbox { mailbox: address.to_string(), reason: format!("job {job} has no such mailbox") };
    let m = deps.store().mailbox(job, address).await.map_err(StageError::port("read mailbox"))?.ok_or_else(missing)?;
    let account = credentials::account_of(deps, &m).await?;
    let found = preflight::check_all(deps, &[&account]).await.pop().unwrap_or_default();
    // Read again: a copy task may have updated the record (its folders) while the check ran.
    let mut m =
        deps.store().mailbox(job, address).await.map_err(StageError::port("read mailbox"))?.ok_or_else(missing)?;
    m.details.preflight = Some(found.clone());
    deps.store().put_mailboxes(std::slice::from_ref(&m)).await.map_err(StageError::port("store mailbox"))?;
    tracing::info!(job = %job, mailbox = %address, problem = ?found.problem, "mailbox checked again");
    Ok(found)
}
