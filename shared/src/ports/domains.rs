//! Which tenant owns which destination domain. A tenant acts only on its own domains: a migration row whose
//! destination address, or an import row whose domain, is not the uploading tenant's is refused by line. Domains
//! are claimed by imports (a domain an import creates belongs to its tenant) or declared by the operator.
//! The first claim wins; claiming one's own domain again is fine.

use super::PortError;
use crate::model::TenantId;
use async_trait::async_trait;

/// The tenant → domains registry (a SQLite table embedded; DynamoDB items `DOMAIN#<domain>` on AWS).
#[async_trait]
pub trait DomainOwners: Send + Sync {
    /// The tenant owning `domain` (ASCII, lower case), if any.
    async fn owner(&self, domain: &str) -> Result<Option<TenantId>, PortError>;
    /// Record that `tenant` owns `domain`. A domain another tenant owns is [`PortError::AlreadyExists`] naming
    /// the domain (not the other tenant: one tenant learns nothing about another).
    async fn claim(&self, tenant: &TenantId, domain: &str) -> Result<(), PortError>;
}
