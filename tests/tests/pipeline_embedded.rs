//! The whole pipeline on the embedded default, end to end through the `mailferry` binary: a CSV of three
//! mailboxes (one with a wrong password) scheduled 2 s ahead; the report names the bad row's line; the two good
//! mailboxes arrive equal (independent verifier); one notification in the outbox; five new messages, a final
//! pass copies exactly five; credentials gone afterwards.

use mailferry::imap::OutMessage;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::pipeline::outbox;
use mailferry_tests::verify;
use std::path::Path;
use std::process::Command;

fn mailferry(state: &Path, args: &[&str]) -> (i32, String, String) {
    mailferry_tests::pipeline::mailferry_in(state, args)
}

async fn fill(d: &Dovecot, user: &str, spec: &Spec, range: std::ops::Range<usize>) -> usize {
    let mut s = corpus::login(d.port, user, "pass").await;
    let n = corpus::fill(&mut s, spec, range).await;
    s.logout().await;
    n
}

async fn assert_equal(src: &Dovecot, dst: &Dovecot, user: &str) -> usize {
    verify::assert_same(src.port, dst.port, user).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_to_notified_migration_then_final_pass() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let n1 = fill(&src, "user1@example.test", &Spec { seed: 31, messages: 120, large: vec![] }, 0..usize::MAX).await;
    let n2 = fill(&src, "user2@example.test", &Spec { seed: 32, messages: 80, large: vec![] }, 0..usize::MAX).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    let p = src.port;
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,source_user,auth,password\n\
             user1@example.test,127.0.0.1,{p},plain,user1@example.test,password,pass\n\
             user2@example.test,127.0.0.1,{p},plain,user2@example.test,password,pass\n\
             user3@example.test,127.0.0.1,{p},plain,user3@example.test,password,wrong-password\n"
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry(
        &state,
        &[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            &dest,
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--at",
            "+2s",
            "--notify",
            "ops@example.test",
        ],
    );
    assert_eq!(code, 1, "one mailbox was refused, so exit 1\n{out}\n{err}");
    assert!(out.contains("line 4: user3@example.test: not migrated: source server 127.0.0.1"), "{out}");
    assert!(!format!("{out}{err}").contains("wrong-password"), "a password reached the output");
    let job = out.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();
    let report = std::fs::read_to_string(state.join(format!("blobs/reports/{job}/validation.csv"))).unwrap();
    assert!(report.lines().any(|l| l.starts_with("4,,error,") && l.contains("pre-flight check failed")), "{report}");
    assert!(!state.join("blobs/migrations/local/batch.csv").exists(), "the uploaded CSV must be deleted");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o700, "the state is private");

    assert_eq!(assert_equal(&src, &dst, "user1@example.test").await, n1);
    assert_eq!(assert_equal(&src, &dst, "user2@example.test").await, n2);
    let mails = outbox(&state);
    assert_eq!(mails.len(), 1, "one notification after the initial pass");
    assert!(mails[0].contains("initial pass") && mails[0].contains("point the MX records"), "{}", mails[0]);
    assert!(mails[0].contains("user3@example.test") && mails[0].contains("line 4"), "{}", mails[0]);
    let exact = format!("mailferry schedule {job} --pass final --at 2026-12-01T22:00:00Z --state {}", state.display());
    assert!(mails[0].contains(&exact), "the exact command for the next step:\n{}", mails[0]);

    let sealed_present = ["state.sqlite", "state.sqlite-wal"]
        .iter()
        .any(|f| String::from_utf8_lossy(&std::fs::read(state.join(f)).unwrap_or_default()).contains("mf1."));
    assert!(sealed_present, "sealed credentials are kept between the passes");
    let db = String::from_utf8_lossy(&std::fs::read(state.join("state.sqlite")).unwrap_or_default()).into_owned();
    assert!(!db.contains("wrong-password") && !db.contains(",pass\n"), "a clear-text password in the database");

    // Five new messages arrive on one source; the final pass copies exactly those.
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let new: Vec<OutMessage> =
        (0..5).map(|i| Spec { seed: 33, messages: 5, large: vec![] }.message(0, i).into()).collect();
    s.append_all("INBOX", &new).await.unwrap();
    s.logout().await;
    let (code, out, err) = mailferry(&state, &["schedule", &job, "--pass", "final", "--at", "now"]);
    assert_eq!(code, 1, "still exit 1: user3 was never migrated\n{out}\n{err}");
    assert!(out.contains("final pass: 2/2 mailboxes, 5 messages"), "{out}");
    assert_eq!(assert_equal(&src, &dst, "user1@example.test").await, n1 + 5);
    let mails = outbox(&state);
    assert_eq!(mails.len(), 2);
    // One mailbox was refused: the final email says so, and never "every mailbox is on the new server".
    let last = mails.iter().find(|m| m.contains("final pass")).expect("final pass email");
    assert!(last.contains("1 mailbox(es) were not migrated") && !last.contains("Migration complete"), "{last}");
    assert!(last.contains("2 of 3 mailboxes copied, 1 need attention"), "{last}");

    // Reading progress needs no secret: the destination password is not in the environment here.
    let out = Command::new(mailferry_bin())
        .args(["status", &job, "--json", "--state"])
        .arg(&state)
        .env_remove("MAILFERRY_DEST_MASTER_PASSWORD")
        .output()
        .unwrap();
    // Exit 1: the third mailbox was refused, which status keeps saying.
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["job"]["status"], "complete");
    assert_eq!(v["passes"][1]["copied"], 5);
    // Totals are counted again by each pass: after the final pass the mailbox is whole, not 5 over.
    let user1 = v["mailboxes"].as_array().unwrap().iter().find(|m| m["address"] == "user1@example.test").unwrap();
    let total = Some((n1 + 5) as u64);
    assert_eq!((user1["copied_total"].as_u64(), user1["expected"].as_u64()), (total, total), "{user1}");
    // Credentials are purged: nothing sealed remains in the state database.
    for file in ["state.sqlite", "state.sqlite-wal"] {
        let bytes = std::fs::read(state.join(file)).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains("mf1."), "sealed credentials remain in {file}");
    }
}
