//! Operator accounts on SQLite: one row per sign-in name, the account as JSON; signing in checks the password
//! against its Argon2id hash.

use super::db::{Database, sql_error};
use crate::model::Secret;
use crate::ports::{Identity, Operator, Operators, PortError, SignIn};
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

#[async_trait]
impl SignIn for SqliteOperators {
    async fn sign_in(&self, email: &str, password: &Secret<String>) -> Result<Option<Identity>, PortError> {
        let operator = self.operator(email).await?;
        let hash = operator.as_ref().map(|o| o.password_hash.clone());
        let password = Secret::new(password.expose().clone());
        // Argon2 takes tens of milliseconds of CPU: off the async threads.
        let ok = tokio::task::spawn_blocking(move || crate::crypto::verify_password(hash.as_deref(), &password))
            .await
            .unwrap_or(false);
        Ok(operator.filter(|_| ok).map(|o| Identity { email: o.email, tenants: o.tenants }))
    }
}
