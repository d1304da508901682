//! The counters port: named integer counters per scope (a job, a mailbox), added to atomically so concurrent
//! workers never lose an update (DynamoDB `ADD`, SQLite `UPDATE … SET v = v + ?`).

use super::PortError;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Atomic counters, grouped by scope (for example `job-1` or `job-1/ann@example.com`).
#[async_trait]
pub trait Counters: Send + Sync {
    /// Add each delta (negative to subtract) in one atomic step and return every counter of the scope after
    /// it. Counters start at 0.
    async fn add(&self, scope: &str, deltas: &[(&str, i64)]) -> Result<BTreeMap<String, i64>, PortError>;

    /// Every counter of the scope (empty when none was ever added).
    async fn get(&self, scope: &str) -> Result<BTreeMap<String, i64>, PortError>;
}
