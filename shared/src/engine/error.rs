//! The engine's error: an IMAP failure, a checkpoint failure, or a folder taken over by another worker.

use crate::imap::ImapError;
use crate::ports::PortError;

/// Why a folder copy stopped early.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{folder}: {source}")]
    Imap {
        folder: String,
        #[source]
        source: ImapError,
    },
    #[error("{folder}: checkpoint: {source}")]
    Checkpoint {
        folder: String,
        #[source]
        source: PortError,
    },
}

impl EngineError {
    /// Whether running the folder again (new connections, resume from the checkpoint) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Imap { source, .. } => source.is_retryable(),
            EngineError::Checkpoint { source, .. } => source.is_retryable(),
        }
    }

    /// True when another worker owns the folder now: stop without retrying.
    pub fn is_fenced(&self) -> bool {
        matches!(self, EngineError::Checkpoint { source: PortError::Fenced { .. } | PortError::LeaseHeld { .. }, .. })
    }
}
