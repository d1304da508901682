//! Email into an outbox directory: each message becomes one RFC 5322 `.eml` file (multipart/alternative when
//! there is HTML), which any mail client opens. Written via a temporary file and a rename.

use crate::ports::{Email, Mailer, PortError};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::path::PathBuf;

/// [`Mailer`] writing `.eml` files to a directory.
#[derive(Clone, Debug)]
pub struct OutboxMailer {
    dir: PathBuf,
}

impl OutboxMailer {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        OutboxMailer { dir: dir.into() }
    }
}

/// A header value, RFC 2047-encoded when it is not plain ASCII.
fn header_text(s: &str) -> String {
    if s.is_ascii() && !s.contains(['\r', '\n']) { s.to_string() } else { format!("=?UTF-8?B?{}?=", B64.encode(s)) }
}

/// Base64 body lines of 76 characters (RFC 2045 §6.8).
fn body_base64(s: &str) -> String {
    let b = B64.encode(s);
    b.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
}

/// The whole message as it is written to disk.
pub(crate) fn render(email: &Email, id: &str, date: chrono::DateTime<chrono::Utc>) -> String {
    let mut m = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n",
        email.from,
        email.to.join(", "),
        header_text(&email.subject),
        date.to_rfc2822()
    );
    let text_part = format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        body_base64(&email.text)
    );
    match &email.html {
        None => m.push_str(&text_part),
        Some(html) => {
            let boundary = format!("mf-{}", uuid::Uuid::new_v4().simple());
            m.push_str(&format!(
                "Content-Type: multipart/alternative; \
                 boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n{text_part}--{boundary}\r\n"
            ));
            m.push_str(&format!(
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: \
                 base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                body_base64(html)
            ));
        }
    }
    m
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let now = chrono::Utc::now();
        let id = format!("{}@mailferry.local", uuid::Uuid::new_v4().simple());
        let io = |e| PortError::backend("write to outbox", false, e);
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let name = format!("{}-{}.eml", now.format("%Y%m%dT%H%M%S%.3fZ"), &id[..8]);
        let tmp = self.dir.join(format!(".tmp-{name}"));
        tokio::fs::write(&tmp, render(email, &id, now)).await.map_err(io)?;
        tokio::fs::rename(&tmp, self.dir.join(&name)).await.map_err(io)?;
        tracing::info!(
            outbox = %self.dir.display(), file = %name, to = ?email.to, "notification written to the outbox"
        );
        Ok(id)
    }
}
