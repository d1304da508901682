//! The checkpoint port: how far each folder has been copied, guarded by leases with fencing tokens so two
//! workers can never both advance one folder (see `model::checkpoint`).

use super::PortError;
use crate::model::{Checkpoint, Claim, FolderKey, Lease};
use async_trait::async_trait;
use std::time::Duration;

/// Per-folder checkpoints (DynamoDB conditional writes on AWS, SQLite transactions embedded).
#[async_trait]
pub trait Checkpoints: Send + Sync {
    /// Take the folder for `ttl`: succeeds when nobody holds it, the lease ran out, or `owner` already holds
    /// it. Every success issues a new, higher fencing token. [`PortError::LeaseHeld`] otherwise.
    async fn acquire(&self, key: &FolderKey, owner: &str, ttl: Duration) -> Result<Claim, PortError>;

    /// Extend the lease; [`PortError::Fenced`] if `fence` is no longer current.
    async fn renew(&self, key: &FolderKey, fence: u64, ttl: Duration) -> Result<Lease, PortError>;

    /// Write the checkpoint; [`PortError::Fenced`] if `fence` is no longer current (nothing is written).
    async fn save(&self, key: &FolderKey, fence: u64, checkpoint: &Checkpoint) -> Result<(), PortError>;

    /// Give the folder up (the checkpoint stays); [`PortError::Fenced`] if `fence` is no longer current.
    async fn release(&self, key: &FolderKey, fence: u64) -> Result<(), PortError>;

    /// The checkpoint as last saved, without taking the folder.
    async fn load(&self, key: &FolderKey) -> Result<Option<Checkpoint>, PortError>;
}

/// A checkpoint from the JSON both homes store it as (`key`: which one, for the error).
pub fn decode_checkpoint(data: &str, key: &FolderKey) -> Result<Checkpoint, PortError> {
    serde_json::from_str(data).map_err(|e| PortError::corrupt(format!("checkpoint of {key}"), e))
}

/// A lease's end as both homes store it: milliseconds since the Unix epoch (out of range: the epoch).
pub fn lease_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
