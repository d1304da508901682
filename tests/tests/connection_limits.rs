//! A server that allows few sessions per user (Dovecot's `mail_max_userip_connections`, here 2) refuses the
//! logins beyond; that is a reason to wait or to let another connection do the work, never a failure. Both
//! `sync --parallel 6` and `migrate --workers 6` (with a per-mailbox cap set above the server's limit) end in a
//! complete, verified copy, and the server's log shows it did refuse logins on the way.
//!
//! With caps below the server's limits, `migrate` never goes over them however many workers run: the server
//! refuses nothing, and a proxy in front of it counts the connections open at once.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::delay_proxy::DelayProxy;
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
            .chain([
                "--allow-private-sources",
                "--workers",
                "6",
                "--small-folder",
                "0",
                "--connections-per-mailbox",
                "6",
            ])
            .collect::<Vec<_>>(),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("initial pass: 1/1 mailboxes, {n} messages")) && out.contains(" 0 failed"), "{out}");
    assert!(src.log().contains(REFUSED), "the source refused logins on the way");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_below_the_servers_limits_are_never_exceeded() {
    let src = Dovecot::start_with(Options { max_user_connections: Some(3), ..Default::default() });
    let mut counts = Vec::new();
    for n in 1..=3u64 {
        let mut s = corpus::login(src.port, &format!("user{n}@example.test"), "pass").await;
        counts.push(corpus::fill(&mut s, &Spec { seed: 40 + n, messages: 150, large: vec![] }, 0..usize::MAX).await);
        s.logout().await;
    }
    let dst = Dovecot::start();
    let proxy = DelayProxy::start(src.port, std::time::Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    let rows = migration_csv(&src, &[(1, "pass"), (2, "pass"), (3, "pass")]);
    std::fs::write(&csv, rows.replace(&format!(",{},", src.port), &format!(",{},", proxy.port))).unwrap();
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let args = [
        "migrate",
        csv.to_str().unwrap(),
        "--dest",
        &dest,
        "--domain",
        "example.test",
        "--allow-private-sources",
        "--workers",
        "8",
        "--mailboxes-in-flight",
        "3",
        "--small-folder",
        "0",
        "--connections-per-mailbox",
        "2",
        "--connections-per-host",
        "4",
    ];
    let (code, out, err) = mailferry_in(&dir.path().join("state"), &args);
    assert_eq!(code, 0, "{out}{err}");
    let total: usize = counts.iter().sum();
    assert!(
        out.contains(&format!("initial pass: 3/3 mailboxes, {total} messages")) && out.contains(" 0 failed"),
        "{out}"
    );
    assert!(!src.log().contains(REFUSED), "a login was refused: a cap was exceeded\n{}", src.log());
    let peak = proxy.peak_connections();
    assert!(peak <= 4, "{peak} source connections at once; the per-host cap is 4");
    assert!(peak >= 2, "the copy ran on {peak} connection(s): the caps were never put to the test");
    for (n, count) in (1..=3).zip(counts) {
        assert_eq!(verify::assert_same(src.port, dst.port, &format!("user{n}@example.test")).await, count);
    }
}
