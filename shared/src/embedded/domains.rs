//! The domain registry on SQLite: one row per domain; the primary key makes the first claim win.

use super::db::{Database, sql_error};
use crate::model::TenantId;
use crate::ports::{DomainOwners, PortError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

/// [`DomainOwners`] on the embedded database.
#[derive(Clone)]
pub struct SqliteDomainOwners {
    db: Database,
}

impl SqliteDomainOwners {
    pub fn new(db: Database) -> Self {
        SqliteDomainOwners { db }
    }
}

#[async_trait]
impl DomainOwners for SqliteDomainOwners {
    async fn owner(&self, domain: &str) -> Result<Option<TenantId>, PortError> {
        let domain = domain.to_string();
        let owner: Option<String> = self
            .db
            .call(move |c| {
                c.query_row("SELECT tenant FROM domain_owners WHERE domain = ?1", params![domain], |r| r.get(0))
                    .optional()
                    .map_err(sql_error("read domain owner"))
            })
            .await?;
        owner.map(|t| TenantId::new(t).map_err(|e| PortError::corrupt("domain owner", e))).transpose()
    }

    async fn claim(&self, tenant: &TenantId, domain: &str) -> Result<(), PortError> {
        let (t, d) = (tenant.to_string(), domain.to_string());
        let owner: String = self
            .db
            .call(move |c| {
                let tx = c.transaction().map_err(sql_error("claim domain"))?;
                tx.execute(
                    "INSERT INTO domain_owners (domain, tenant) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![d, t],
                )
                .map_err(sql_error("claim domain"))?;
                let owner = tx
                    .query_row("SELECT tenant FROM domain_owners WHERE domain = ?1", params![d], |r| r.get(0))
                    .map_err(sql_error("claim domain"))?;
                tx.commit().map_err(sql_error("claim domain"))?;
                Ok(owner)
            })
            .await?;
        if owner == tenant.as_str() {
            Ok(())
        } else {
            Err(PortError::AlreadyExists { what: format!("domain {domain} (it belongs to another tenant)") })
        }
    }
}
