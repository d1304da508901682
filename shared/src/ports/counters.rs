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
    /// Add `deltas` only the first time `event` is added to this scope, recording the event in the same atomic
    /// step: `Some(counters after)` the first time, `None` on every repeat. A redelivered message (SQS is
    /// at-least-once) is counted once this way, and the caller whose add brings a total to its end knows it is
    /// the only one (how "pass complete" is emitted exactly once).
    async fn add_once(
        &self,
        scope: &str,
        event: &str,
        deltas: &[(&str, i64)],
    ) -> Result<Option<BTreeMap<String, i64>>, PortError>;
    /// Whether `event` was recorded in this scope.
    async fn seen(&self, scope: &str, event: &str) -> Result<bool, PortError>;
    /// Forget a recorded event (its deltas stay): a claim whose work failed can be taken again.
    async fn forget(&self, scope: &str, event: &str) -> Result<(), PortError>;
}
