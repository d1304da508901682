//! Reaching a server and logging in. TLS (implicit, or STARTTLS per RFC 3501 §6.2.1) always verifies the
//! certificate against the web PKI roots plus an optional CA file; plain text only when asked for. Logins:
//! LOGIN, AUTHENTICATE PLAIN (RFC 4616, with SASL-IR per RFC 4959 when offered), and master users either as
//! PLAIN with an authorization identity or as Dovecot's `user*master` LOGIN.

use super::response::Resp;
use super::session::{Session, Stream};
use super::{ImapError, quote};
use crate::model::{Secret, Security};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;

/// Where a server is and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// A host name or IP literal, checked when it was read (`model::Host`).
    pub host: crate::model::Host,
    pub port: u16,
    pub security: Security,
    /// An extra CA certificate (PEM) to trust, for servers with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Timeout of every network wait.
    pub timeout: Duration,
    /// Which addresses the host may resolve to: tenants' source servers are refused on loopback, private and
    /// link-local networks unless the deployment allows them.
    pub networks: Networks,
}

/// Which networks a connection may go to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Networks {
    /// Anywhere (the operator's own servers: the destination, `mailferry sync`).
    #[default]
    Any,
    /// Only public unicast addresses: never loopback, private (RFC 1918, RFC 4193), link-local, carrier-grade
    /// NAT, multicast, documentation or reserved ranges, so an uploaded CSV cannot aim the service at its own
    /// network (its database, its metadata endpoint).
    PublicOnly,
}

/// How to log in. Secrets stay wrapped until the bytes are written.
#[derive(Clone, Debug)]
pub enum Login {
    /// The user's own password.
    Password { user: String, password: Secret<String> },
    /// A master/admin user acting for `user`.
    Master { user: String, master_user: String, master_password: Secret<String> },
    /// An OAuth 2.0 access token for `user` (Google Workspace, Microsoft 365, or any server offering the
    /// mechanism).
    Bearer { user: String, token: super::BearerToken, mechanism: super::BearerMechanism },
}

impl Login {
    /// The user whose mailbox this opens.
    pub fn user(&self) -> &str {
        match self {
            Login::Password { user, .. } | Login::Master { user, .. } | Login::Bearer { user, .. } => user,
        }
    }
}

async fn tls_wrap<S: Stream + 'static>(ep: &Endpoint, stream: S) -> Result<Box<dyn Stream>, ImapError> {
    let config = crate::tls::client_config(ep.ca_file.as_deref())
        .map_err(|detail| ImapError::Tls { host: ep.host.to_string(), detail })?;
    let name = ServerName::try_from(ep.host.to_string())
        .map_err(|e| ImapError::Tls { host: ep.host.to_string(), detail: e.to_string() })?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let secs = ep.timeout.as_secs();
    let tls = tokio::time::timeout(ep.timeout, connector.connect(name, stream))
        .await
        .map_err(|_| ImapError::Timeout { op: "TLS handshake", secs })?
        .map_err(|e| ImapError::Tls { host: ep.host.to_string(), detail: e.to_string() })?;
    Ok(Box::new(tls))
}

/// Connect and read the greeting (upgrading with STARTTLS when asked); not yet logged in.
pub async fn connect(ep: &Endpoint) -> Result<Session, ImapError> {
    let secs = ep.timeout.as_secs();
    let addresses = tokio::time::timeout(ep.timeout, tokio::net::lookup_host((ep.host.as_str(), ep.port)))
        .await
        .map_err(|_| ImapError::Timeout { op: "resolve the server name", secs })?
        .map_err(ImapError::io("resolve the server name"))?
        .collect::<Vec<_>>();
    if ep.networks == Networks::PublicOnly && addresses.iter().any(|a| !super::address::is_public(a.ip())) {
        return Err(ImapError::NotAllowed {
            what: "a server on a loopback, private or link-local network (this deployment only reaches public \
                   addresses)",
        });
    }
    // The checked addresses themselves are connected to: no second lookup that could answer differently.
    let tcp = tokio::time::timeout(ep.timeout, TcpStream::connect(&addresses[..]))
        .await
        .map_err(|_| ImapError::Timeout { op: "connect", secs })?
        .map_err(ImapError::io("connect"))?;
    // An APPEND line and its literal go out as separate writes: without this, Nagle adds ~40 ms per message.
    tcp.set_nodelay(true).map_err(ImapError::io("set TCP_NODELAY"))?;
    let mut session = match ep.security {
        Security::Tls => Session::start(tls_wrap(ep, tcp).await?, ep.timeout).await?,
        Security::Plain => Session::start(Box::new(tcp), ep.timeout).await?,
        Security::Starttls => {
            let mut plain = Session::start(Box::new(tcp), ep.timeout).await?;
            if plain.capabilities().is_empty() {
                plain.refresh_capabilities().await?;
            }
            if !plain.has("STARTTLS") {
                return Err(ImapError::Unsupported {
                    what: "STARTTLS (refusing to continue without encryption)".into(),
                });
            }
            plain.run("STARTTLS", "").await?;
            let stream = plain.into_stream()?;
            Session::resume(tls_wrap(ep, stream).await?, ep.timeout)
        }
    };
    if session.capabilities().is_empty() || ep.security == Security::Starttls {
        session.refresh_capabilities().await?;
    }
    Ok(session)
}

/// Log in, then refresh the capabilities (servers announce more after authentication).
pub async fn login(session: &mut Session, login: &Login) -> Result<(), ImapError> {
    if !session.has("AUTH=PLAIN") && session.has("LOGINDISABLED") && !matches!(login, Login::Bearer { .. }) {
        return Err(ImapError::Unsupported {
            what: "a login method over this connection (LOGINDISABLED without AUTH=PLAIN)".into(),
        });
    }
    session.capabilities_seen = false;
    let result = match login {
        Login::Password { user, password } if session.has("AUTH=PLAIN") => plain(session, "", user, password).await,
        Login::Password { user, password } => login_command(session, user, password).await,
        Login::Master { user, master_user, master_password } if session.has("AUTH=PLAIN") => {
            plain(session, user, master_user, master_password).await
        }
        Login::Master { user, master_user, master_password } => {
            login_command(session, &format!("{user}*{master_user}"), master_password).await
        }
        Login::Bearer { user, token, mechanism } => super::sasl::bearer(session, user, token, *mechanism).await,
    };
    match result {
        Err(ImapError::No { text, .. }) | Err(ImapError::Bad { text, .. }) => Err(ImapError::refused_login(text)),
        Err(e) => Err(e),
        // Most servers send the new capabilities with the login's OK ([CAPABILITY …]); ask only if not.
        Ok(()) if session.capabilities_seen => Ok(()),
        Ok(()) => session.refresh_capabilities().await,
    }
}

/// Connect and log in.
pub async fn open(ep: &Endpoint, credentials: &Login) -> Result<Session, ImapError> {
    let mut s = connect(ep).await?;
    login(&mut s, credentials).await?;
    Ok(s)
}

async fn login_command(s: &mut Session, user: &str, password: &Secret<String>) -> Result<(), ImapError> {
    let safe = |v: &str| v.is_ascii() && !v.chars().any(|c| c.is_ascii_control());
    if !safe(user) || !safe(password.expose()) {
        return Err(ImapError::Unsupported {
            what: "AUTH=PLAIN, needed for a user name or password with non-ASCII characters".into(),
        });
    }
    s.run("LOGIN", &format!("{} {}", quote(user)?, quote(password.expose())?)).await.map(|_| ())
}

/// SASL PLAIN: `authzid NUL authcid NUL password`, base64 (RFC 4616).
async fn plain(s: &mut Session, authzid: &str, authcid: &str, password: &Secret<String>) -> Result<(), ImapError> {
    let response = B64.encode(format!("{authzid}\0{authcid}\0{}", password.expose()));
    if s.has("SASL-IR") {
        return s.run("AUTHENTICATE", &format!("PLAIN {response}")).await.map(|_| ());
    }
    let tag = s.tag();
    s.write(format!("{tag} AUTHENTICATE PLAIN\r\n").as_bytes()).await?;
    loop {
        match s.next().await? {
            Resp::Continue => break,
            Resp::Untagged(_) => continue,
            Resp::Tagged { text, .. } => return Err(ImapError::No { command: "AUTHENTICATE", text, code: None }),
        }
    }
    s.write(format!("{response}\r\n").as_bytes()).await?;
    s.finish(&tag, "AUTHENTICATE").await.map(|_| ())
}
