//! The usage ledger on SQLite: one row per record, read back by time (then insertion order).

use super::db::{Database, millis, sql_error};
use crate::model::TenantId;
use crate::ports::{PortError, UsageLedger, UsageRecord};
use async_trait::async_trait;
use rusqlite::params;

/// [`UsageLedger`] on the embedded database.
#[derive(Clone)]
pub struct SqliteUsage {
    db: Database,
}

impl SqliteUsage {
    pub fn new(db: Database) -> Self {
        SqliteUsage { db }
    }
}

#[async_trait]
impl UsageLedger for SqliteUsage {
    async fn record(&self, records: &[UsageRecord]) -> Result<(), PortError> {
        let rows = records
            .iter()
            .map(|r| {
                let data = serde_json::to_string(r).map_err(|e| PortError::corrupt("usage record", e))?;
                Ok((r.tenant.to_string(), millis(r.at), data))
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        self.db
            .call(move |c| {
                let tx = c.transaction().map_err(sql_error("record usage"))?;
                for (tenant, at, data) in rows {
                    tx.execute("INSERT INTO usage (tenant, at, data) VALUES (?1, ?2, ?3)", params![tenant, at, data])
                        .map_err(sql_error("record usage"))?;
                }
                tx.commit().map_err(sql_error("record usage"))
            })
            .await
    }

    async fn records(&self, tenant: &TenantId) -> Result<Vec<UsageRecord>, PortError> {
        let tenant = tenant.to_string();
        let rows: Vec<String> = self
            .db
            .call(move |c| {
                let mut st = c
                    .prepare("SELECT data FROM usage WHERE tenant = ?1 ORDER BY at, seq")
                    .map_err(sql_error("read usage"))?;
                let rows = st.query_map(params![tenant], |r| r.get(0)).map_err(sql_error("read usage"))?;
                rows.collect::<Result<_, _>>().map_err(sql_error("read usage"))
            })
            .await?;
        rows.iter().map(|d| serde_json::from_str(d).map_err(|e| PortError::corrupt("usage record", e))).collect()
    }
}
