//! The usage ledger: what an import created or changed for a tenant, who did it and when, so usage can be listed
//! and billed (mailboxes and reserved quota per domain per day). Append-only.

use super::PortError;
use crate::model::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One account change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    /// `mailbox`, `alias` or `domain`.
    pub kind: String,
    /// The address (or the domain name for a domain).
    pub address: String,
    pub domain: String,
    /// Reserved quota in MB after the change (mailboxes; 0 = unlimited).
    pub quota_mb: u64,
    /// `created` or `updated`.
    pub action: String,
    /// Who ran the import (the operator, or the uploading principal).
    pub by: String,
    /// The import file.
    pub source_file: String,
}

/// Append-only usage records per tenant (a SQLite table embedded; DynamoDB items on AWS).
#[async_trait]
pub trait UsageLedger: Send + Sync {
    /// Append records.
    async fn record(&self, records: &[UsageRecord]) -> Result<(), PortError>;
    /// A tenant's records, oldest first.
    async fn records(&self, tenant: &TenantId) -> Result<Vec<UsageRecord>, PortError>;
}
