//! The job/mailbox store port: jobs with a compare-and-set status, and their mailboxes.

use super::PortError;
use crate::model::{EmailAddress, Job, JobId, JobStatus, MailboxRecord, TenantId};
use async_trait::async_trait;

/// Holds jobs and their mailboxes (DynamoDB items on AWS, SQLite rows embedded).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Store a new job; [`PortError::AlreadyExists`] if its id is taken, so a re-delivered upload event
    /// cannot create it twice.
    async fn create_job(&self, job: &Job) -> Result<(), PortError>;

    /// The job, or `None`.
    async fn job(&self, id: &JobId) -> Result<Option<Job>, PortError>;

    /// Every job of one tenant, newest first (the control panel's lists; never another tenant's).
    async fn jobs_of(&self, tenant: &TenantId) -> Result<Vec<Job>, PortError>;

    /// Move the job from `from` to `to` if, and only if, it is in `from`; `false` when it was not. Two workers
    /// racing on one transition: exactly one gets `true`.
    async fn transition_job(&self, id: &JobId, from: JobStatus, to: JobStatus) -> Result<bool, PortError>;

    /// Store (or replace) mailboxes of a job.
    async fn put_mailboxes(&self, mailboxes: &[MailboxRecord]) -> Result<(), PortError>;

    /// A job's mailboxes, ordered by address.
    async fn mailboxes(&self, job: &JobId) -> Result<Vec<MailboxRecord>, PortError>;

    /// One mailbox of a job, read by its key (every copy task needs its own, not the whole job's list).
    async fn mailbox(&self, job: &JobId, address: &EmailAddress) -> Result<Option<MailboxRecord>, PortError>;

    /// Remove the sealed credentials of every mailbox of a job; returns how many held some. Written once here
    /// on top of the two methods above, so every home purges the same way.
    async fn purge_credentials(&self, job: &JobId) -> Result<usize, PortError> {
        strip_credentials(self, job).await
    }
}

/// The purge every home shares: rewrite each mailbox of `job` that holds sealed credentials without them.
pub async fn strip_credentials<S: JobStore + ?Sized>(store: &S, job: &JobId) -> Result<usize, PortError> {
    let mut changed = Vec::new();
    for mut m in store.mailboxes(job).await? {
        if m.sealed_credentials.take().is_some() {
            changed.push(m);
        }
    }
    store.put_mailboxes(&changed).await?;
    Ok(changed.len())
}
