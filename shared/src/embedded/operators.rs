//! Operator accounts on SQLite: one row per sign-in name, the account as JSON.

use super::db::{Database, sql_error};
use crate::ports::{Operator, Operators, PortError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

/// [`Operators`] on the embedded database.
#[derive(Clone)]
pub struct SqliteOperators {
    db: Database,
}

impl SqliteOperators {
    pub fn new(db: Database) -> Self {
        SqliteOperators { db }
    }
}

#[async_trait]
impl Operators for SqliteOperators {
    async fn operator(&self, email: &str) -> Result<Option<Operator>, PortError> {
        let email = email.trim().to_ascii_lowercase();
        let data: Option<String> = self
            .db
            .call(move |c| {
                c.query_row("SELECT data FROM operators WHERE email = ?1", params![email], |r| r.get(0))
                    .optional()
                    .map_err(sql_error("read operator"))
            })
            .await?;
        data.map(|d| serde_json::from_str(&d).map_err(|e| PortError::corrupt("operator", e))).transpose()
    }

    async fn put_operator(&self, operator: &Operator) -> Result<(), PortError> {
        let email = operator.email.trim().to_ascii_lowercase();
        let data = serde_json::to_string(&Operator { email: email.clone(), ..operator.clone() })
            .map_err(|e| PortError::corrupt("operator", e))?;
        self.db
            .call(move |c| {
                c.execute(
                    "INSERT INTO operators (email, data) VALUES (?1, ?2) ON CONFLICT(email) DO UPDATE SET data = ?2",
                    params![email, data],
                )
                .map(|_| ())
                .map_err(sql_error("store operator"))
            })
            .await
    }
}
