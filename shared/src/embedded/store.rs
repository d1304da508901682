//! The job/mailbox store on SQLite: the status is a column (so transitions are one conditional UPDATE), the rest
//! of each record is JSON.

use super::db::{Database, sql_error};
use crate::model::{EmailAddress, Job, JobId, JobStatus, MailboxRecord, TenantId};
use crate::ports::{JobStore, PortError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

/// [`JobStore`] on the embedded database.
#[derive(Clone)]
pub struct SqliteStore {
    db: Database,
}

impl SqliteStore {
    pub fn new(db: Database) -> Self {
        SqliteStore { db }
    }

    /// Every job of this state directory, newest first (`mailferry jobs`; a cloud store is queried per job).
    pub async fn jobs(&self) -> Result<Vec<Job>, PortError> {
        let rows: Vec<(String, String)> = self
            .db
            .call(|c| {
                let mut st = c.prepare("SELECT status, data FROM jobs").map_err(sql_error("list jobs"))?;
                let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql_error("list jobs"))?;
                rows.collect::<Result<_, _>>().map_err(sql_error("list jobs"))
            })
            .await?;
        let mut jobs = rows
            .into_iter()
            .map(|(status, data)| {
                let mut job: Job = serde_json::from_str(&data).map_err(|e| PortError::corrupt("job", e))?;
                job.status = status.parse().map_err(|e: String| PortError::corrupt("job status", e))?;
                Ok(job)
            })
            .collect::<Result<Vec<Job>, PortError>>()?;
        jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.id.as_str().cmp(b.id.as_str())));
        Ok(jobs)
    }
}

fn status_text(s: JobStatus) -> String {
    s.as_str().to_string()
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn jobs_of(&self, tenant: &TenantId) -> Result<Vec<Job>, PortError> {
        Ok(self.jobs().await?.into_iter().filter(|j| &j.tenant == tenant).collect())
    }

    async fn create_job(&self, job: &Job) -> Result<(), PortError> {
        let data = serde_json::to_string(job).map_err(|e| PortError::corrupt("job", e))?;
        let (id, status) = (job.id.to_string(), status_text(job.status));
        self.db
            .call(move |c| {
                let n = c
                    .execute(
                        "INSERT OR IGNORE INTO jobs (id, status, data) VALUES (?1, ?2, ?3)",
                        params![id, status, data],
                    )
                    .map_err(sql_error("create job"))?;
                if n == 0 { Err(PortError::AlreadyExists { what: format!("job {id}") }) } else { Ok(()) }
            })
            .await
    }

    async fn job(&self, id: &JobId) -> Result<Option<Job>, PortError> {
        let id = id.to_string();
        let row: Option<(String, String)> = self
            .db
            .call(move |c| {
                c.query_row("SELECT status, data FROM jobs WHERE id = ?1", params![id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(sql_error("read job"))
            })
            .await?;
        row.map(|(status, data)| {
            let mut job: Job = serde_json::from_str(&data).map_err(|e| PortError::corrupt("job", e))?;
            job.status = status.parse().map_err(|e: String| PortError::corrupt("job status", e))?;
            Ok(job)
        })
        .transpose()
    }

    async fn transition_job(&self, id: &JobId, from: JobStatus, to: JobStatus) -> Result<bool, PortError> {
        let (id, from, to) = (id.to_string(), status_text(from), status_text(to));
        self.db
            .call(move |c| {
                c.execute("UPDATE jobs SET status = ?3 WHERE id = ?1 AND status = ?2", params![id, from, to])
                    .map(|n| n == 1)
                    .map_err(sql_error("update job status"))
            })
            .await
    }

    async fn put_mailboxes(&self, mailboxes: &[MailboxRecord]) -> Result<(), PortError> {
        let rows = mailboxes
            .iter()
            .map(|m| {
                Ok((
                    m.job.to_string(),
                    m.address.to_string(),
                    serde_json::to_string(m).map_err(|e| PortError::corrupt("mailbox", e))?,
                ))
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        self.db
            .call(move |c| {
                let tx = c.transaction().map_err(sql_error("store mailboxes"))?;
                for (job, address, data) in rows {
                    tx.execute(
                        "INSERT OR REPLACE INTO mailboxes (job, address, data) VALUES (?1, ?2, ?3)",
                        params![job, address, data],
                    )
                    .map_err(sql_error("store mailboxes"))?;
                }
                tx.commit().map_err(sql_error("store mailboxes"))
            })
            .await
    }

    /// As the provided method, then the freed pages are overwritten and the write-ahead log is folded in and
    /// truncated, so no copy of a sealed credential stays anywhere in the files.
    async fn purge_credentials(&self, job: &JobId) -> Result<usize, PortError> {
        let purged = crate::ports::strip_credentials(self, job).await?;
        self.db.scrub().await?;
        Ok(purged)
    }

    async fn mailbox(&self, job: &JobId, address: &EmailAddress) -> Result<Option<MailboxRecord>, PortError> {
        let (job, address) = (job.to_string(), address.to_string());
        let row: Option<String> = self
            .db
            .call(move |c| {
                c.query_row("SELECT data FROM mailboxes WHERE job = ?1 AND address = ?2", params![job, address], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql_error("read mailbox"))
            })
            .await?;
        row.map(|d| serde_json::from_str(&d).map_err(|e| PortError::corrupt("mailbox", e))).transpose()
    }

    async fn mailboxes(&self, job: &JobId) -> Result<Vec<MailboxRecord>, PortError> {
        let job = job.to_string();
        let rows: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c
                    .prepare("SELECT data FROM mailboxes WHERE job = ?1 ORDER BY address")
                    .map_err(sql_error("list mailboxes"))?;
                let rows = st.query_map(params![job], |r| r.get(0)).map_err(sql_error("list mailboxes"))?;
                rows.collect::<Result<Vec<String>, _>>().map_err(sql_error("list mailboxes"))
            })
            .await?;
        rows.iter().map(|d| serde_json::from_str(d).map_err(|e| PortError::corrupt("mailbox", e))).collect()
    }
}
