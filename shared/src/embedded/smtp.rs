//! Notifications over SMTP submission (RFC 6409) for the embedded home: EHLO, STARTTLS (RFC 3207) or implicit
//! TLS (RFC 8314), AUTH PLAIN (RFC 4954), MAIL, RCPT, DATA (RFC 5321). The message is the one the outbox would
//! hold (`mailer::render`). Certificates are checked (web PKI roots plus an optional CA file); the password is
//! never sent without TLS and never logged. Every reply is bounded (lines, bytes) and every wait has the
//! server's timeout; a 4xx reply is worth retrying, a 5xx one is not.

use super::mailer::render;
use crate::imap::Stream;
use crate::model::Secret;
use crate::ports::{Email, Mailer, PortError, Sealed, SecretBox};
use async_trait::async_trait;
use base64::Engine;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// STARTTLS after the greeting (`smtp://`, port 587): required, never skipped.
    StartTls,
    /// No encryption (`smtp://…?plain`, a relay on this machine): no password is sent.
    Plain,
}

/// An SMTP submission server and its account.
#[derive(Clone, Debug)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<Secret<String>>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

impl SmtpServer {
    /// `smtps://[USER@]HOST[:PORT]` (465), `smtp://[USER@]HOST[:PORT]` (587, STARTTLS) or `smtp://HOST:25?plain`.
    pub fn parse(url: &str) -> Result<SmtpServer, String> {
        let bad = || format!("{url:?} is not smtps://[USER@]HOST[:PORT] or smtp://[USER@]HOST[:PORT][?plain]");
        let (security, rest) = if let Some(r) = url.strip_prefix("smtps://") {
            (SmtpSecurity::Tls, r)
        } else if let Some(r) = url.strip_prefix("smtp://") {
            (SmtpSecurity::StartTls, r)
        } else {
            return Err(bad());
        };
        let (rest, security) = match rest.split_once('?') {
            Some((r, "plain")) => (r, SmtpSecurity::Plain),
            Some((r, "starttls")) => (r, SmtpSecurity::StartTls),
            Some(_) => return Err(bad()),
            None => (rest, security),
        };
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(percent_decode(u).ok_or_else(bad)?), h),
            None => (None, rest),
        };
        let default_port = match security {
            SmtpSecurity::Tls => 465,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Plain => 25,
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
            None => (hostport, default_port),
        };
        if host.is_empty() || host.contains(['/', ' ']) || user.as_deref().is_some_and(has_control) {
            return Err(bad());
        }
        let timeout = Duration::from_secs(30);
        Ok(SmtpServer { host: host.into(), port, security, user, password: None, ca_file: None, timeout })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex = [it.next()?, it.next()?];
            out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// [`Mailer`] sending through an SMTP submission server. The password, when there is one, stays sealed (with
/// the state directory's key, context `smtp`) and is opened for each message only.
#[derive(Clone)]
pub struct SmtpMailer {
    pub server: SmtpServer,
    pub sealed_password: Option<(Sealed, Arc<dyn SecretBox>)>,
}

/// The sealing context of the SMTP password.
pub const SMTP_CONTEXT: &str = "smtp";

/// A reply's code and its text lines.
struct Reply {
    code: u16,
    text: String,
}

const MAX_REPLY_LINES: usize = 100;
const MAX_LINE: usize = 4096;

fn failed(op: &'static str, retryable: bool, detail: String) -> PortError {
    PortError::Backend { op, retryable, detail, source: None }
}

struct Conn {
    io: BufReader<Box<dyn Stream>>,
    host: String,
    timeout: Duration,
    /// The server offered AUTH in its last EHLO reply.
    auth: bool,
}

impl Conn {
    async fn reply(&mut self) -> Result<Reply, PortError> {
        let mut text = Vec::new();
        for _ in 0..MAX_REPLY_LINES {
            let mut line = Vec::new();
            let mut limited = (&mut self.io).take(MAX_LINE as u64);
            let n = tokio::time::timeout(self.timeout, limited.read_until(b'\n', &mut line))
                .await
                .map_err(|_| failed("send email", true, format!("{} did not answer in time", self.host)))?;
            let n = n.map_err(|e| failed("send email", true, format!("{}: {e}", self.host)))?;
            let line = String::from_utf8_lossy(&line[..n]).trim_end().to_string();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok()).filter(|c| (200..600).contains(c));
            let Some(code) = code else {
                return Err(failed("send email", true, format!("{} sent no SMTP reply: {line:?}", self.host)));
            };
            text.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply { code, text: text.join(" / ") });
            }
        }
        Err(failed("send email", false, format!("{} sent more than {MAX_REPLY_LINES} reply lines", self.host)))
    }

    async fn send(&mut self, line: &str) -> Result<(), PortError> {
        let write = tokio::time::timeout(self.timeout, self.io.get_mut().write_all(line.as_bytes()));
        write
            .await
            .map_err(|_| failed("send email", true, format!("{} did not take our data in time", self.host)))?
            .map_err(|e| failed("send email", true, format!("{}: {e}", self.host)))
    }

    /// Send `line` (CRLF added) and expect a reply whose code `ok` accepts; `what` names the step in errors.
    async fn command(&mut self, line: &str, what: &str, ok: fn(u16) -> bool) -> Result<Reply, PortError> {
        self.send(&format!("{line}\r\n")).await?;
        self.expect(what, ok).await
    }

    async fn expect(&mut self, what: &str, ok: fn(u16) -> bool) -> Result<Reply, PortError> {
        let r = self.reply().await?;
        if ok(r.code) {
            return Ok(r);
        }
        let detail = format!("{} refused {what}: {} {}", self.host, r.code, r.text);
        Err(failed("send email", (400..500).contains(&r.code), detail))
    }
}

fn is(code: u16) -> fn(u16) -> bool {
    match code {
        220 => |c| c == 220,
        235 => |c| c == 235,
        250 => |c| c == 250,
        354 => |c| c == 354,
        _ => |c| (250..=251).contains(&c),
    }
}

/// `text` with CRLF line ends and dot-stuffing (RFC 5321 §4.5.2), ended by `CRLF.CRLF`.
fn data_block(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.replace("\r\n", "\n").split('\n') {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

/// An address for MAIL FROM / RCPT TO: printable, without angle brackets or spaces.
fn envelope_address(a: &str) -> Result<&str, PortError> {
    if a.is_empty() || has_control(a) || a.contains(['<', '>', ' ']) || !a.contains('@') {
        return Err(failed("send email", false, format!("{a:?} is not an address to send to or from")));
    }
    Ok(a)
}

impl SmtpMailer {
    async fn connect(&self) -> Result<Conn, PortError> {
        let s = &self.server;
        let io = |e: std::io::Error| failed("send email", true, format!("cannot reach {}:{}: {e}", s.host, s.port));
        let tcp = tokio::time::timeout(s.timeout, tokio::net::TcpStream::connect((s.host.as_str(), s.port)))
            .await
            .map_err(|_| failed("send email", true, format!("{}:{} did not answer in time", s.host, s.port)))?
            .map_err(io)?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> =
            if s.security == SmtpSecurity::Tls { self.tls(Box::new(tcp)).await? } else { Box::new(tcp) };
        let mut conn = Conn { io: BufReader::new(stream), host: s.host.clone(), timeout: s.timeout, auth: false };
        conn.expect("the connection", is(220)).await?;
        let ehlo = conn.command("EHLO mailferry.local", "EHLO", is(250)).await?;
        if s.security == SmtpSecurity::StartTls {
            if !ehlo.text.to_ascii_uppercase().contains("STARTTLS") {
                let detail = format!("{} does not offer STARTTLS; refusing to continue without encryption", s.host);
                return Err(failed("send email", false, detail));
            }
            conn.command("STARTTLS", "STARTTLS", is(220)).await?;
            let tls = self.tls(conn.io.into_inner()).await?;
            conn = Conn { io: BufReader::new(tls), host: s.host.clone(), timeout: s.timeout, auth: false };
        }
        let ehlo = if s.security == SmtpSecurity::StartTls {
            conn.command("EHLO mailferry.local", "EHLO", is(250)).await?
        } else {
            ehlo
        };
        conn.auth = ehlo.text.to_ascii_uppercase().split([' ', '/']).any(|w| w == "AUTH" || w.starts_with("AUTH="));
        Ok(conn)
    }

    async fn tls(&self, stream: Box<dyn Stream>) -> Result<Box<dyn Stream>, PortError> {
        let s = &self.server;
        let bad = |detail: String| failed("send email", false, format!("TLS with {}: {detail}", s.host));
        let config =
            crate::tls::client_config(s.ca_file.as_deref()).map_err(|e| bad(format!("TLS to {}: {e}", s.host)))?;
        let name = rustls_pki_types::ServerName::try_from(s.host.clone()).map_err(|e| bad(e.to_string()))?;
        let handshake = tokio_rustls::TlsConnector::from(config).connect(name, stream);
        let tls = tokio::time::timeout(s.timeout, handshake).await.map_err(|_| bad("no handshake in time".into()))?;
        Ok(Box::new(tls.map_err(|e| bad(e.to_string()))?))
    }

    async fn deliver(&self, email: &Email, id: &str) -> Result<(), PortError> {
        let mut opened = None;
        if let Some((sealed, secrets)) = &self.sealed_password {
            opened = Some(secrets.open(sealed, SMTP_CONTEXT).await?);
        }
        let s = &self.server;
        let password = opened.as_ref().or(s.password.as_ref());
        let from = envelope_address(&email.from)?;
        let to: Vec<&str> = email.to.iter().map(|a| envelope_address(a)).collect::<Result<_, _>>()?;
        let mut conn = self.connect().await?;
        if let (Some(user), Some(password)) = (&s.user, password) {
            if s.security == SmtpSecurity::Plain {
                let detail = format!("refusing to send the SMTP password to {} without TLS", s.host);
                return Err(failed("send email", false, detail));
            }
            if !conn.auth {
                return Err(failed("send email", false, format!("{} does not offer AUTH", s.host)));
            }
            // The credentials stay in wiped buffers until they are written (RFC 4616: authzid NUL authcid NUL passwd).
            let plain = Secret::new(format!("\0{user}\0{}", password.expose()));
            let token = Secret::new(base64::engine::general_purpose::STANDARD.encode(plain.expose()));
            conn.send(Secret::new(format!("AUTH PLAIN {}\r\n", token.expose())).expose()).await?;
            conn.expect("the sign-in (AUTH PLAIN)", is(235)).await?;
        }
        conn.command(&format!("MAIL FROM:<{from}>"), "the sender", is(250)).await?;
        for rcpt in &to {
            conn.command(&format!("RCPT TO:<{rcpt}>"), &format!("the recipient {rcpt}"), is(251)).await?;
        }
        conn.command("DATA", "DATA", is(354)).await?;
        conn.send(&data_block(&render(email, id, chrono::Utc::now()))).await?;
        conn.expect("the message", is(250)).await?;
        let _ = conn.command("QUIT", "QUIT", |_| true).await;
        Ok(())
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let id = format!("{}@mailferry.local", uuid::Uuid::new_v4().simple());
        self.deliver(email, &id).await?;
        tracing::info!(server = %self.server.host, to = ?email.to, "notification sent over smtp");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_dot_stuffing() {
        let s = SmtpServer::parse("smtp://ops%40example.com@mail.example.com").unwrap();
        assert_eq!(
            (s.user.as_deref(), s.host.as_str(), s.port, s.security),
            (Some("ops@example.com"), "mail.example.com", 587, SmtpSecurity::StartTls)
        );
        let s = SmtpServer::parse("smtps://mail.example.com").unwrap();
        assert_eq!((s.port, s.security), (465, SmtpSecurity::Tls));
        let s = SmtpServer::parse("smtp://127.0.0.1:25?plain").unwrap();
        assert_eq!((s.port, s.security, s.user), (25, SmtpSecurity::Plain, None));
        for bad in ["http://x", "smtp://", "smtp://a:b:c", "smtp://h?tls", "smtp://a%0d%0a@h"] {
            assert!(SmtpServer::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(data_block("a\r\n.b\n..c"), "a\r\n..b\r\n...c\r\n.\r\n");
        assert!(envelope_address("a@b>\r\nRCPT TO:<x@y").is_err());
    }
}
