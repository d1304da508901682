//! A hostile source server (the one kind of hand-written server allowed: answers no real server gives) against
//! a real Dovecot destination. Nothing the source sends may reach the destination as protocol syntax, and no
//! answer may crash the process, exhaust its memory or hold it forever.

use mailferry::embedded::{Database, SqliteCheckpoints};
use mailferry::engine::{MailboxReport, MailboxSync, sync_mailbox};
use mailferry::imap::{self, ImapError, Login};
use mailferry::model::Secret;
use mailferry::ports::SystemClock;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::engine::sync_config;
use mailferry_tests::fake_imap::{self, Fault};
use mailferry_tests::{corpus, verify};
use std::sync::Arc;
use std::time::Duration;

/// A destination holding a folder "Important" with one message: the smuggled commands try to delete it.
async fn destination() -> Dovecot {
    let dst = Dovecot::start();
    let mut s = corpus::login(dst.port, "user1@example.test", "pass").await;
    s.create("Important").await.unwrap();
    let keep = imap::OutMessage { flags: vec![], internal_date: None, body: b"Subject: keep\r\n\r\nkeep\r\n".to_vec() };
    s.append_all("Important", &[keep]).await.unwrap();
    s.logout().await;
    dst
}

async fn sync_from(fault: Fault, dst: &Dovecot, timeout: Duration) -> Result<MailboxReport, String> {
    let port = fake_imap::start(fault).await;
    let dir = tempfile::tempdir().unwrap();
    let cp =
        Arc::new(SqliteCheckpoints::new(Database::open(&dir.path().join("s.sqlite")).unwrap(), Arc::new(SystemClock)));
    let mut cfg: MailboxSync = sync_config(dst, dst);
    cfg.source.port = port;
    cfg.source.timeout = timeout;
    cfg.attempts = 1;
    sync_mailbox(&cfg, cp, Arc::new(|_| {})).await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggled_flags_and_dates_never_reach_the_destination_as_commands() {
    let dst = destination().await;
    let report = sync_from(Fault::SmuggledMetadata, &dst, Duration::from_secs(20)).await.expect("sync runs");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let inbox = report.folders.iter().find(|f| f.path == "INBOX").expect("INBOX copied");
    assert_eq!((inbox.copied, inbox.dropped_flags, inbox.bad_dates), (2, 1, 1), "{inbox:?}");

    let dest = verify::digest(dst.port, "user1@example.test", "pass").await;
    assert!(!dest.contains_key("Planted"), "no folder planted: {:?}", dest.keys());
    assert_eq!(dest.get("Important").map(Vec::len), Some(1), "not deleted, nothing appended: {:?}", dest.keys());
    let mut inbox: Vec<_> = dest["INBOX"].iter().map(|e| (e.size, e.flags.clone())).collect();
    inbox.sort();
    let (b1, b2) = (fake_imap::body(1).len(), fake_imap::body(2).len());
    let mut expected = vec![(b1, vec!["\\Seen".to_string()]), (b2, vec!["\\Flagged".to_string()])];
    expected.sort();
    assert_eq!(inbox, expected, "exactly the two messages, with only their valid flags");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_name_with_cr_lf_is_never_sent() {
    let dst = destination().await;
    let report = sync_from(Fault::SmuggledFolderName, &dst, Duration::from_secs(20)).await.expect("sync runs");
    let dest = verify::digest(dst.port, "user1@example.test", "pass").await;
    assert_eq!(dest["Important"].len(), 1, "the destination's folder survived");
    assert!(dest.keys().all(|k| !k.contains('\n') && !k.contains('\r')), "{:?}", dest.keys());
    let refused: Vec<&(String, String)> = report.plan.excluded.iter().filter(|(p, _)| p.starts_with("Evil")).collect();
    assert_eq!(
        refused,
        [&("Evil\\r\\nZ9 DELETE \\\"Important\\\"".to_string(), "the name holds a control character".to_string())]
    );
    assert!(report.failed.is_empty(), "{:?}", report.failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_literal_length_with_a_sign_is_an_error_not_a_crash() {
    let dst = Dovecot::start();
    let err = sync_from(Fault::SignedLiteral, &dst, Duration::from_secs(20)).await.expect_err("listing fails");
    assert!(err.contains("unreadable response from the server"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_literal_in_the_greeting_is_refused_before_it_is_allocated() {
    let port = fake_imap::start(Fault::GreetingLiteral).await;
    let mut ep = corpus::plain_endpoint(port);
    ep.timeout = Duration::from_secs(20);
    let login = Login::Password { user: "u".into(), password: Secret::new("p".into()) };
    let err = imap::open(&ep, &login).await.err().expect("refused");
    assert!(matches!(err, ImapError::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("exceeds the limit of 65536"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickle_of_untagged_lines_meets_the_command_deadline() {
    let dst = Dovecot::start();
    // Each line comes well within the 1 s idle timeout; the command as a whole may take 10 idle timeouts.
    let err = sync_from(Fault::Trickle, &dst, Duration::from_secs(1)).await.expect_err("listing fails");
    assert!(err.contains("complete a command: no answer within 10 s"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_untagged_lines_is_capped() {
    let dst = Dovecot::start();
    let err = sync_from(Fault::Flood, &dst, Duration::from_secs(60)).await.expect_err("listing fails");
    assert!(err.contains("responses or") && err.contains("bytes for one LIST"), "{err}");
}
