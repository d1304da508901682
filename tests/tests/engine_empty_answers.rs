//! Never trust an empty answer: a source that says a folder holds five messages but answers listings or body
//! fetches with nothing must fail loudly. The folder is never marked done, the checkpoint does not advance, and
//! nothing lands on the destination.

use mailferry::embedded::{Database, SqliteCheckpoints};
use mailferry::engine::sync_mailbox;
use mailferry::model::FolderKey;
use mailferry::ports::{Checkpoints, SystemClock};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::engine::sync_config;
use mailferry_tests::fake_imap::{self, Fault};
use mailferry_tests::verify;
use std::sync::Arc;

async fn run_against(fault: Fault) -> (String, Option<mailferry::model::Checkpoint>, usize) {
    let port = fake_imap::start(fault).await;
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let cp =
        Arc::new(SqliteCheckpoints::new(Database::open(&dir.path().join("s.sqlite")).unwrap(), Arc::new(SystemClock)));
    let mut cfg = sync_config(&dst, &dst);
    cfg.source.port = port;
    cfg.attempts = 2;
    let report = sync_mailbox(&cfg, cp.clone(), Arc::new(|_| {})).await.expect("planning works");
    assert!(report.folders.is_empty(), "no folder may be reported as copied: {:?}", report.folders);
    let (folder, error) = report.failed.first().cloned().expect("INBOX must fail");
    assert_eq!(folder, "INBOX");
    let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: "INBOX".into() };
    let checkpoint = cp.load(&key).await.unwrap();
    let dest = verify::digest(dst.port, "user1@example.test", "pass").await;
    (error, checkpoint, dest.get("INBOX").map_or(0, Vec::len))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_listing_is_not_an_empty_folder() {
    let (error, checkpoint, on_dest) = run_against(Fault::EmptyListing).await;
    assert!(
        error.contains("inconsistent answers from the server: EXISTS says 5 messages but the listing has 0"),
        "{error}"
    );
    let checkpoint = checkpoint.unwrap_or_default();
    assert!(!checkpoint.done && checkpoint.last_uid.is_none(), "{checkpoint:?}");
    assert_eq!(on_dest, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bodies_of_existing_messages_are_an_error() {
    let (error, checkpoint, on_dest) = run_against(Fault::EmptyBodies).await;
    assert!(error.contains("5 message(s) exist but their bodies were not returned (first UID 1)"), "{error}");
    let checkpoint = checkpoint.unwrap_or_default();
    assert!(!checkpoint.done && checkpoint.last_uid.is_none(), "{checkpoint:?}");
    assert_eq!(on_dest, 0);
}
