//! Schedules on SQLite: a table of one-time triggers that the embedded runner polls (`due`), firing each through
//! the same scheduler stage as on AWS and removing it once that succeeded.

use super::db::{Database, millis, sql_error};
use crate::ports::{PortError, Schedules};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;

/// [`Schedules`] on the embedded database.
#[derive(Clone)]
pub struct SqliteSchedules {
    db: Database,
}

impl SqliteSchedules {
    pub fn new(db: Database) -> Self {
        SqliteSchedules { db }
    }

    /// Schedules whose time has come by `now`, oldest first: `(name, input)`.
    pub async fn due(&self, now: DateTime<Utc>) -> Result<Vec<(String, String)>, PortError> {
        let now = millis(now);
        self.db
            .call(move |c| {
                let mut st = c
                    .prepare("SELECT name, input FROM schedules WHERE at <= ?1 ORDER BY at, name")
                    .map_err(sql_error("read schedules"))?;
                let rows =
                    st.query_map(params![now], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql_error("read schedules"))?;
                rows.collect::<Result<_, _>>().map_err(sql_error("read schedules"))
            })
            .await
    }

    /// Every schedule not yet fired: `(name, at, input)`.
    pub async fn pending(&self) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError> {
        self.db
            .call(move |c| {
                let mut st = c
                    .prepare("SELECT name, at, input FROM schedules ORDER BY at, name")
                    .map_err(sql_error("read schedules"))?;
                let rows = st
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
                    .map_err(sql_error("read schedules"))?;
                let rows: Vec<_> = rows.collect::<Result<_, _>>().map_err(sql_error("read schedules"))?;
                Ok(rows
                    .into_iter()
                    .map(|(n, at, i)| (n, DateTime::from_timestamp_millis(at).unwrap_or_default(), i))
                    .collect())
            })
            .await
    }
}

#[async_trait]
impl Schedules for SqliteSchedules {
    async fn of_job(&self, job: &crate::model::JobId) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError> {
        let prefix = format!("{job}-");
        Ok(self.pending().await?.into_iter().filter(|(name, ..)| name.starts_with(&prefix)).collect())
    }

    async fn schedule_at(&self, name: &str, at: DateTime<Utc>, input: &str) -> Result<(), PortError> {
        let (name, at, input) = (name.to_string(), millis(at), input.to_string());
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO schedules (name, at, input) VALUES (?1, ?2, ?3)",
                    params![name, at, input],
                )
                .map(|_| ())
                .map_err(sql_error("create schedule"))
            })
            .await
    }

    async fn cancel(&self, name: &str) -> Result<(), PortError> {
        let name = name.to_string();
        self.db
            .call(move |c| {
                c.execute("DELETE FROM schedules WHERE name = ?1", params![name])
                    .map(|_| ())
                    .map_err(sql_error("remove schedule"))
            })
            .await
    }
}
