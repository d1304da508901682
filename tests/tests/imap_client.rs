//! mailferry's IMAP client against a real Dovecot: every way in (plain, TLS, STARTTLS; password and master user),
//! folder listing with namespaces and non-ASCII names, APPEND with flags and dates, metadata and body fetches.

use mailferry::imap::{self, Appended, Endpoint, Login, OutMessage};
use mailferry::model::{Secret, Security, Uid};
use mailferry_tests::dovecot::{Dovecot, Options};
use std::time::Duration;

fn endpoint(d: &Dovecot, security: Security) -> Endpoint {
    let port = if security == Security::Tls { d.tls_port.unwrap() } else { d.port };
    let host = if security == Security::Plain { "127.0.0.1" } else { "localhost" };
    let (ca_file, timeout) = (Some(d.ca_pem()), Duration::from_secs(10));
    let host = mailferry::model::Host::parse(host).unwrap();
    Endpoint { host, port, security, ca_file, timeout, networks: imap::Networks::Any }
}

fn user(n: u32) -> Login {
    Login::Password { user: format!("user{n}@example.test"), password: Secret::new("pass".into()) }
}

fn msg(subject: &str, flags: &[&str], date: &str) -> OutMessage {
    OutMessage {
        flags: flags.iter().map(|f| imap::Flag::parse(f).unwrap()).collect(),
        internal_date: imap::InternalDate::parse(date),
        body: format!("From: a@example.test\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n").into_bytes(),
    }
}

#[tokio::test]
async fn every_way_in() {
    let d = Dovecot::start_with(Options { tls: true, ..Default::default() });
    for security in [Security::Plain, Security::Tls, Security::Starttls] {
        let s = imap::open(&endpoint(&d, security), &user(1)).await.unwrap_or_else(|e| panic!("{security:?}: {e}"));
        assert!(s.has("IMAP4REV1"), "{security:?}: capabilities after login");
        s.logout().await;
    }
    let master = Login::Master {
        user: "user2@example.test".into(),
        master_user: "admin".into(),
        master_password: Secret::new("masterpass".into()),
    };
    let mut s = imap::open(&endpoint(&d, Security::Tls), &master).await.unwrap();
    let status = s.status("INBOX").await.unwrap();
    assert_eq!(status.messages, Some(0));
    s.logout().await;
    let wrong = Login::Password { user: "user1@example.test".into(), password: Secret::new("Wrong-Secret-77".into()) };
    let err = imap::open(&endpoint(&d, Security::Plain), &wrong).await.err().expect("refused");
    assert!(matches!(err, imap::ImapError::Auth { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("Wrong-Secret-77"));
}

#[tokio::test]
async fn tls_without_the_ca_is_refused() {
    let d = Dovecot::start_with(Options { tls: true, ..Default::default() });
    let mut ep = endpoint(&d, Security::Tls);
    ep.ca_file = None;
    let err = imap::open(&ep, &user(1)).await.err().expect("untrusted certificate");
    assert!(matches!(&err, imap::ImapError::Tls { detail, .. } if detail.contains("certificate")), "{err}");
}

#[tokio::test]
async fn folders_append_and_fetch() {
    let d = Dovecot::start_with(Options { separator: '.', prefix: "INBOX.".into(), ..Default::default() });
    let mut s = imap::open(&endpoint(&d, Security::Plain), &user(1)).await.unwrap();
    assert_eq!(s.personal_namespace().await.unwrap(), ("INBOX.".to_string(), Some('.')));
    let wire = imap::utf7::encode("INBOX.Café.日本語");
    s.create(&imap::utf7::encode("INBOX.Café")).await.unwrap();
    s.create(&wire).await.unwrap();
    s.create(&wire).await.unwrap();
    let names: Vec<String> = s.list_all().await.unwrap().into_iter().map(|e| e.name).collect();
    assert!(names.contains(&"INBOX.Café.日本語".to_string()), "{names:?}");
    let sent = s.list_all().await.unwrap().into_iter().find(|e| e.name == "INBOX.Sent").unwrap();
    assert!(sent.has("\\Sent") && sent.delimiter == Some('.'));

    let out = s
        .append_all(
            &wire,
            &[
                msg("one", &["\\Seen", "$Label1"], "01-Feb-2020 10:11:12 +0100"),
                msg("two", &[], " 2-Mar-2021 00:00:01 +0000"),
            ],
        )
        .await
        .unwrap();
    let uids: Vec<u32> = out
        .iter()
        .map(|o| match o {
            Appended::Stored { uid } => uid.unwrap(),
            r => panic!("{r:?}"),
        })
        .collect();
    assert_eq!(uids.len(), 2);
    let sel = s.open(&wire, true).await.unwrap();
    assert_eq!(sel.exists, 2);
    assert!(sel.read_only);
    let meta = s.metadata_from(Uid::new(1).unwrap()).await.unwrap();
    assert_eq!(meta.len(), 2);
    assert_eq!(imap::Flags::wire(&meta[0].flags), "\\Seen $Label1", "\\Recent is never kept");
    assert!(meta[0].dropped_flags.is_empty());
    let instant = |d: &str| imap::parse_internal_date(d).unwrap();
    assert_eq!(meta[0].internal_date.unwrap().instant(), instant("01-Feb-2020 10:11:12 +0100"));
    assert_eq!(meta[1].internal_date.unwrap().instant(), instant(" 2-Mar-2021 00:00:01 +0000"));
    let beyond = s.metadata_from(Uid::new(uids[1] + 1).unwrap()).await.unwrap();
    assert!(beyond.is_empty(), "n:* above every UID must not return the last message");
    let tag = s.start_bodies(&[meta[1].uid, meta[0].uid]).await.unwrap();
    let mut bodies = Vec::new();
    while let Some(b) = s.next_body(&tag).await.unwrap() {
        bodies.push(b);
    }
    bodies.sort_by_key(|b| b.uid);
    assert_eq!(bodies[0].body, msg("one", &[], "").body);
    assert_eq!(bodies[1].body.len() as u64, meta[1].size);
    let again = s.metadata_from(Uid::new(1).unwrap()).await.unwrap();
    assert!(again[1].flags.is_empty(), "BODY.PEEK must not set \\Seen: {:?}", again[1].flags);
    s.logout().await;
}
