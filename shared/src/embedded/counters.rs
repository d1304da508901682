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
}
