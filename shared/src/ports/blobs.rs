//! The blob port: uploaded files and reports, by key (S3 on AWS, a directory embedded).

use super::PortError;
use async_trait::async_trait;

/// Stores whole objects by key (`migrations/acme/x.csv`, `reports/job-1/validation.json`).
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Store (or replace) an object.
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), PortError>;

    /// The object, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, PortError>;

    /// Remove an object; removing a missing one is not an error.
    async fn delete(&self, key: &str) -> Result<(), PortError>;

    /// Keys under a prefix, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError>;
}
