//! Counters on SQLite: every add runs in one immediate transaction, so concurrent adders (threads or processes)
//! never lose an update.

use super::db::{Database, sql_error};
use crate::ports::{Counters, PortError};
use async_trait::async_trait;
use rusqlite::{Connection, TransactionBehavior, params};
use std::collections::BTreeMap;

/// [`Counters`] on the embedded database.
#[derive(Clone)]
pub struct SqliteCounters {
    db: Database,
}

impl SqliteCounters {
    pub fn new(db: Database) -> Self {
        SqliteCounters { db }
    }
}

fn read(c: &Connection, scope: &str) -> Result<BTreeMap<String, i64>, PortError> {
    let mut st = c.prepare("SELECT name, value FROM counters WHERE scope = ?1").map_err(sql_error("read counters"))?;
    let rows = st.query_map(params![scope], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql_error("read counters"))?;
    rows.collect::<Result<_, _>>().map_err(sql_error("read counters"))
}

#[async_trait]
impl Counters for SqliteCounters {
    async fn add(&self, scope: &str, deltas: &[(&str, i64)]) -> Result<BTreeMap<String, i64>, PortError> {
        let scope = scope.to_string();
        let deltas: Vec<(String, i64)> = deltas.iter().map(|(n, d)| (n.to_string(), *d)).collect();
        self.db
            .call(move |c| {
                let tx =
                    c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error("add counters"))?;
                for (name, delta) in &deltas {
                    tx.execute(
                        "INSERT INTO counters (scope, name, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (scope, name) DO UPDATE SET value = value + excluded.value",
                        params![scope, name, delta],
                    )
                    .map_err(sql_error("add counters"))?;
                }
                let after = read(&tx, &scope)?;
                tx.commit().map_err(sql_error("add counters"))?;
                Ok(after)
            })
            .await
    }

    async fn get(&self, scope: &str) -> Result<BTreeMap<String, i64>, PortError> {
        let scope = scope.to_string();
        self.db.call(move |c| read(c, &scope)).await
    }

    async fn add_once(
        &self,
        scope: &str,
        event: &str,
        deltas: &[(&str, i64)],
    ) -> Result<Option<BTreeMap<String, i64>>, PortError> {
        let (scope, event) = (scope.to_string(), event.to_string());
        let deltas: Vec<(String, i64)> = deltas.iter().map(|(n, d)| (n.to_string(), *d)).collect();
        self.db
            .call(move |c| {
                let op = "add counters once";
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error(op))?;
                let new = tx
                    .execute(
                        "INSERT OR IGNORE INTO counter_events (scope, event) VALUES (?1, ?2)",
                        params![scope, event],
                    )
                    .map_err(sql_error(op))?;
                if new == 0 {
                    return Ok(None);
                }
                for (name, delta) in &deltas {
                    tx.execute(
                        "INSERT INTO counters (scope, name, value) VALUES (?1, ?2, ?3)
                         ON CONFLICT (scope, name) DO UPDATE SET value = value + excluded.value",
                        params![scope, name, delta],
                    )
                    .map_err(sql_error(op))?;
                }
                let after = read(&tx, &scope)?;
                tx.commit().map_err(sql_error(op))?;
                Ok(Some(after))
            })
            .await
    }

    async fn seen(&self, scope: &str, event: &str) -> Result<bool, PortError> {
        let (scope, event) = (scope.to_string(), event.to_string());
        self.db
            .call(move |c| {
                c.query_row(
                    "SELECT COUNT(*) FROM counter_events WHERE scope = ?1 AND event = ?2",
                    params![scope, event],
                    |r| r.get::<_, i64>(0),
                )
                .map(|n| n > 0)
                .map_err(sql_error("read counter events"))
            })
            .await
    }

    async fn forget(&self, scope: &str, event: &str) -> Result<(), PortError> {
        let (scope, event) = (scope.to_string(), event.to_string());
        self.db
            .call(move |c| {
                c.execute("DELETE FROM counter_events WHERE scope = ?1 AND event = ?2", params![scope, event])
                    .map(|_| ())
                    .map_err(sql_error("forget counter event"))
            })
            .await
    }
}
