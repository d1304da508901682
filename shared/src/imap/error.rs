//! The IMAP layer's error: what failed, the server's words where it answered, and whether a retry (a new
//! connection, a redelivered task) can help. Command arguments are never included: they may hold a password.

/// An IMAP failure.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// Connecting or reading/writing the socket failed.
    #[error("{op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The server did not answer in time.
    #[error("{op}: no answer within {secs} s")]
    Timeout { op: &'static str, secs: u64 },
    /// The TLS handshake failed (certificate not trusted, wrong name, protocol).
    #[error("TLS with {host} failed: {detail}")]
    Tls { host: String, detail: String },
    /// The server refused the login.
    #[error("login refused by the server: {text}")]
    Auth { text: String },
    /// No access token could be had for a bearer-token sign-in (the token endpoint's words).
    #[error("no access token: {detail}")]
    Token { detail: String, retryable: bool },
    /// The server refused the login because the user has too many sessions open (Dovecot's
    /// `mail_max_userip_connections`, Gmail's 15): a reason to wait and use fewer connections, never a failure.
    #[error("the server allows no more connections for this user now: {text}")]
    TooManyConnections { text: String },
    /// A provider asked to wait before more commands (Microsoft's `Request is throttled. Suggested Backoff Time`,
    /// Gmail's `[THROTTLED]` and bandwidth `[OVERQUOTA]`, `Server Unavailable`): never a failure of the work,
    /// which goes on from its checkpoint after `wait`.
    #[error("{command} throttled by the server for {}: {text}", wait_text(*.wait))]
    Throttled { command: &'static str, text: String, wait: std::time::Duration },
    /// The server ended the session because its access token expired (`* BYE Session invalidated -
    /// AccessTokenExpired`): sign in again with a fresh token and go on.
    #[error("the server ended the session as its access token expired: {text}")]
    SignInExpired { text: String },
    /// The server answered NO to a command.
    #[error("{command} refused by the server: {text}")]
    No { command: &'static str, text: String, code: Option<String> },
    /// The server answered BAD (it did not understand the command).
    #[error("{command} rejected as malformed by the server: {text}")]
    Bad { command: &'static str, text: String },
    /// The server closed the connection.
    #[error("the server closed the connection: {text}")]
    Bye { text: String },
    /// A response that could not be understood.
    #[error("unreadable response from the server: {detail}")]
    Protocol { detail: String },
    /// Answers that contradict each other (e.g. a listing with fewer messages than EXISTS): the session is not
    /// trusted any more.
    #[error("inconsistent answers from the server: {detail}")]
    Inconsistent { detail: String },
    /// A value that cannot be written into a command safely (a CR, LF or NUL in a quoted string).
    #[error("refused to send {what}")]
    Unsafe { what: &'static str },
    /// The server is somewhere this deployment does not connect to.
    #[error("refused to connect to {what}")]
    NotAllowed { what: &'static str },
    /// The server lacks something mailferry needs.
    #[error("the server does not support {what}")]
    Unsupported { what: String },
}

impl ImapError {
    /// Whether a retry on a fresh connection may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ImapError::Io { .. } | ImapError::Timeout { .. } | ImapError::Bye { .. } => true,
            ImapError::TooManyConnections { .. } | ImapError::Throttled { .. } | ImapError::SignInExpired { .. } => {
                true
            }
            ImapError::Token { retryable, .. } => *retryable,
            ImapError::Protocol { .. } | ImapError::Inconsistent { .. } => true,
            ImapError::No { text, code, .. } => {
                let t = text.to_ascii_lowercase();
                matches!(code.as_deref(), Some("UNAVAILABLE" | "LIMIT" | "INUSE" | "SERVERBUG"))
                    || t.contains("throttl")
                    || t.contains("try again")
            }
            ImapError::Tls { .. }
            | ImapError::Auth { .. }
            | ImapError::Bad { .. }
            | ImapError::Unsupported { .. }
            | ImapError::Unsafe { .. }
            | ImapError::NotAllowed { .. } => false,
        }
    }

    /// Whether the server refused a session because the user has too many open.
    pub fn is_too_many_connections(&self) -> bool {
        matches!(self, ImapError::TooManyConnections { .. })
    }

    /// How long a provider asked to wait, when it throttled.
    pub fn throttled_for(&self) -> Option<std::time::Duration> {
        match self {
            ImapError::Throttled { wait, .. } => Some(*wait),
            _ => None,
        }
    }

    /// Whether the session ended because its access token expired.
    pub fn is_sign_in_expired(&self) -> bool {
        matches!(self, ImapError::SignInExpired { .. })
    }

    /// A refused login's words: throttled, too many connections, or a refusal of the credentials.
    pub(crate) fn refused_login(text: String) -> ImapError {
        if let Some(wait) = super::signals::throttle_wait("AUTHENTICATE", &text, None) {
            return ImapError::Throttled { command: "LOGIN", text, wait };
        }
        let t = text.to_ascii_lowercase();
        if t.contains("maximum number of connections")
            || t.contains("too many simultaneous connections")
            || t.contains("too many connections")
        {
            ImapError::TooManyConnections { text }
        } else {
            ImapError::Auth { text }
        }
    }

    pub(crate) fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> ImapError {
        move |source| ImapError::Io { op, source }
    }

    pub(crate) fn protocol(detail: impl Into<String>) -> ImapError {
        ImapError::Protocol { detail: detail.into() }
    }
}

/// A wait as people say it: `1.5 s`, `5 min`.
fn wait_text(wait: std::time::Duration) -> String {
    match wait.as_secs() {
        0..=119 => format!("{:.1} s", wait.as_secs_f64()),
        s => format!("{} min", s.div_ceil(60)),
    }
}
