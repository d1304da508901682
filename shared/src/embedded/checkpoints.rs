//! Checkpoints on SQLite: each operation is one immediate transaction that checks the lease or fencing token
//! and writes, so two workers (threads or processes) can never both hold or advance a folder.

use super::db::{Database, millis, sql_error};
use crate::model::{Checkpoint, Claim, FolderKey, Lease};
use crate::ports::{Checkpoints, Clock, PortError};
use crate::ports::{decode_checkpoint as decode, lease_time};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::sync::Arc;
use std::time::Duration;

/// [`Checkpoints`] on the embedded database, with leases measured by `clock`.
#[derive(Clone)]
pub struct SqliteCheckpoints {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl SqliteCheckpoints {
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        SqliteCheckpoints { db, clock }
    }

    /// How many folders of `job` have a batch open (sent, or being sent, and not yet recorded as stored).
    pub async fn open_batches(&self, job: &crate::model::JobId) -> Result<usize, PortError> {
        let job = job.as_str().to_string();
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT count(*) FROM checkpoints WHERE job = ?1 AND json_extract(data, '$.open_batch') IS NOT \
                     NULL",
                    params![job],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n as usize)
                .map_err(sql_error("count open batches"))
            })
            .await
    }

    /// End every lease `owner` holds at `at` (leases ending sooner are left alone): that process is gone (see
    /// `embedded::runners`). The fencing token is left as it is; the next `acquire` raises it, so a late write
    /// of the old owner is still refused. Returns how many leases were shortened.
    pub async fn expire_leases_of(&self, owner: &str, at: DateTime<Utc>) -> Result<usize, PortError> {
        let (owner, at) = (owner.to_string(), millis(at));
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE checkpoints SET lease_until = ?2 WHERE owner = ?1 AND lease_until > ?2",
                    params![owner, at],
                )
                .map_err(sql_error("end leases"))
            })
            .await
    }
}

struct Row {
    fence: u64,
    owner: String,
    lease_until: i64,
    data: String,
}

fn load_row(c: &rusqlite::Connection, k: &FolderKey) -> Result<Option<Row>, PortError> {
    c.query_row(
        "SELECT fence, owner, lease_until, data FROM checkpoints WHERE job = ?1 AND mailbox = ?2 AND folder = ?3",
        params![k.job.as_str(), k.mailbox, k.folder],
        |r| Ok(Row { fence: r.get::<_, i64>(0)? as u64, owner: r.get(1)?, lease_until: r.get(2)?, data: r.get(3)? }),
    )
    .optional()
    .map_err(sql_error("read checkpoint"))
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

impl SqliteCheckpoints {
    /// Run a fenced update: `f` gets the current row (fence already checked) and returns the new
    /// `(lease_until, data)`.
    async fn fenced<T: Send + 'static>(
        &self,
        key: &FolderKey,
        fence: u64,
        op: &'static str,
        f: impl FnOnce(&Row) -> Result<(i64, String, T), PortError> + Send + 'static,
    ) -> Result<T, PortError> {
        let key = key.clone();
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error(op))?;
                let row = load_row(&tx, &key)?
                    .filter(|r| r.fence == fence)
                    .ok_or_else(|| PortError::Fenced { key: key.to_string(), fence })?;
                let (until, data, out) = f(&row)?;
                tx.execute(
                    "UPDATE checkpoints SET lease_until = ?4, data = ?5 WHERE job = ?1 AND mailbox = ?2 AND folder = \
                     ?3",
                    params![key.job.as_str(), key.mailbox, key.folder, until, data],
                )
                .map_err(sql_error(op))?;
                tx.commit().map_err(sql_error(op))?;
                Ok(out)
            })
            .await
    }
}

#[async_trait]
impl Checkpoints for SqliteCheckpoints {
    async fn acquire(&self, key: &FolderKey, owner: &str, ttl: Duration) -> Result<Claim, PortError> {
        let (key, owner, now) = (key.clone(), owner.to_string(), millis(self.clock.now()));
        let until = now.saturating_add(ttl_ms(ttl));
        self.db
            .call(move |c| {
                let tx =
                    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error("acquire folder"))?;
                let current = load_row(&tx, &key)?;
                if let Some(r) = &current
                    && r.owner != owner
                    && r.lease_until > now
                {
                    let until = lease_time(r.lease_until);
                    return Err(PortError::LeaseHeld { key: key.to_string(), owner: r.owner.clone(), until });
                }
                let fence = current.as_ref().map_or(1, |r| r.fence + 1);
                let fresh = || serde_json::to_string(&Checkpoint::default()).unwrap_or_default();
                let data = current.map_or_else(fresh, |r| r.data);
                tx.execute(
                    "INSERT INTO checkpoints (job, mailbox, folder, fence, owner, lease_until, data) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (job, mailbox, folder) DO UPDATE SET \
                     fence = excluded.fence, owner = excluded.owner, lease_until = excluded.lease_until",
                    params![key.job.as_str(), key.mailbox, key.folder, fence as i64, owner, until, data],
                )
                .map_err(sql_error("acquire folder"))?;
                tx.commit().map_err(sql_error("acquire folder"))?;
                let checkpoint = decode(&data, &key)?;
                Ok(Claim { lease: Lease { fence, owner, expires_at: lease_time(until) }, checkpoint })
            })
            .await
    }

    async fn renew(&self, key: &FolderKey, fence: u64, ttl: Duration) -> Result<Lease, PortError> {
        let until = millis(self.clock.now()).saturating_add(ttl_ms(ttl));
        self.fenced(key, fence, "renew lease", move |r| {
            Ok((until, r.data.clone(), Lease { fence, owner: r.owner.clone(), expires_at: lease_time(until) }))
        })
        .await
    }

    async fn save(&self, key: &FolderKey, fence: u64, checkpoint: &Checkpoint) -> Result<(), PortError> {
        let data = serde_json::to_string(checkpoint).map_err(|e| PortError::corrupt("checkpoint", e))?;
        self.fenced(key, fence, "save checkpoint", move |r| Ok((r.lease_until, data, ()))).await
    }

    async fn release(&self, key: &FolderKey, fence: u64) -> Result<(), PortError> {
        self.fenced(key, fence, "release folder", |r| Ok((0, r.data.clone(), ()))).await
    }

    async fn load(&self, key: &FolderKey) -> Result<Option<Checkpoint>, PortError> {
        let key = key.clone();
        self.db.call(move |c| load_row(c, &key)?.map(|r| decode(&r.data, &key)).transpose()).await
    }
}
