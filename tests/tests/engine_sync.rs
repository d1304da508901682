//! The copy engine on real Dovecot pairs, checked by the independent verifier: the whole corpus arrives equal
//! (names, counts, content, flags, dates); a re-run copies nothing; a delta copies exactly the new messages; a
//! master-user source; a UIDVALIDITY reset; a refused oversized message; a deadline; a folder held by another.

use mailferry::embedded::{Database, SqliteCheckpoints};
use mailferry::engine::{FolderOutcome, MailboxReport, MailboxSync, sync_mailbox};
use mailferry::imap::Login;
use mailferry::model::{FolderKey, Secret};
use mailferry::ports::{Checkpoints, SystemClock};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::engine::sync_config;
use mailferry_tests::verify;
use std::sync::Arc;
use std::time::Duration;

fn checkpoints() -> (tempfile::TempDir, Arc<SqliteCheckpoints>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(&dir.path().join("state.sqlite")).unwrap();
    (dir, Arc::new(SqliteCheckpoints::new(db, Arc::new(SystemClock))))
}

async fn run(cfg: &MailboxSync, cp: &Arc<SqliteCheckpoints>) -> MailboxReport {
    let report = sync_mailbox(cfg, cp.clone(), Arc::new(|_| {})).await.expect("sync");
    assert!(report.failed.is_empty(), "failed folders: {:?}", report.failed);
    report
}

fn copied(r: &MailboxReport) -> u64 {
    r.folders.iter().map(|f| f.copied).sum()
}

async fn fill(d: &Dovecot, spec: &Spec, range: std::ops::Range<usize>) -> usize {
    let mut s = corpus::login(d.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, spec, range).await;
    s.logout().await;
    n
}

async fn assert_equal(src: &Dovecot, dst: &Dovecot) -> verify::Digest {
    let (a, b) = (
        verify::digest(src.port, "user1@example.test", "pass").await,
        verify::digest(dst.port, "user1@example.test", "pass").await,
    );
    let diffs = verify::compare(&a, &b, |p| p.to_string());
    assert!(diffs.is_empty(), "source and destination differ:\n{}", diffs.join("\n"));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_corpus_then_nothing_then_exactly_the_delta() {
    let src = Dovecot::start_with(Options { separator: '.', prefix: "INBOX.".into(), ..Default::default() });
    let dst = Dovecot::start();
    let spec = Spec { seed: 11, messages: 400, large: vec![2 << 20] };
    let n = fill(&src, &spec, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let cfg = sync_config(&src, &dst);

    let first = run(&cfg, &cp).await;
    assert_eq!(copied(&first), n as u64);
    assert!(first.folders.iter().all(|f| f.outcome == FolderOutcome::Done), "{:?}", first.folders);
    let digest = assert_equal(&src, &dst).await;
    let names: Vec<&str> = digest.keys().map(String::as_str).collect();
    for name in [
        "INBOX",
        "Café",
        "Données/2024",
        "日本語",
        "Cartório",
        "A&B Co",
        "Projects/Alpha/Notes",
        "Sent",
        "Archive/2023",
    ] {
        assert!(names.contains(&name), "{name} missing on the destination: {names:?}");
    }
    assert_eq!(verify::total(&digest), n);
    let big = digest["INBOX"].iter().map(|e| e.size).max().unwrap();
    assert!(big >= 2 << 20, "the large message arrived whole ({big} bytes)");

    let again = run(&cfg, &cp).await;
    assert_eq!(copied(&again), 0, "a re-run copies nothing");

    let new = fill(&src, &Spec { seed: 99, ..spec.clone() }, 0..1).await;
    assert_eq!(new, corpus::FOLDERS.len(), "one new message per folder");
    let delta = run(&cfg, &cp).await;
    assert_eq!(copied(&delta), new as u64, "the delta pass copies exactly the new messages");
    assert_eq!(delta.folders.iter().map(|f| f.already_present).sum::<u64>(), 0);
    assert_equal(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn master_user_source() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let n = fill(&src, &Spec { seed: 3, messages: 60, large: vec![] }, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let mut cfg = sync_config(&src, &dst);
    cfg.source_login = Login::Master {
        user: "user1@example.test".into(),
        master_user: "admin".into(),
        master_password: Secret::new("masterpass".into()),
    };
    assert_eq!(copied(&run(&cfg, &cp).await), n as u64);
    assert_equal(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uidvalidity_reset_neither_duplicates_nor_skips() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let spec = Spec { seed: 5, messages: 120, large: vec![] };
    fill(&src, &spec, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let cfg = sync_config(&src, &dst);
    run(&cfg, &cp).await;
    src.doveadm(&["mailbox", "update", "-u", "user1@example.test", "--uid-validity", "4242", "INBOX"]);
    let new = fill(&src, &Spec { seed: 77, ..spec }, 0..1).await;
    assert!(new > 0);
    let report = run(&cfg, &cp).await;
    assert_eq!(copied(&report), new as u64, "only the new messages are copied after the reset");
    let inbox = report.folders.iter().find(|f| f.path == "INBOX").unwrap();
    assert!(inbox.already_present > 0, "the INBOX was compared by content: {inbox:?}");
    assert_equal(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_oversized_message_is_reported_and_the_rest_copied() {
    let src = Dovecot::start();
    let dst = Dovecot::start_with(Options { max_mail_size: Some("1M".into()), ..Default::default() });
    let n = fill(&src, &Spec { seed: 8, messages: 80, large: vec![3 << 20] }, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let report = run(&sync_config(&src, &dst), &cp).await;
    let skipped: Vec<_> = report.folders.iter().flat_map(|f| f.skipped.iter()).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].folder, "INBOX");
    assert!(skipped[0].size >= 3 << 20);
    assert!(
        skipped[0].reason.contains("[LIMIT]") && skipped[0].reason.contains("larger than the maximum size"),
        "{}",
        skipped[0].reason
    );
    assert_eq!(copied(&report), n as u64 - 1);
    assert!(report.folders.iter().all(|f| f.outcome == FolderOutcome::Done), "skips are reported, the folder is done");
    let (a, b) = (
        verify::digest(src.port, "user1@example.test", "pass").await,
        verify::digest(dst.port, "user1@example.test", "pass").await,
    );
    let diffs = verify::compare(&a, &b, |p| p.to_string());
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0].starts_with("INBOX: "), "{diffs:?}");
    assert_eq!(a["INBOX"].len(), b["INBOX"].len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deadline_stops_cleanly_and_the_next_run_finishes() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let n = fill(&src, &Spec { seed: 9, messages: 50, large: vec![] }, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let mut cfg = sync_config(&src, &dst);
    cfg.settings.deadline = Some(tokio::time::Instant::now());
    let stopped = run(&cfg, &cp).await;
    assert!(stopped.folders.iter().all(|f| f.outcome == FolderOutcome::MoreToDo), "{:?}", stopped.folders);
    cfg.settings.deadline = None;
    let rest = run(&cfg, &cp).await;
    assert_eq!(copied(&stopped) + copied(&rest), n as u64);
    assert_equal(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_folder_held_by_another_worker_is_left_alone() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    fill(&src, &Spec { seed: 4, messages: 30, large: vec![] }, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    let cfg = sync_config(&src, &dst);
    let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: "INBOX".into() };
    cp.acquire(&key, "someone-else", Duration::from_secs(300)).await.unwrap();
    let report = sync_mailbox(&cfg, cp.clone(), Arc::new(|_| {})).await.unwrap();
    let (folder, error) = report.failed.iter().find(|(f, _)| f == "INBOX").expect("INBOX not copied");
    assert_eq!(folder, "INBOX");
    assert!(error.contains("is being copied by someone-else"), "{error}");
    let b = verify::digest(dst.port, "user1@example.test", "pass").await;
    assert!(b.get("INBOX").is_none_or(Vec::is_empty), "nothing was copied into the held folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destination_without_literal_plus_gets_synchronising_literals() {
    let src = Dovecot::start();
    let caps = "IMAP4rev1 SASL-IR ID ENABLE IDLE UIDPLUS NAMESPACE CHILDREN SPECIAL-USE";
    let dst = Dovecot::start_with(Options { capability: Some(caps.into()), ..Default::default() });
    let probe = corpus::login(dst.port, "user1@example.test", "pass").await;
    assert!(!probe.has("LITERAL+") && !probe.has("LITERAL-"), "{:?}", probe.capabilities());
    probe.logout().await;
    let n = fill(&src, &Spec { seed: 13, messages: 90, large: vec![1 << 20] }, 0..usize::MAX).await;
    let (_dir, cp) = checkpoints();
    assert_eq!(copied(&run(&sync_config(&src, &dst), &cp).await), n as u64);
    assert_equal(&src, &dst).await;
}
