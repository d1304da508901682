//! The domain registry on DynamoDB: one item `DOMAIN#<domain>` / `OWNER` holding the tenant, written with a
//! condition so the first claim wins.

use super::error::sdk_error;
use super::store::s;
use crate::model::TenantId;
use crate::ports::{DomainOwners, PortError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

/// [`DomainOwners`] on DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoDomainOwners {
    client: Client,
    table: String,
}

impl DynamoDomainOwners {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDomainOwners { client, table: table.into() }
    }
}

#[async_trait]
impl DomainOwners for DynamoDomainOwners {
    async fn owner(&self, domain: &str) -> Result<Option<TenantId>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("DOMAIN#{domain}")))
            .key("sk", s("OWNER"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read domain owner", e))?;
        let tenant = out.item.and_then(|i| i.get("tenant").and_then(|v| v.as_s().ok()).cloned());
        tenant.map(|t| TenantId::new(t).map_err(|e| PortError::corrupt("domain owner", e))).transpose()
    }

    async fn claim(&self, tenant: &TenantId, domain: &str) -> Result<(), PortError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("DOMAIN#{domain}")))
            .item("sk", s("OWNER"))
            .item("tenant", s(tenant.as_str()))
            .condition_expression("attribute_not_exists(pk) OR tenant = :t")
            .expression_attribute_values(":t", s(tenant.as_str()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                Err(PortError::AlreadyExists { what: format!("domain {domain} (it belongs to another tenant)") })
            }
            Err(e) => Err(sdk_error("claim domain", e)),
        }
    }
}
