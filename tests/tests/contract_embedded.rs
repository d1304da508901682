//! The port contract suite against the embedded home (SQLite file, directory, outbox, key file).

use chrono::Utc;
use mailferry::embedded::{
    Database, DirBlobs, KeyFileSecretBox, OutboxMailer, SqliteCheckpoints, SqliteCounters, SqliteQueue, SqliteSlots,
    SqliteStore,
};
use mailferry::ports::{Email, Mailer, ManualClock, Slots, SystemClock};
use mailferry_tests::contract;
use std::sync::Arc;

fn db(dir: &tempfile::TempDir) -> Database {
    Database::open(&dir.path().join("state.sqlite")).unwrap()
}

#[tokio::test]
async fn checkpoint_conflict() {
    let dir = tempfile::tempdir().unwrap();
    contract::checkpoint_conflict(&SqliteCheckpoints::new(db(&dir), Arc::new(SystemClock))).await;
}

#[tokio::test]
async fn lost_lease_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    contract::lost_lease_takeover(&SqliteCheckpoints::new(db(&dir), clock.clone()), &clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_among_racing_workers() {
    let dir = tempfile::tempdir().unwrap();
    contract::one_winner_among_racing_workers(Arc::new(SqliteCheckpoints::new(db(&dir), Arc::new(SystemClock))), true)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_workers_in_separate_connections() {
    // Two connections to one file behave like two processes: SQLite's locking, not our mutex, must decide.
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteCheckpoints::new(db(&dir), Arc::new(SystemClock));
    let b = SqliteCheckpoints::new(db(&dir), Arc::new(SystemClock));
    let key = mailferry::model::FolderKey {
        job: mailferry::model::JobId::generate(),
        mailbox: "a@example.com".into(),
        folder: "INBOX".into(),
    };
    use mailferry::ports::Checkpoints;
    let ttl = std::time::Duration::from_secs(60);
    let (ra, rb) = tokio::join!(a.acquire(&key, "a", ttl), b.acquire(&key, "b", ttl));
    assert_eq!(usize::from(ra.is_ok()) + usize::from(rb.is_ok()), 1, "{ra:?} / {rb:?}");
}

#[tokio::test]
async fn redelivery_after_visibility_timeout() {
    let dir = tempfile::tempdir().unwrap();
    contract::redelivery_after_visibility_timeout(&SqliteQueue::new(db(&dir), "tasks", 5, Arc::new(SystemClock))).await;
}

#[tokio::test]
async fn dead_lettering_after_max_receives() {
    let dir = tempfile::tempdir().unwrap();
    contract::dead_lettering_after_max_receives(&SqliteQueue::new(db(&dir), "tasks", 2, Arc::new(SystemClock))).await;
}

#[tokio::test]
async fn delay_and_back_off() {
    let dir = tempfile::tempdir().unwrap();
    contract::delay_and_back_off(&SqliteQueue::new(db(&dir), "tasks", 5, Arc::new(SystemClock))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    contract::counters_under_concurrency(Arc::new(SqliteCounters::new(db(&dir))), 16).await;
}

#[tokio::test]
async fn seal_open_and_tamper_detection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/secret.key");
    let sb = KeyFileSecretBox::open_or_create(&path).unwrap();
    contract::seal_open_and_tamper_detection(&sb).await;
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600,
        "key file readable by its owner only"
    );
    // The same key file opens what was sealed before; another key does not.
    use mailferry::ports::SecretBox;
    let sealed = sb.seal(&mailferry::model::Secret::new("pw".into()), "job-9").await.unwrap();
    let again = KeyFileSecretBox::open_or_create(&path).unwrap();
    assert_eq!(again.open(&sealed, "job-9").await.unwrap().expose(), "pw");
    let other = KeyFileSecretBox::with_key([7; 32]);
    assert!(other.open(&sealed, "job-9").await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_store() {
    let dir = tempfile::tempdir().unwrap();
    contract::job_store(Arc::new(SqliteStore::new(db(&dir))), true).await;
}

#[tokio::test]
async fn schedules_of_a_job() {
    let dir = tempfile::tempdir().unwrap();
    contract::schedules_of_a_job(&mailferry::embedded::SqliteSchedules::new(db(&dir))).await;
}

#[tokio::test]
async fn blobs() {
    let dir = tempfile::tempdir().unwrap();
    contract::blobs(&DirBlobs::new(dir.path().join("blobs"))).await;
}

#[tokio::test]
async fn outbox_holds_one_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = OutboxMailer::new(&outbox);
    let email = Email {
        from: "mailferry@example.com".into(),
        to: vec!["ops@example.com".into()],
        subject: "Première passe terminée".into(),
        text: "2 mailboxes, 1,234 messages".into(),
        html: Some("<p>2 mailboxes</p>".into()),
    };
    let id = mailer.send(&email).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: ops@example.com\r\n"));
    assert!(eml.contains(&format!("Message-ID: <{id}>")));
    assert!(eml.contains("Subject: =?UTF-8?B?"), "non-ASCII subject is RFC 2047 encoded");
    assert!(eml.contains("multipart/alternative") && eml.contains("text/html"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_add_once() {
    let dir = tempfile::tempdir().unwrap();
    contract::counters_add_once(Arc::new(SqliteCounters::new(db(&dir))), true).await;
}

#[tokio::test]
async fn usage_ledger() {
    let dir = tempfile::tempdir().unwrap();
    contract::usage_ledger(&mailferry::embedded::SqliteUsage::new(db(&dir))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn domain_owners() {
    let dir = tempfile::tempdir().unwrap();
    contract::domain_owners(Arc::new(mailferry::embedded::SqliteDomainOwners::new(db(&dir))), true).await;
}

#[tokio::test]
async fn blobs_are_private_to_their_owner() {
    use mailferry::ports::Blobs;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let blobs = DirBlobs::new(dir.path().join("blobs"));
    blobs.put("migrations/acme/batch.csv", b"destination,password\n".to_vec(), "text/csv").await.unwrap();
    let mode = |p: &str| std::fs::metadata(dir.path().join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("blobs/migrations/acme/batch.csv"), 0o600);
    assert_eq!((mode("blobs/migrations/acme"), mode("blobs/migrations")), (0o700, 0o700));
}

#[tokio::test]
async fn long_folder_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cp = SqliteCheckpoints::new(db(&dir), Arc::new(SystemClock));
    contract::long_folder_paths(&cp, Arc::new(SqliteCounters::new(db(&dir)))).await;
}

#[tokio::test]
async fn slots_cap_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Utc::now()));
    contract::slots_cap_and_expiry(&SqliteSlots::new(db(&dir), clock.clone()), &clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slots_racing_takers() {
    let dir = tempfile::tempdir().unwrap();
    contract::slots_racing_takers(Arc::new(SqliteSlots::new(db(&dir), Arc::new(SystemClock))), true).await;
}

/// A dead runner's slots end when it is found dead, not when their leases would have run out.
#[tokio::test]
async fn slots_of_a_dead_runner_are_freed() {
    let dir = tempfile::tempdir().unwrap();
    let slots = SqliteSlots::new(db(&dir), Arc::new(SystemClock));
    let ttl = std::time::Duration::from_secs(600);
    assert!(slots.take("s", "mailferry-run:1-a#t1", 1, ttl).await.unwrap());
    assert!(slots.take("t", "mailferry-run:11-b#t1", 1, ttl).await.unwrap());
    assert_eq!(slots.expire_held_by("mailferry-run:1-a#", Utc::now()).await.unwrap(), 1);
    assert!(slots.take("s", "mailferry-run:2-c#t1", 1, ttl).await.unwrap(), "the dead runner's slot is free");
    assert!(!slots.take("t", "mailferry-run:2-c#t2", 1, ttl).await.unwrap(), "another runner's slot is not");
}
