//! Across a long link (10 ms each way to each server through the delay proxy, 20 ms of round-trip time) a sync
//! is as exact as on loopback: every message, flag and date arrives once, and a second run copies nothing.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::delay_proxy::DelayProxy;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::verify;
use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_across_a_slow_link_is_exact() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 52, messages: 150, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let (far_src, far_dst) = (
        DelayProxy::start(src.port, Duration::from_millis(10)),
        DelayProxy::start(dst.port, Duration::from_millis(10)),
    );
    let dir = tempfile::tempdir().unwrap();
    let url = |port: u16| format!("imap://user1%40example.test@127.0.0.1:{port}");
    let run = || {
        Command::new(mailferry_bin())
            .args(["sync", "--source", &url(far_src.port), "--dest", &url(far_dst.port), "--no-progress", "--state"])
            .arg(dir.path().join("s.sqlite"))
            .env("MAILFERRY_SOURCE_PASSWORD", "pass")
            .env("MAILFERRY_DEST_PASSWORD", "pass")
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stdout));
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);
    let again = run();
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success() && out.contains("copied 0 messages"), "{out}");
}
