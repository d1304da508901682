//! The usage ledger: what an import created or changed for a tenant, who did it and when, so usage can be listed
//! and billed (mailboxes and reserved quota per domain per day). Append-only.

use super::PortError;
use crate::model::TenantId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a usage record counts (stored as `mailbox`, `alias` or `domain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageKind {
    Domain,
    Mailbox,
    Alias,
}

impl UsageKind {
    /// The stored and printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Domain => "domain",
            UsageKind::Mailbox => "mailbox",
            UsageKind::Alias => "alias",
        }
    }

    /// The kind of an import report's row (`RowOutcome::kind`: `domain`, `mailbox` or `alias`).
    pub fn of_row(kind: &str) -> Option<UsageKind> {
        [UsageKind::Domain, UsageKind::Mailbox, UsageKind::Alias].into_iter().find(|k| k.as_str() == kind)
    }
}

impl std::fmt::Display for UsageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One account change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    pub kind: UsageKind,
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
