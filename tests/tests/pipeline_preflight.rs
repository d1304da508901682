//! The pre-flight check of an upload: message counts and sizes per account (`STATUS=SIZE`), and a destination
//! mailbox whose quota cannot hold the source's mail refused by its line, before anything is copied.

use mailferry::embedded::{
    Database, DirBlobs, KeyFileSecretBox, OutboxMailer, SqliteCheckpoints, SqliteCounters, SqliteQueue,
    SqliteSchedules, SqliteStore,
};
use mailferry::ports::SystemClock;
use mailferry::stages::{self, Deps, Upload, UploadOutcome};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::pipeline;
use std::sync::Arc;

#[tokio::test]
async fn sizes_counted_and_an_over_quota_destination_refused() {
    let src = Dovecot::start();
    let dst = Dovecot::start_with(Options { quota_storage: Some("1M".into()), ..Default::default() });
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 71, messages: 200, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let mut s = corpus::login(src.port, "user2@example.test", "pass").await;
    let small = Spec { seed: 72, messages: 1, large: vec![] }.message(0, 0);
    let small_len = small.body.len() as u64;
    s.append_all("INBOX", &[small.into()]).await.unwrap();
    s.logout().await;

    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("state.sqlite")).unwrap();
    let clock = Arc::new(SystemClock);
    let deps = Deps {
        store: Arc::new(SqliteStore::new(db.clone())),
        counters: Arc::new(SqliteCounters::new(db.clone())),
        checkpoints: Arc::new(SqliteCheckpoints::new(db.clone(), clock.clone())),
        tasks: Arc::new(SqliteQueue::new(db.clone(), "tasks", 5, clock.clone())),
        events: Arc::new(SqliteQueue::new(db.clone(), "events", 5, clock.clone())),
        blobs: Arc::new(DirBlobs::new(dir.path().join("blobs"))),
        mailer: Arc::new(OutboxMailer::new(dir.path().join("outbox"))),
        secrets: Arc::new(KeyFileSecretBox::open_or_create(&dir.path().join("key")).unwrap()),
        schedules: Arc::new(SqliteSchedules::new(db.clone())),
        clock,
        settings: pipeline::settings(&dst, "blobs/"),
    };
    let csv = pipeline::migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    deps.blobs.put("migrations/acme/quota.csv", csv.into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: "migrations/acme/quota.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { job, ready, failed, .. } = stages::on_upload(&deps, &upload).await.unwrap() else {
        panic!("not accepted")
    };
    assert_eq!(ready, 1, "{failed:?}");
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (line, address, problem) = &failed[0];
    assert_eq!((*line, address.as_str()), (2, "user1@example.test"));
    assert!(problem.contains("MB of quota free") && problem.contains("user1@example.test"), "{problem}");
    let mailboxes = deps.store.mailboxes(&job).await.unwrap();
    let user2 = mailboxes.iter().find(|m| m.address == "user2@example.test").unwrap();
    let pre = user2.details.preflight.clone().unwrap();
    assert_eq!((pre.messages, pre.bytes), (1, Some(small_len)));
    assert!(n >= 200);
}
