//! A source account to migrate, as the migration CSV describes it: where the old server is, how to log in, and
//! which destination mailbox receives the mail. Credentials are [`Secret`]s from the moment they are read.

use super::{EmailAddress, Secret};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the connection to an IMAP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (`imaps`, usually port 993). The default.
    Tls,
    /// Plain connection upgraded with STARTTLS (RFC 3501 §6.2.1), usually port 143.
    Starttls,
    /// No encryption at all; only when asked for explicitly.
    Plain,
}

impl Security {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::Starttls | Security::Plain => 143,
        }
    }
}

/// Which login method a row uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthKind {
    /// The user's own password (LOGIN or AUTHENTICATE PLAIN).
    Password,
    /// An administrator ("master") user logging in on behalf of the user (SASL PLAIN authzid, or `user*master`).
    Master,
    /// OAuth 2.0 bearer token (XOAUTH2 / OAUTHBEARER).
    Oauth2,
    /// Google Workspace domain-wide delegation: a token per mailbox from the job's service-account key.
    Google,
    /// Microsoft 365 app-only access: one token from the job's app credentials, each mailbox signing in as itself.
    Microsoft,
    /// The row's own refresh token, redeemed with the job's OAuth client; rotated tokens are kept.
    Refresh,
}

/// A provider preset: fills in host, port and security and tunes limits for well-known services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any standards-compliant IMAP server.
    Imap,
    /// Google Workspace / Gmail (`imap.gmail.com:993`).
    Gmail,
    /// Microsoft 365 (`outlook.office365.com:993`).
    Office365,
    /// An on-premises Exchange server (host required).
    Exchange,
}

impl Provider {
    /// The IMAP host the preset implies, if it implies one.
    pub fn default_host(self) -> Option<&'static str> {
        match self {
            Provider::Gmail => Some("imap.gmail.com"),
            Provider::Office365 => Some("outlook.office365.com"),
            Provider::Imap | Provider::Exchange => None,
        }
    }
}

/// The credentials for one source account. Every secret is redacted in `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// The user's own password.
    Password { password: Secret<String> },
    /// A master/admin user and its password.
    Master { master_user: String, master_password: Secret<String> },
    /// An OAuth 2.0 access or refresh token issued by `provider`.
    Oauth2 { provider: Provider, token: Secret<String> },
    /// The job's Google service-account key file (JSON), which mints this mailbox's tokens.
    Google { service_account: Secret<String> },
    /// The job's Microsoft app file (JSON: tenant, client id and secret), whose token opens this mailbox.
    Microsoft { app: Secret<String> },
    /// The row's refresh token with the job's OAuth client, as one JSON object (`oauth::RefreshGrant`); the cell
    /// takes the rotated token when the endpoint sends one, so what is sealed afterwards is current.
    Refresh { grant: super::SecretCell },
}

impl Credentials {
    /// Which method these credentials use.
    pub fn kind(&self) -> AuthKind {
        match self {
            Credentials::Password { .. } => AuthKind::Password,
            Credentials::Master { .. } => AuthKind::Master,
            Credentials::Oauth2 { .. } => AuthKind::Oauth2,
            Credentials::Google { .. } => AuthKind::Google,
            Credentials::Microsoft { .. } => AuthKind::Microsoft,
            Credentials::Refresh { .. } => AuthKind::Refresh,
        }
    }
}

/// A host name or IP literal to connect to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Host(String);

impl Host {
    /// Check host syntax: an IPv4/IPv6 literal, or a DNS name of letters, digits, hyphens and dots.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().trim_end_matches('.');
        if s.is_empty() {
            return Err("is empty".into());
        }
        if s.parse::<std::net::IpAddr>().is_ok() {
            return Ok(Host(s.to_string()));
        }
        if s.contains("://") || s.contains('/') {
            return Err("must be a host name only, without \"imap://\" or a path".into());
        }
        if s.contains(':') {
            return Err("must not contain a port: put the port in its own column".into());
        }
        let ascii = idna::domain_to_ascii(s).map_err(|_| "is not a valid host name".to_string())?;
        let ok = ascii.len() <= 253 && ascii.split('.').all(|l| super::address::dns_label(l, false));
        if ok { Ok(Host(ascii)) } else { Err("is not a valid host name".into()) }
    }

    /// The host as text (ASCII form for internationalised names).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One mailbox to migrate: source server, login, and destination address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceAccount {
    /// The mailbox on the new platform that receives the mail.
    pub destination: EmailAddress,
    /// The old server.
    pub host: Host,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// The login name on the old server (often, but not always, the address).
    pub user: String,
    /// How to log in.
    pub credentials: Credentials,
    /// Which preset the row asked for.
    pub provider: Provider,
    /// Folder patterns to copy (empty: all). `*` matches any run of characters, `%` any within one level.
    pub include: Vec<String>,
    /// Folder patterns to leave out, applied after `include`.
    pub exclude: Vec<String>,
    /// From a Gmail source, a message with several labels is copied once, into its primary label's folder
    /// (column `gmail_labels=single`), instead of once per label.
    pub gmail_single_copy: bool,
}
