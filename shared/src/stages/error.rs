//! The stages' error: each knows whether the queue should deliver the message again (retryable) or the work is
//! recorded as failed and the message dropped (permanent; poison messages end in the dead-letter queue).

use crate::engine::EngineError;
use crate::imap::ImapError;
use crate::ports::PortError;

/// Why a stage could not finish its message.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{op}: {source}")]
    Port {
        op: &'static str,
        #[source]
        source: PortError,
    },
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{what}: {source}")]
    Imap {
        what: String,
        #[source]
        source: ImapError,
    },
    /// A mailbox that cannot be copied as stored (credentials purged, a login method not available).
    #[error("{mailbox}: {reason}")]
    Mailbox { mailbox: String, reason: String },
    /// No access token for a mailbox (the provider's words, and what the operator must do).
    #[error("{mailbox}: no access token: {source}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
    Token {
        mailbox: String,
        #[source]
        source: crate::oauth::OAuthError,
        hint: Option<&'static str>,
    },
    /// A message or event that cannot be understood: retrying cannot help.
    #[error("unreadable {what}: {detail}")]
    BadMessage { what: &'static str, detail: String },
    /// The destination cannot be used at all (checked once before the accounts): nothing was stored.
    #[error("nothing was stored or scheduled: {0}")]
    Destination(#[source] Box<EngineError>),
    /// The work panicked (a bug): it fails with the reason instead of killing the worker or hanging the pass.
    #[error("internal error while {what}: {detail}")]
    Panicked { what: &'static str, detail: String },
}

/// Run `work`; a panic inside it becomes [`StageError::Panicked`] with the panic's message.
pub(crate) async fn no_panic<T>(
    what: &'static str,
    work: impl std::future::Future<Output = Result<T, StageError>>,
) -> Result<T, StageError> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            tracing::error!(what, detail = %detail, "panic caught");
            Err(StageError::Panicked { what, detail })
        }
    }
}

impl StageError {
    /// Whether delivering the same message again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            StageError::Port { source, .. } => source.is_retryable(),
            StageError::Engine(e) => e.is_retryable(),
            StageError::Destination(e) => e.is_retryable(),
            StageError::Imap { source, .. } => source.is_retryable(),
            StageError::Token { source, .. } => source.is_retryable(),
            StageError::BadMessage { .. } | StageError::Mailbox { .. } | StageError::Panicked { .. } => false,
        }
    }

    pub(crate) fn port(op: &'static str) -> impl Fn(PortError) -> StageError {
        move |source| StageError::Port { op, source }
    }
}
