//! Every message of the pipeline delivered twice changes nothing: the upload event, the scheduler event, every
//! mailbox and folder task, and the "pass complete" event. Counted once, copied once (verified), one email.
//! Also: the mailboxes-in-flight cap (1 here) lets the second mailbox start only when the first finished.
//! Run twice: with every non-empty folder on its own task, and with the small folders copied by the mailbox
//! task over its own connections (the default).

use mailferry::model::Pass;
use mailferry::stages::{self, PassEvent, ScheduleInput, Task, Upload, UploadOutcome};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::{pipeline, verify};
use std::time::Duration;

async fn fill(d: &Dovecot, user: &str, messages: usize, seed: u64) -> usize {
    let mut s = corpus::login(d.port, user, "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed, messages, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_twice_changes_nothing() {
    let handled = every_message_twice(0).await;
    assert!(handled >= 2 + 2 * 13, "handled {handled} tasks: every folder task twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_twice_with_small_folders_on_the_mailbox_task() {
    let handled = every_message_twice(2000).await;
    assert_eq!(handled, 2, "the two mailbox tasks copied every folder; no folder task was needed");
}

/// Run a two-mailbox job delivering every message twice; returns how many task messages were handled.
async fn every_message_twice(small_folder: u32) -> usize {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let n1 = fill(&src, "user1@example.test", 40, 51).await;
    let n2 = fill(&src, "user2@example.test", 20, 52).await;
    let dir = tempfile::tempdir().unwrap();
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.settings.connections.small_folder = small_folder;
    pipeline::own(&deps, "acme", "example.test").await;
    let (tasks, events) = (deps.tasks.clone(), deps.events.clone());
    let csv = pipeline::migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    deps.blobs.put("migrations/acme/two.csv", csv.clone().into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: "migrations/acme/two.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { job, ready: 2, .. } = stages::on_upload(&deps, &upload).await.unwrap() else {
        panic!("upload not accepted")
    };
    // The same event again (object gone), and the same object uploaded again: no second job.
    assert!(matches!(stages::on_upload(&deps, &upload).await.unwrap(), UploadOutcome::Ignored { .. }));
    deps.blobs.put("migrations/acme/two.csv", csv.into_bytes(), "text/csv").await.unwrap();
    assert_eq!(stages::on_upload(&deps, &upload).await.unwrap(), UploadOutcome::AlreadyHandled { job: job.clone() });

    stages::schedule_pass(&deps, &job, Pass::Initial, deps.clock.now()).await.unwrap();
    let input = ScheduleInput { job: job.clone(), pass: Pass::Initial, action: Default::default() };
    assert_eq!(stages::on_schedule(&deps, &input).await.unwrap(), 1, "one mailbox in flight at first");
    assert_eq!(stages::on_schedule(&deps, &input).await.unwrap(), 0, "a repeated scheduler event sends nothing");

    let mut handled = 0;
    loop {
        let got = tasks.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap();
        if got.is_empty() {
            break;
        }
        for d in got {
            let task = Task::parse(&d.body).unwrap();
            stages::on_task(&deps, &task, None, false).await.unwrap();
            stages::on_task(&deps, &task, None, false).await.unwrap();
            tasks.ack(&d.receipt).await.unwrap();
            handled += 1;
        }
    }
    // Duplicated tasks enqueue duplicates of their follow-ups; all of them were handled twice too.
    let got = events.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap();
    assert_eq!(got.len(), 1, "exactly one pass-complete event");
    let event: PassEvent = serde_json::from_str(&got[0].body).unwrap();
    assert!(stages::on_pass_complete(&deps, &event).await.unwrap());
    assert!(!stages::on_pass_complete(&deps, &event).await.unwrap(), "a repeated event sends no second email");
    assert_eq!(std::fs::read_dir(dir.path().join("outbox")).unwrap().count(), 1);

    let totals = deps.counters.get(&format!("{job}/initial")).await.unwrap();
    assert_eq!((totals["mailboxes"], totals["done"], totals["copied"]), (2, 2, (n1 + n2) as i64));
    for user in ["user1@example.test", "user2@example.test"] {
        let (a, b) = (verify::digest(src.port, user, "pass").await, verify::digest(dst.port, user, "pass").await);
        let diffs = verify::compare(&a, &b, |p| p.to_string());
        assert!(diffs.is_empty(), "{user}: source and destination differ:\n{}", diffs.join("\n"));
    }
    let job_now = deps.store.job(&job).await.unwrap().unwrap();
    assert_eq!(job_now.status, mailferry::model::JobStatus::InitialDone);
    handled
}
