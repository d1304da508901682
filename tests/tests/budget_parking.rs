//! A download budget per mailbox (Gmail's is 2,500 MB a day): a mailbox that used its budget is parked, not
//! failed, and resumes by itself when the window renews. Here the budget is a third of the mailbox per 4-second
//! window, so the copy parks at least twice; while it is parked `status` says so and until when; the pass ends
//! complete and the destination equals the source, message by message.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{mailferry_in, spawn_migrate, user1_csv};
use mailferry_tests::verify;
use std::time::{Duration, Instant};

const USER: &str = "user1@example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_over_its_budget_is_parked_and_resumes_when_it_renews() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 71, 0..60).await;
    let total: usize = verify::digest(src.port, USER, "pass").await.values().flatten().map(|e| e.size).sum();
    let budget = format!("{}B/4s", total / 3 + 1);
    let dir = tempfile::tempdir().unwrap();
    let csv = user1_csv(dir.path(), src.port);
    let state = dir.path().join("state");
    let migrate = spawn_migrate(&state, &csv, dst.port, &["--batch-messages", "5", "--source-budget", &budget]);
    // While it runs: `status` shows the mailbox parked, and until when.
    let started = Instant::now();
    let mut parked = None;
    while parked.is_none() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
        let (_, out, _) = mailferry_in(&state, &["status"]);
        parked = out.lines().find(|l| l.contains("parked until")).map(str::to_string);
    }
    let out = migrate.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert!(out.status.success(), "{stdout}{stderr}\n{log}");
    let parked = parked.unwrap_or_else(|| panic!("status never showed the mailbox parked\n{log}"));
    assert!(parked.contains(USER) && parked.contains("UTC: download budget used"), "{parked}");
    assert!(stdout.contains("initial pass: 1/1 mailboxes, 60 messages"), "{stdout}");
    let mut untils: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("parked until the budget renews"))
        .filter_map(|l| l.split("until=").nth(1)?.split(" UTC").next())
        .collect();
    untils.dedup();
    assert!(untils.len() >= 2, "parked in at least two windows: {untils:?}\n{log}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 60);
    let (_, status, _) = mailferry_in(&state, &["status"]);
    assert!(!status.contains("parked") && status.contains("done"), "{status}");
}
