//! `mailferry report JOB --errors`: after a migration where the destination refused a message (too large) and the
//! pre-flight refused a mailbox (wrong password), the error CSV names each — pass, mailbox, folder, UID, size,
//! date, subject and the server's words — and `report JOB` prints the validation report.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::mailferry_bin;
use mailferry_tests::pipeline::migration_csv;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_report_names_every_message_and_mailbox_that_did_not_make_it() {
    let src = Dovecot::start();
    let dst = Dovecot::start_with(Options { max_mail_size: Some("1M".into()), ..Default::default() });
    let spec = Spec { seed: 8, messages: 20, large: vec![3 << 20] };
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    corpus::fill(&mut s, &spec, 0..usize::MAX).await;
    s.logout().await;
    let big = spec.message(0, 0);
    let head = String::from_utf8_lossy(&big.body[..2000]).into_owned();
    let subject = head.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, migration_csv(&src, &[(1, "pass"), (2, "wrong-password")])).unwrap();
    let state = dir.path().join("state");
    let out = Command::new(mailferry_bin())
        .arg("migrate")
        .arg(&csv)
        .args(["--dest", &format!("imap://admin@127.0.0.1:{}", dst.port), "--domain", "example.test"])
        .args(["--allow-private-sources", "--state"])
        .arg(&state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));

    let report = |extra: &[&str]| {
        let out = Command::new(mailferry_bin()).arg("report").args(extra).arg("--state").arg(&state).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let errors = report(&["--errors"]);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "pass,mailbox,folder,uid,size,date,subject,error");
    assert_eq!(lines.len(), 3, "{errors}");
    let refused = lines.iter().find(|l| l.starts_with("pre-flight,user2@example.test,")).expect(&errors);
    assert!(refused.contains("line 3: source server 127.0.0.1") && !refused.contains("wrong-password"), "{refused}");
    let skipped = lines.iter().find(|l| l.starts_with("initial,user1@example.test,INBOX,1,")).expect(&errors);
    let fields: Vec<&str> = skipped.split(',').collect();
    assert_eq!((fields[4], fields[6]), (big.body.len().to_string().as_str(), subject.as_str()), "{skipped}");
    // The date is the source's INTERNALDATE: the same instant as the one the message was stored with.
    let instant = |d: &str| chrono::DateTime::parse_from_str(d.trim(), "%d-%b-%Y %H:%M:%S %z").unwrap();
    assert_eq!(instant(fields[5]), instant(&big.internal_date), "{skipped}");
    assert!(skipped.to_lowercase().contains("too large") || skipped.contains("size"), "the server's words: {skipped}");
    let validation = report(&[]);
    assert!(
        validation.lines().any(|l| l.starts_with("3,,error,") && l.contains("pre-flight check failed")),
        "{validation}"
    );
}
