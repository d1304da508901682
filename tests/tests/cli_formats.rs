//! The formats README promises work on `migrate` too, with the job-level source options: a Microsoft 365 batch
//! file (EmailAddress,UserName,Password: no server column) migrates with `--source-host/--source-port/
//! --source-security`; a Qboxmail-style export (`Email;Server;Port;Username;Password;SSL`) is read as a migration.

use mailferry::imap::OutMessage;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::verify;
use std::process::Command;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_365_batch_file_migrates_with_job_level_source_options() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let spec = Spec { seed: 12, messages: 0, large: vec![] };
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let batch: Vec<OutMessage> = (0..25).map(|i| spec.message(0, i).into()).collect();
    s.append_all("INBOX", &batch).await.unwrap();
    s.logout().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("m365.csv");
    std::fs::write(&csv, "EmailAddress,UserName,Password\r\nuser1@example.test,user1@example.test,pass\r\n").unwrap();
    let port = src.port.to_string();
    let out = Command::new(mailferry_bin())
        .arg("migrate")
        .arg(&csv)
        .args(["--dest", &format!("imap://admin@127.0.0.1:{}", dst.port), "--domain", "example.test"])
        .args(["--allow-private-sources", "--source-host", "127.0.0.1", "--source-port", &port])
        .args(["--source-security", "plain", "--state"])
        .arg(dir.path().join("state"))
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("initial pass: 1/1 mailboxes, 25 messages"), "{stdout}");
    // The run's log stays in the state directory, private to its owner.
    let log_path = dir.path().join("state/mailferry.log");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("upload accepted") && log.contains("mailbox planned"), "{log}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&log_path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, 25);
}

#[test]
fn a_qboxmail_export_validates_as_a_migration() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("qbox.csv");
    std::fs::write(&csv, "Email;Server;Port;Username;Password;SSL\nann@example.com;mail.old.test;143;ann;pw-1;no\n")
        .unwrap();
    let out = Command::new(mailferry_bin()).arg("validate").arg(&csv).args(["--json"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["kind"], "migration", "{doc:#}");
    assert_eq!(doc["valid"], true, "{doc:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_asked_for_migration_wins_over_an_import_look_alike() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("accounts.csv");
    std::fs::write(&csv, "email,password\nann@example.com,pw-123456\n").unwrap();
    let validate = |extra: &[&str]| {
        let out = Command::new(mailferry_bin()).arg("validate").arg(&csv).arg("--json").args(extra).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(validate(&[])["kind"], "import_mailboxes");
    let doc = validate(&["--kind", "migration", "--source-host", "mail.old.test"]);
    assert_eq!((doc["kind"].as_str(), doc["valid"].as_bool()), (Some("migration"), Some(true)), "{doc:#}");
}
