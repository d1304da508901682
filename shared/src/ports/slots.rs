//! The connection-slots port: how many connections one scope (a mailbox, a source server across a job) may
//! have open at once, counted as leases, so that a holder that dies frees its slot when its lease ends instead
//! of holding it for ever. On AWS this is what keeps many copy functions within a server's limits: Lambda's
//! concurrency caps functions, not connections per mailbox or per server.

use super::PortError;
use async_trait::async_trait;
use std::time::Duration;

/// Leased slots per scope (for example `job-1/mailbox/ann@example.com` or `job-1/host/imap.old.example`).
#[async_trait]
pub trait Slots: Send + Sync {
    /// Take one of `limit` slots of `scope` for `holder` for `ttl`: `Ok(true)` when fewer than `limit` other
    /// holders have a live lease (a holder that has one already renews it), `Ok(false)` when all are taken.
    /// Atomic: concurrent takers never hold more than `limit` slots between them.
    async fn take(&self, scope: &str, holder: &str, limit: u32, ttl: Duration) -> Result<bool, PortError>;
    /// Give `holder`'s slot back (nothing happens when it has none).
    async fn give_back(&self, scope: &str, holder: &str) -> Result<(), PortError>;
    /// The holders with a live lease, sorted.
    async fn holders(&self, scope: &str) -> Result<Vec<String>, PortError>;
}
