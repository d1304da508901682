//! Notifications by real email on one machine: `migrate --smtp` sends the pass's email through an SMTP
//! submission server (aiosmtpd, STARTTLS and AUTH required), signed in with a password kept sealed in the state
//! directory; `mailferry smtp --test` checks a server and says what it refused; `--off` goes back to the outbox.

use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{mailferry_in, outbox, spawn_migrate, subject_and_text, user1_csv};
use mailferry_tests::smtp_server::SmtpServer;
use mailferry_tests::{corpus, mailferry_bin};

const USER: &str = "user1@example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pass_email_goes_through_smtp_with_starttls_and_auth() {
    let smtp = SmtpServer::start("notify@example.test", "s3cret-smtp");
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 41, 0..7).await;
    let dir = tempfile::tempdir().unwrap();
    let (csv, state) = (user1_csv(dir.path(), src.port), dir.path().join("state"));
    std::fs::write(dir.path().join("smtp-password"), "s3cret-smtp\n").unwrap();
    let url = format!("smtp://notify%40example.test@localhost:{}", smtp.port);
    let (ca, pw) = (smtp.ca.to_str().unwrap().to_string(), dir.path().join("smtp-password"));
    let more = [
        "--notify",
        "ops@example.test",
        "--smtp",
        &url,
        "--ca-file",
        &ca,
        "--smtp-password-file",
        pw.to_str().unwrap(),
    ];
    let out = spawn_migrate(&state, &csv, dst.port, &more).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let got = smtp.received();
    assert_eq!(got.len(), 1, "one email for the first pass");
    let envelope = &got[0].envelope;
    assert_eq!(envelope["from"], "notify@example.test");
    assert_eq!(envelope["to"], serde_json::json!(["ops@example.test"]));
    assert_eq!((envelope["user"].as_str(), envelope["tls"].as_bool()), (Some("notify@example.test"), Some(true)));
    let mail = subject_and_text(&got[0].message);
    assert!(
        mail.contains("Subject: mailferry: initial pass of batch.csv complete (1 of 1 mailboxes copied)"),
        "{mail}"
    );
    assert!(mail.contains(USER) && mail.contains("Total: 7 messages"), "{mail}");
    assert!(got[0].message.contains("From: notify@example.test\r\nTo: ops@example.test\r\n"), "{}", got[0].message);
    assert!(outbox(&state).is_empty(), "nothing in the outbox when SMTP is configured");
    // The password is sealed: nowhere in the state directory in clear.
    for entry in walk(&state) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("s3cret-smtp"),
            "{} holds the SMTP password",
            entry.display()
        );
    }

    // A test message; then a wrong password is refused with the server's words; then back to the outbox.
    let (code, said, err) = mailferry_in(&state, &["smtp", "--test", "ops@example.test"]);
    assert_eq!(code, 0, "{said}{err}");
    assert_eq!(smtp.received().len(), 2);
    let wrong = std::process::Command::new(mailferry_bin())
        .args(["smtp", &url, "--test", "ops@example.test", "--state"])
        .arg(&state)
        .env("MAILFERRY_SMTP_PASSWORD", "wrong")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(2), "{err}");
    assert!(err.contains("refused the sign-in (AUTH PLAIN): 535"), "{err}");
    assert!(!err.contains("wrong"), "the password is not quoted: {err}");
    let (code, said, _) = mailferry_in(&state, &["smtp", "--off"]);
    assert_eq!(code, 0, "{said}");
    let (code, _, _) = mailferry_in(&state, &["smtp", "--test", "ops@example.test"]);
    assert_eq!(code, 0);
    assert_eq!(outbox(&state).len(), 1, "the test message went to the outbox");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
