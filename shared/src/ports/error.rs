//! The error every port reports. Each variant knows whether it is worth retrying: a retryable error goes back
//! to the queue (SQS redelivers it), a permanent one is recorded and reported.

use chrono::{DateTime, Utc};

/// A boxed cause from a backend (SDK, SQLite, file system).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong in a port.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// A create found the item already there.
    #[error("{what} already exists")]
    AlreadyExists { what: String },
    /// The item is not there.
    #[error("{what} was not found")]
    NotFound { what: String },
    /// Another worker holds the folder's lease.
    #[error("{key} is being copied by {owner} until {until}")]
    LeaseHeld { key: String, owner: String, until: DateTime<Utc> },
    /// The caller's fencing token is no longer current: another worker took the folder over.
    #[error("{key} was taken over by another worker (fencing token {fence} is stale)")]
    Fenced { key: String, fence: u64 },
    /// Sealed data failed authentication (altered, or sealed for another context or key).
    #[error(
        "sealed credentials for {context} could not be opened: they were altered, or sealed for another job or key"
    )]
    Tampered { context: String },
    /// Stored data could not be decoded.
    #[error("{what} is corrupt: {detail}")]
    Corrupt { what: String, detail: String },
    /// The backend failed; `retryable` tells whether the same call may succeed later (throttling, network).
    #[error("{op} failed: {detail}")]
    Backend {
        op: &'static str,
        retryable: bool,
        detail: String,
        #[source]
        source: Option<BoxError>,
    },
}

impl PortError {
    /// Whether retrying the same operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            PortError::Backend { retryable, .. } => *retryable,
            PortError::LeaseHeld { .. } => true,
            _ => false,
        }
    }

    /// A backend failure with its cause kept.
    pub fn backend(op: &'static str, retryable: bool, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        PortError::Backend { op, retryable, detail: source.to_string(), source: Some(source) }
    }

    /// Stored data that does not decode.
    pub fn corrupt(what: impl Into<String>, detail: impl ToString) -> Self {
        PortError::Corrupt { what: what.into(), detail: detail.to_string() }
    }
}
