//! The Dovecot fixture is real and complete: users log in, the master user logs in as any user (both the
//! `user*master` login and SASL PLAIN with an authorization identity), TLS verifies against the fixture's CA
//! and fails without it, namespace options hold, and instances are independent.

use futures::TryStreamExt;
use mailferry_tests::dovecot::{Dovecot, Options};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

type Session<S> = async_imap::Session<S>;

async fn client<S: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send>(stream: S) -> async_imap::Client<S> {
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.expect("greeting").expect("greeting");
    client
}

async fn plain(port: u16) -> async_imap::Client<TcpStream> {
    client(TcpStream::connect(("127.0.0.1", port)).await.unwrap()).await
}

async fn login(port: u16, user: &str, pass: &str) -> Result<Session<TcpStream>, async_imap::error::Error> {
    plain(port).await.login(user, pass).await.map_err(|(e, _)| e)
}

async fn append(s: &mut Session<TcpStream>, mailbox: &str, subject: &str) {
    let msg = format!("From: a@example.test\r\nSubject: {subject}\r\n\r\nbody\r\n");
    s.append(mailbox, Some("(\\Seen)"), None, msg.as_bytes()).await.unwrap();
}

async fn count(s: &mut Session<TcpStream>, mailbox: &str) -> u32 {
    s.status(mailbox, "(MESSAGES)").await.unwrap().exists
}

/// SASL PLAIN (RFC 4616) with an authorization identity: log in as `authcid`, act as `authzid`.
struct PlainAuth {
    authzid: String,
    authcid: String,
    password: String,
}

impl async_imap::Authenticator for &PlainAuth {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> String {
        format!("{}\0{}\0{}", self.authzid, self.authcid, self.password)
    }
}

#[tokio::test]
async fn users_log_in_and_bad_passwords_are_refused() {
    let d = Dovecot::start();
    let mut s = login(d.port, "user1@example.test", "pass").await.unwrap();
    assert_eq!(count(&mut s, "INBOX").await, 0);
    append(&mut s, "INBOX", "hello").await;
    assert_eq!(count(&mut s, "INBOX").await, 1);
    s.logout().await.unwrap();
    let mut other = login(d.port, "user2@example.test", "pass").await.unwrap();
    assert_eq!(count(&mut other, "INBOX").await, 0, "users have separate mailboxes");
    let err = login(d.port, "user1@example.test", "wrong").await.unwrap_err().to_string();
    assert!(err.contains("Authentication failed"), "{err}");
    assert!(login(d.port, "nobody@example.test", "pass").await.is_err());
}

#[tokio::test]
async fn master_user_logs_in_as_the_user_both_ways() {
    let d = Dovecot::start();
    let mut own = login(d.port, "user1@example.test", "pass").await.unwrap();
    append(&mut own, "INBOX", "for the master").await;
    own.logout().await.unwrap();

    let mut s = login(d.port, "user1@example.test*admin", "masterpass").await.unwrap();
    assert_eq!(count(&mut s, "INBOX").await, 1, "user*master sees the user's mail");
    s.logout().await.unwrap();

    let auth =
        PlainAuth { authzid: "user1@example.test".into(), authcid: "admin".into(), password: "masterpass".into() };
    let mut s = plain(d.port).await.authenticate("PLAIN", &auth).await.map_err(|(e, _)| e).unwrap();
    assert_eq!(count(&mut s, "INBOX").await, 1, "SASL PLAIN with authzid sees the user's mail");
    s.logout().await.unwrap();

    assert!(login(d.port, "user1@example.test*admin", "pass").await.is_err(), "the master password is required");
    let wrong = PlainAuth { authzid: "user1@example.test".into(), authcid: "admin".into(), password: "nope".into() };
    assert!(plain(d.port).await.authenticate("PLAIN", &wrong).await.is_err());
}

fn tls_config(roots: RootCertStore) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}

#[tokio::test]
async fn tls_is_verified_against_the_fixture_ca() {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let d = Dovecot::start_with(Options { tls: true, ..Default::default() });
    let tls_port = d.tls_port.unwrap();
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(d.ca_pem()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let connector = tokio_rustls::TlsConnector::from(tls_config(roots));
    let tcp = TcpStream::connect(("127.0.0.1", tls_port)).await.unwrap();
    let tls =
        connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("TLS with the fixture CA");
    let mut s = client(tls).await.login("user1@example.test", "pass").await.map_err(|(e, _)| e).unwrap();
    assert_eq!(s.status("INBOX", "(MESSAGES)").await.unwrap().exists, 0);
    s.logout().await.unwrap();

    let untrusting = tokio_rustls::TlsConnector::from(tls_config(RootCertStore::empty()));
    let tcp = TcpStream::connect(("127.0.0.1", tls_port)).await.unwrap();
    let err = untrusting.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap_err().to_string();
    assert!(err.contains("invalid peer certificate"), "an unknown CA must be refused: {err}");

    let mut raw = TcpStream::connect(("127.0.0.1", d.port)).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut greeting = [0u8; 512];
    let n = raw.read(&mut greeting).await.unwrap();
    assert!(
        String::from_utf8_lossy(&greeting[..n]).contains("STARTTLS"),
        "the plain port offers STARTTLS when TLS is on"
    );
    raw.write_all(b"a LOGOUT\r\n").await.unwrap();
}

#[tokio::test]
async fn dot_separator_and_inbox_prefix() {
    let d = Dovecot::start_with(Options { separator: '.', prefix: "INBOX.".into(), ..Default::default() });
    let mut s = login(d.port, "user1@example.test", "pass").await.unwrap();
    s.create("INBOX.Projects.2024").await.unwrap();
    let names: Vec<_> = s.list(Some(""), Some("*")).await.unwrap().try_collect::<Vec<_>>().await.unwrap();
    let mut listed: Vec<(String, Option<String>)> =
        names.iter().map(|n| (n.name().to_string(), n.delimiter().map(str::to_string))).collect();
    listed.sort();
    assert!(listed.contains(&("INBOX.Projects.2024".into(), Some(".".into()))), "{listed:?}");
    assert!(
        listed.contains(&("INBOX.Sent".into(), Some(".".into()))),
        "special-use folders live under the prefix: {listed:?}"
    );
}

#[tokio::test]
async fn instances_are_independent() {
    let (a, b) = (Dovecot::start(), Dovecot::start());
    assert_ne!(a.port, b.port);
    let mut sa = login(a.port, "user1@example.test", "pass").await.unwrap();
    append(&mut sa, "INBOX", "only on a").await;
    let mut sb = login(b.port, "user1@example.test", "pass").await.unwrap();
    assert_eq!(count(&mut sa, "INBOX").await, 1);
    assert_eq!(count(&mut sb, "INBOX").await, 0);
    let (root, port) = (a.root().to_path_buf(), a.port);
    drop(sa);
    drop(a);
    assert!(!root.exists(), "a stopped fixture removes its directory");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err(), "a stopped fixture no longer listens");
    assert_eq!(count(&mut sb, "INBOX").await, 0, "stopping one leaves the other running");
}
