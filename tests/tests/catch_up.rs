//! Catch-up passes in the embedded home: `migrate --catch-up-every 3s --catch-ups 2` copies the mailbox, then by
//! itself runs two catch-up passes three seconds after the pass before, each copying what arrived (and what
//! changed) since; `status` shows each catch-up and what it moved, the notifier writes one email per pass, and the
//! job waits for its final pass (the credentials are kept).

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{mailferry_in, outbox, spawn_migrate, user1_csv};
use mailferry_tests::verify;
use serde_json::Value;
use std::time::{Duration, Instant};

const USER: &str = "user1@example.test";

/// The job's progress as `status --json` prints it.
fn status(state: &std::path::Path) -> Value {
    let (_, out, _) = mailferry_in(state, &["status", "--json"]);
    serde_json::from_str(&out).unwrap_or(Value::Null)
}

/// Wait until pass `name` is complete; its JSON.
fn complete(state: &std::path::Path, name: &str) -> Value {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(90) {
        let s = status(state);
        if let Some(p) =
            s["passes"].as_array().into_iter().flatten().find(|p| p["pass"] == name && p["complete"] == true)
        {
            return p.clone();
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    panic!("the {name} pass did not complete: {}", status(state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_catch_up_passes_run_by_themselves_and_each_copies_what_is_new() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 81, 0..30).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = user1_csv(dir.path(), src.port);
    let state = dir.path().join("state");
    let more = ["--catch-up-every", "3s", "--catch-ups", "2", "--notify", "ops@example.test"];
    let migrate = spawn_migrate(&state, &csv, dst.port, &more);
    assert_eq!(complete(&state, "initial")["copied"], 30);
    corpus::add_to_inbox(src.port, USER, 82, 0..5).await;
    src.doveadm(&["flags", "add", "-u", USER, "\\Flagged", "mailbox", "INBOX", "uid", "3"]);
    assert_eq!(complete(&state, "catch-up-1")["copied"], 5);
    corpus::add_to_inbox(src.port, USER, 83, 0..3).await;
    let out = migrate.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert!(out.status.success(), "{stdout}{stderr}\n{log}");
    assert_eq!(complete(&state, "catch-up-2")["copied"], 3);
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 38, "new mail and the flag change arrived");
    let s = status(&state);
    assert_eq!(s["job"]["status"], "initial_done", "waiting for the final pass: {s}");
    let names: Vec<&str> = s["passes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["started"] == true)
        .map(|p| p["pass"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["initial", "catch-up-1", "catch-up-2"]);
    let (_, text, _) = mailferry_in(&state, &["status"]);
    assert!(text.contains("catch-up-2 pass: 1/1 mailboxes, 3 messages"), "{text}");
    let last = text.lines().find(|l| l.contains("catch-up-2 pass:")).unwrap_or_default();
    assert!(last.contains(", complete at 20") && last.ends_with(" UTC"), "when the last catch-up ended: {text}");
    let mails = outbox(&state);
    assert_eq!(mails.len(), 3, "one email per pass");
    assert!(mails.iter().any(|m| m.contains("catch-up-1 pass") && m.contains("catch-ups go on until the final sync")));
    assert!(!log.contains("credentials purged"), "the final pass has not run: the credentials stay");
}
