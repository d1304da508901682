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
    /// A failure reaching or using one side before any folder: which side, server and user, and what to try.
    #[error("{side} server {server}, user {user}: {source}{}", advice(.source))]
    Server {
        side: Side,
        server: String,
        user: String,
        #[source]
        source: ImapError,
    },
}

/// Which end of a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Source,
    Destination,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if *self == Side::Source { "source" } else { "destination" })
    }
}

/// What an operator can do about a connection or login failure, when the error says enough to tell.
fn advice(e: &ImapError) -> &'static str {
    match e {
        ImapError::Tls { detail, .. } if detail.contains("UnknownIssuer") => {
            " (the certificate is not signed by an authority mailferry knows: give the server's CA with --ca-file)"
        }
        ImapError::Tls { detail, .. }
            if detail.contains("InvalidContentType") || detail.contains("corrupt message") =>
        {
            " (this port does not speak TLS: use imap://…?starttls, or the server's TLS port, usually 993)"
        }
        ImapError::Tls { detail, .. } if detail.contains("NotValidForName") => {
            " (the certificate was issued for another name: connect by the name on the certificate)"
        }
        ImapError::Auth { .. } => " (check the user name and the password, or the master user)",
        ImapError::Io { op: "resolve the server name", .. } => " (check the host name)",
        ImapError::Io { op: "connect", .. } => " (nothing accepts connections there: check the host and the port)",
        ImapError::Timeout { op: "read the greeting", .. } => {
            " (the server sent no IMAP greeting: if this is a TLS port, usually 993, use imaps://)"
        }
        _ => "",
    }
}

impl EngineError {
    /// Whether running the folder again (new connections, resume from the checkpoint) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Imap { source, .. } => source.is_retryable(),
            EngineError::Checkpoint { source, .. } => source.is_retryable(),
            EngineError::Server { source, .. } => source.is_retryable(),
        }
    }

    /// True when, at the first connection of a run, the error points at a setting rather than a passing fault
    /// (a host name that does not resolve, a server that sends no greeting: a TLS port spoken to in plain text),
    /// so retrying only makes the operator wait.
    pub fn is_setting_mistake(&self) -> bool {
        matches!(
            self,
            EngineError::Server {
                source: ImapError::Timeout { op: "read the greeting", .. }
                    | ImapError::Io { op: "resolve the server name", .. },
                ..
            }
        )
    }

    /// True when a server refused a session because the user has too many open: wait, or let another
    /// connection of the same mailbox do the work.
    pub fn is_too_many_connections(&self) -> bool {
        match self {
            EngineError::Server { source, .. } | EngineError::Imap { source, .. } => source.is_too_many_connections(),
            EngineError::Checkpoint { .. } => false,
        }
    }

    /// How long a provider asked to wait, when it throttled.
    pub fn throttled_for(&self) -> Option<std::time::Duration> {
        match self {
            EngineError::Server { source, .. } | EngineError::Imap { source, .. } => source.throttled_for(),
            EngineError::Checkpoint { .. } => None,
        }
    }

    /// Whether a session ended because its access token expired.
    pub fn is_sign_in_expired(&self) -> bool {
        match self {
            EngineError::Server { source, .. } | EngineError::Imap { source, .. } => source.is_sign_in_expired(),
            EngineError::Checkpoint { .. } => false,
        }
    }

    /// True when another worker owns the folder now: stop without retrying.
    pub fn is_fenced(&self) -> bool {
        matches!(self, EngineError::Checkpoint { source: PortError::Fenced { .. } | PortError::LeaseHeld { .. }, .. })
    }
}
