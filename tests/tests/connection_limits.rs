//! A server that allows few sessions per user (Dovecot's `mail_max_userip_connections`, here 2) refuses the
//! logins beyond; that is a reason to wait or to let another connection do the work, never a failure. Both
//! `sync --parallel 6` and `migrate --workers 6` end in a complete, verified copy, and the server's log shows it
//! did refuse logins on the way.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::mailferry_bin;
use mailferry_tests::pipeline::{mailferry_in, migration_csv};
use mailferry_tests::verify;
use std::process::Command;

const REFUSED: &str = "Maximum number of connections from user+IP exceeded";

async fn crowded_source() -> (Dovecot, usize) {
    let src = Dovecot::start_with(Options { max_user_connections: Some(2), ..Default::default() });
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 17, messages: 260, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    (src, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_with_more_connections_than_the_server_allows_completes() {
    let ((src, n), dst) = (crowded_source().await, Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let url = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);
    let out = Command::new(mailferry_bin())
        .args(["sync", "--source", &url(&src), "--dest", &url(&dst), "--parallel", "6", "--no-progress", "--state"])
        .arg(dir.path().join("s.sqlite"))
        .env("MAILFERRY_SOURCE_PASSWORD", "pass")
        .env("MAILFERRY_DEST_PASSWORD", "pass")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!text.contains("FAILED"), "{text}");
    assert!(src.log().contains(REFUSED), "the source refused logins on the way");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_with_more_workers_than_the_server_allows_completes() {
    let ((src, n), dst) = (crowded_source().await, Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, migration_csv(&src, &[(1, "pass")])).unwrap();
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry_in(
        &dir.path().join("state"),
        &["migrate", csv.to_str().unwrap(), "--dest", &dest, "--domain", "example.test"]
            .into_iter()
            .chain(["--allow-private-sources", "--workers", "6"])
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("initial pass: 1/1 mailboxes, {n} messages")) && out.contains(" 0 failed"), "{out}");
    assert!(src.log().contains(REFUSED), "the source refused logins on the way");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);
}
