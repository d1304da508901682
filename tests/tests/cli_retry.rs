//! `mailferry retry`: a mailbox the pre-flight refused (wrong password) is migrated by a later pass once the
//! corrected credentials are given, and after the final pass (credentials purged) `retry --all` with the
//! credentials again is another final pass that copies exactly what arrived since — each through the binary,
//! against Dovecot, with the notification for each pass.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{migration_csv, outbox};
use mailferry_tests::verify;
use std::path::Path;

fn mailferry(state: &Path, args: &[&str]) -> (i32, String, String) {
    mailferry_tests::pipeline::mailferry_in(state, args)
}

async fn add(d: &Dovecot, user: &str, seed: u64, n: usize) {
    corpus::add_to_inbox(d.port, user, seed, 0..n).await;
}

async fn equal(src: &Dovecot, dst: &Dovecot, user: &str) -> usize {
    verify::assert_same(src.port, dst.port, user).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mailbox_is_retried_with_corrected_credentials_and_a_final_pass_can_run_again() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    add(&src, "user1@example.test", 1, 20).await;
    add(&src, "user2@example.test", 2, 12).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, migration_csv(&src, &[(1, "pass"), (2, "not-the-password")])).unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let migrate = ["migrate", csv.to_str().unwrap(), "--dest", &dest, "--domain", "example.test"];
    let (code, out, err) =
        mailferry(&state, &[&migrate[..], &["--allow-private-sources", "--notify", "ops@example.test"]].concat());
    assert_eq!(code, 1, "user2 was refused\n{out}{err}");
    let job = out.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();

    // Nothing to fix without new credentials: the check refuses user2 again, and nothing is scheduled.
    let (code, out, err) = mailferry(&state, &["retry", &job]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("line 3: user2@example.test: still not migrated: source server 127.0.0.1"), "{out}");

    // The corrected row (a row for another address is ignored): user2 is copied by a pass of its own.
    let fixed = dir.path().join("fixed.csv");
    std::fs::write(&fixed, migration_csv(&src, &[(2, "pass"), (1, "whatever")])).unwrap();
    let (code, out, err) = mailferry(&state, &["retry", &job, "--credentials", fixed.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("extra-2 pass of {job}: 1 mailbox(es) scheduled")), "{out}");
    assert!(out.contains("extra-2 pass: 1/1 mailboxes, 12 messages"), "{out}");
    assert_eq!(equal(&src, &dst, "user2@example.test").await, 12);
    assert_eq!(equal(&src, &dst, "user1@example.test").await, 20);
    let mails = outbox(&state);
    let extra = mails.iter().find(|m| m.contains("extra-2 pass")).expect("a notification for the later pass");
    assert!(extra.contains("Every mailbox of this pass is on the new server"), "{extra}");

    // The final pass, then late mail, then the final pass again: it needs the credentials again.
    let (code, out, err) = mailferry(&state, &["schedule", &job, "--pass", "final"]);
    assert_eq!(code, 0, "{out}{err}");
    add(&src, "user1@example.test", 3, 4).await;
    let (code, _, err) = mailferry(&state, &["schedule", &job, "--pass", "final"]);
    assert_eq!(code, 2);
    assert!(err.contains(&format!("mailferry retry {job} --all --credentials FILE")), "{err}");
    let (code, _, err) = mailferry(&state, &["retry", &job, "--all"]);
    assert_eq!(code, 2);
    assert!(err.contains("credentials were purged: give them again with --credentials FILE"), "{err}");
    let all = dir.path().join("all.csv");
    std::fs::write(&all, migration_csv(&src, &[(1, "pass"), (2, "pass")])).unwrap();
    let (code, out, err) = mailferry(&state, &["retry", &job, "--all", "--credentials", all.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("extra-3 pass: 2/2 mailboxes, 4 messages"), "{out}");
    assert!(out.contains(": complete"), "the job is complete again:\n{out}");
    assert_eq!(equal(&src, &dst, "user1@example.test").await, 24);
    let db = String::from_utf8_lossy(&std::fs::read(state.join("state.sqlite")).unwrap()).into_owned();
    assert!(!db.contains("\"sealed_credentials\":\"mf1."), "the credentials given again are purged again");
}
