//! How a copy runs: who holds the folder's lease and for how long, the size of a batch, and when it stops (a
//! deadline, a stop request, a byte budget), plus the largest message it takes. Read by the folder copy and by
//! the source side's batch producer.

use std::time::Duration;
use tokio::time::Instant;

/// Tuning and identity for a copy.
#[derive(Clone, Debug)]
pub struct CopySettings {
    /// Who is copying (the lease owner).
    pub owner: String,
    /// Lease length; renewed every batch.
    pub lease_ttl: Duration,
    /// Bytes per batch (a larger message travels alone).
    pub batch_bytes: u64,
    /// Messages per batch.
    pub batch_max: usize,
    /// Stop cleanly (checkpoint saved, "more to do") once this passes.
    pub deadline: Option<Instant>,
    /// Stop the same way when this is raised (an interrupted command).
    pub stop: super::Stop,
    /// Stop the same way once this run has stored this many bytes (what is left of a download budget).
    pub byte_limit: Option<u64>,
    /// Messages larger than this are skipped, with whose limit it is (a provider preset's).
    pub max_message: Option<(u64, &'static str)>,
}

impl CopySettings {
    /// Whether a copy must stop at this batch boundary: the deadline passed or a stop was asked for.
    pub fn must_stop(&self) -> bool {
        self.stop.requested() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Whether a run that stored `bytes` has used its byte limit.
    pub fn spent(&self, bytes: u64) -> bool {
        self.byte_limit.is_some_and(|l| bytes >= l)
    }
}

impl Default for CopySettings {
    fn default() -> Self {
        CopySettings {
            owner: "mailferry".into(),
            lease_ttl: Duration::from_secs(120),
            batch_bytes: 4 << 20,
            batch_max: 250,
            deadline: None,
            stop: super::Stop::default(),
            byte_limit: None,
            max_message: None,
        }
    }
}
