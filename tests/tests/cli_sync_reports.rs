//! `mailferry sync` keeps telling the truth on later runs: a message the destination refused is not on it, so
//! every later run still says so and exits 1, until the counts match.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::mailferry_bin;
use std::path::Path;
use std::process::Command;

fn sync(src: &Dovecot, dst: &Dovecot, state: &Path) -> (i32, String) {
    let (code, out, _) = sync_with(src, dst, state, &[]);
    (code, out)
}

fn sync_with(src: &Dovecot, dst: &Dovecot, state: &Path, more: &[&str]) -> (i32, String, String) {
    let url = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);
    let out = Command::new(mailferry_bin())
        .args(["sync", "--source", &url(src), "--dest", &url(dst), "--include", "INBOX", "--no-progress", "--state"])
        .arg(state)
        .args(more)
        .env("MAILFERRY_SOURCE_PASSWORD", "pass")
        .env("MAILFERRY_DEST_PASSWORD", "pass")
        .env_remove("MAILFERRY_LOG")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_stays_reported_on_every_run() {
    let src = Dovecot::start();
    let dst = Dovecot::start_with(Options { max_mail_size: Some("1M".into()), ..Default::default() });
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    corpus::fill(&mut s, &Spec { seed: 8, messages: 40, large: vec![3 << 20] }, 0..usize::MAX).await;
    s.logout().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");

    let (code, out, err) = sync_with(&src, &dst, &state, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("skipped: INBOX UID 1"), "{out}");
    assert!(err.contains("destination refused a message"), "the warning is logged by default: {err}");
    for run in 2..=3 {
        let (code, out) = sync(&src, &dst, &state);
        assert_eq!(code, 1, "run {run} must still say the folder is not complete:\n{out}");
        assert!(out.contains("NOT COPIED: 1 (refused by the destination)"), "run {run}:\n{out}");
        assert!(out.contains("NOT complete"), "run {run}:\n{out}");
    }
    // --quiet: the same result, and nothing but errors on standard error; -v: what each step does.
    let (code, out, err) = sync_with(&src, &dst, &state, &["--quiet"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT COPIED: 1") && err.is_empty(), "quiet, yet stderr says:\n{err}");
    let (_, _, err) = sync_with(&src, &dst, &state, &["-v"]);
    assert!(err.contains("INFO"), "-v logs at info level:\n{err}");
}
