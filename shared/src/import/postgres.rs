//! The directory in PostgreSQL with the PostfixAdmin schema (`domain`, `mailbox`, `alias`), the tables Postfix
//! and Dovecot read on most self-hosted provider platforms. All changes of an import are one transaction.
//! PostfixAdmin's conventions are kept: 0 means "no limit" for `domain.mailboxes`/`aliases`/`quota`,
//! `mailbox.quota` is in bytes, `maildir` is `domain/local/`, and every mailbox has an alias row to itself (Postfix
//! looks addresses up in `alias`), which is not an alias in the import's sense.

use crate::model::Secret;
use crate::model::directory::{Changes, Existing, ExistingDomain, ExistingMailbox};
use crate::ports::{Directory, PortError};
use async_trait::async_trait;
use std::collections::BTreeMap;
use tokio::sync::Mutex;
use tokio_postgres::Client;

const MB: i64 = 1024 * 1024;

/// [`Directory`] on a PostgreSQL connection given from outside.
pub struct PostgresDirectory {
    client: Mutex<Client>,
}

fn db(op: &'static str) -> impl Fn(tokio_postgres::Error) -> PortError {
    move |e| {
        // A serialization failure or a lost connection may succeed later; a constraint violation will not.
        let retryable =
            e.is_closed() || e.code().is_some_and(|c| *c == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE);
        // The server's own words (tokio-postgres's Display says only "db error").
        let detail = match e.as_db_error() {
            Some(d) => format!("{}: {}", d.code().code(), d.message()),
            None => {
                // The cause chain says why (e.g. "invalid peer certificate: UnknownIssuer").
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                text
            }
        };
        PortError::Backend { op, retryable, detail, source: Some(Box::new(e)) }
    }
}

fn unlimited_if_zero(n: i32) -> Option<u32> {
    (n > 0).then_some(n as u32)
}

impl PostgresDirectory {
    pub fn new(client: Client) -> Self {
        PostgresDirectory { client: Mutex::new(client) }
    }
}

/// Connect to `url` (`postgres://USER@HOST:PORT/DB`). TLS with certificate checks (web PKI roots plus `ca_file`,
/// e.g. the RDS bundle) is required for any host but loopback and Unix sockets, where plain is used unless the URL
/// asks for `sslmode=require`. The connection task is spawned; the client is returned.
pub async fn connect(
    url: &str,
    password: Option<&Secret<String>>,
    ca_file: Option<&std::path::Path>,
) -> Result<Client, PortError> {
    use tokio_postgres::config::{Host, SslMode};
    let bad =
        |detail: String| PortError::Backend { op: "connect to PostgreSQL", retryable: false, detail, source: None };
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| bad(format!("{url}: {e}")))?;
    if let Some(p) = password {
        config.password(p.expose());
    }
    let local = config.get_hosts().iter().all(|h| match h {
        Host::Tcp(h) => h == "localhost" || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        Host::Unix(_) => true,
    });
    if local && config.get_ssl_mode() != SslMode::Require {
        let (client, conn) = config.connect(tokio_postgres::NoTls).await.map_err(db("connect to PostgreSQL"))?;
        tokio::spawn(conn);
        return Ok(client);
    }
    config.ssl_mode(SslMode::Require);
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => String::new(),
    };
    let tls = crate::tls::client_config(ca_file).map_err(|e| bad(format!("TLS to {host}: {e}")))?;
    let connector = tokio_postgres_rustls::MakeRustlsConnect::new((*tls).clone());
    let (client, conn) = config.connect(connector).await.map_err(db("connect to PostgreSQL"))?;
    tokio::spawn(conn);
    Ok(client)
}

#[async_trait]
impl Directory for PostgresDirectory {
    async fn existing(&self, domains: &[String]) -> Result<Existing, PortError> {
        let client = self.client.lock().await;
        let mut e = Existing::default();
        let op = "read the directory";
        for r in client
            .query("SELECT domain, mailboxes, aliases, quota FROM domain WHERE domain = ANY($1)", &[&domains])
            .await
            .map_err(db(op))?
        {
            let quota: i64 = r.get(3);
            let d = ExistingDomain {
                max_mailboxes: unlimited_if_zero(r.get(1)),
                max_aliases: unlimited_if_zero(r.get(2)),
                quota_mb: (quota > 0).then_some(quota as u64),
            };
            e.domains.insert(r.get::<_, String>(0), d);
        }
        for r in client
            .query("SELECT username, quota, name FROM mailbox WHERE domain = ANY($1)", &[&domains])
            .await
            .map_err(db(op))?
        {
            let quota: i64 = r.get(1);
            let m = ExistingMailbox { quota_mb: (quota / MB) as u64, display_name: r.get(2) };
            e.mailboxes.insert(r.get::<_, String>(0).to_lowercase(), m);
        }
        for r in
            client.query("SELECT address, goto FROM alias WHERE domain = ANY($1)", &[&domains]).await.map_err(db(op))?
        {
            let (address, goto): (String, String) = (r.get(0), r.get(1));
            if address != goto {
                e.aliases.insert(address.to_lowercase(), goto.split(',').map(|t| t.trim().to_lowercase()).collect());
            }
        }
        Ok(e)
    }

    async fn apply(&self, c: &Changes, passwords: &BTreeMap<String, Secret<String>>) -> Result<(), PortError> {
        let mut client = self.client.lock().await;
        let op = "write the directory";
        let tx = client.transaction().await.map_err(db(op))?;
        // Checked conversions: a value that does not fit must fail, never wrap (a quota of 0 means unlimited).
        let too_big = |what: String| PortError::corrupt(what, "a limit or quota too large for the directory");
        let n = |v: Option<u32>, what: &str| v.map_or(Ok(0), |v| i32::try_from(v).map_err(|_| too_big(what.into())));
        let bytes = |mb: u64, what: &str| {
            i64::try_from(mb).ok().and_then(|mb| mb.checked_mul(MB)).ok_or_else(|| too_big(what.to_string()))
        };
        // New and changed domains alike: reconciliation already decided which rows may be written.
        for d in c.create_domains.iter().chain(&c.update_domains) {
            let what = format!("domain {}", d.domain.ascii());
            let quota = d.quota_mb.map_or(Ok(0), |q| i64::try_from(q).map_err(|_| too_big(what.clone())))?;
            let (mailboxes, aliases) = (n(d.max_mailboxes, &what)?, n(d.max_aliases, &what)?);
            tx.execute(
                "INSERT INTO domain (domain, mailboxes, aliases, quota) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (domain) DO UPDATE SET mailboxes = EXCLUDED.mailboxes, aliases = EXCLUDED.aliases,
                 quota = EXCLUDED.quota, modified = now()",
                &[&d.domain.ascii(), &mailboxes, &aliases, &quota],
            )
            .await
            .map_err(db(op))?;
        }
        for m in &c.create_mailboxes {
            let key = m.address.key();
            let password =
                passwords.get(&key).ok_or_else(|| PortError::corrupt(format!("mailbox {key}"), "no password"))?;
            let (local, domain) = key.rsplit_once('@').unwrap_or((&key, ""));
            let quota = bytes(m.quota_mb, &key)?;
            tx.execute(
                "INSERT INTO mailbox (username, password, name, maildir, quota, local_part, domain)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&key, &password.expose(), &m.display_name, &format!("{domain}/{local}/"), &quota, &local, &domain],
            )
            .await
            .map_err(db(op))?;
            tx.execute("INSERT INTO alias (address, goto, domain) VALUES ($1, $2, $3)", &[&key, &key, &domain])
                .await
                .map_err(db(op))?;
        }
        for m in &c.update_mailboxes {
            let quota = bytes(m.quota_mb, &m.address.key())?;
            tx.execute(
                "UPDATE mailbox SET quota = $2, name = $3, modified = now() WHERE username = $1",
                &[&m.address.key(), &quota, &m.display_name],
            )
            .await
            .map_err(db(op))?;
        }
        for a in c.create_aliases.iter().chain(&c.update_aliases) {
            let goto = a.targets.iter().map(|t| t.key()).collect::<Vec<_>>().join(",");
            tx.execute(
                "INSERT INTO alias (address, goto, domain) VALUES ($1, $2, $3)
                 ON CONFLICT (address) DO UPDATE SET goto = EXCLUDED.goto, modified = now()",
                &[&a.address.key(), &goto, &a.address.domain().ascii()],
            )
            .await
            .map_err(db(op))?;
        }
        tx.commit().await.map_err(db(op))
    }
}
