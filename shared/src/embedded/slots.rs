//! Connection slots on SQLite: one row per live holder of a scope; every take is one immediate transaction that
//! drops the scope's expired leases, counts the others and inserts, so concurrent takers (threads or processes)
//! never hold more than the limit.

use super::db::{Database, millis, sql_error};
use crate::ports::{Clock, PortError, Slots};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};
use std::sync::Arc;
use std::time::Duration;

/// [`Slots`] on the embedded database, with leases measured by `clock`.
#[derive(Clone)]
pub struct SqliteSlots {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl SqliteSlots {
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        SqliteSlots { db, clock }
    }

    /// End at `at` every slot whose holder starts with `prefix` (leases ending sooner are left alone): that
    /// process is gone (see `embedded::runners`). Returns how many slots were shortened.
    pub async fn expire_held_by(&self, prefix: &str, at: DateTime<Utc>) -> Result<usize, PortError> {
        let (prefix, at) = (prefix.to_string(), millis(at));
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE slots SET until_ms = ?2 WHERE substr(holder, 1, length(?1)) = ?1 AND until_ms > ?2",
                    params![prefix, at],
                )
                .map_err(sql_error("end slots"))
            })
            .await
    }
}

#[async_trait]
impl Slots for SqliteSlots {
    async fn take(&self, scope: &str, holder: &str, limit: u32, ttl: Duration) -> Result<bool, PortError> {
        let now = millis(self.clock.now());
        let until = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let (scope, holder) = (scope.to_string(), holder.to_string());
        self.db
            .call(move |c| {
                let tx =
                    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error("take a slot"))?;
                tx.execute("DELETE FROM slots WHERE scope = ?1 AND until_ms <= ?2", params![scope, now])
                    .map_err(sql_error("take a slot"))?;
                let others: i64 = tx
                    .query_row(
                        "SELECT count(*) FROM slots WHERE scope = ?1 AND holder <> ?2",
                        params![scope, holder],
                        |r| r.get(0),
                    )
                    .map_err(sql_error("take a slot"))?;
                let free = others < i64::from(limit);
                if free {
                    tx.execute(
                        "INSERT INTO slots (scope, holder, until_ms) VALUES (?1, ?2, ?3)
                         ON CONFLICT (scope, holder) DO UPDATE SET until_ms = excluded.until_ms",
                        params![scope, holder, until],
                    )
                    .map_err(sql_error("take a slot"))?;
                }
                tx.commit().map_err(sql_error("take a slot"))?;
                Ok(free)
            })
            .await
    }

    async fn give_back(&self, scope: &str, holder: &str) -> Result<(), PortError> {
        let (scope, holder) = (scope.to_string(), holder.to_string());
        self.db
            .call(move |c| {
                c.execute("DELETE FROM slots WHERE scope = ?1 AND holder = ?2", params![scope, holder])
                    .map(|_| ())
                    .map_err(sql_error("give a slot back"))
            })
            .await
    }

    async fn holders(&self, scope: &str) -> Result<Vec<String>, PortError> {
        let (scope, now) = (scope.to_string(), millis(self.clock.now()));
        self.db
            .call(move |c| {
                let mut st = c
                    .prepare("SELECT holder FROM slots WHERE scope = ?1 AND until_ms > ?2 ORDER BY holder")
                    .map_err(sql_error("read slots"))?;
                let rows = st.query_map(params![scope, now], |r| r.get(0)).map_err(sql_error("read slots"))?;
                rows.collect::<Result<_, _>>().map_err(sql_error("read slots"))
            })
            .await
    }
}
