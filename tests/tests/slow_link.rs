//! Across a long link (10 ms each way to each server through the delay proxy, 20 ms of round-trip time) a sync
//! is as exact as on loopback: every message, flag and date arrives once, and a second run copies nothing. The
//! proxies count the round trips: planning costs a fixed few however many folders there are (pipelined), a folder
//! a fixed few however many batches, and a run with nothing new four per side.

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
    let spec = Spec { seed: 52, messages: 150, large: vec![] };
    let n = corpus::fill(&mut s, &spec, 0..usize::MAX).await;
    s.logout().await;
    let (far_src, far_dst) = (
        DelayProxy::start(src.port, Duration::from_millis(10)),
        DelayProxy::start(dst.port, Duration::from_millis(10)),
    );
    let dir = tempfile::tempdir().unwrap();
    let url = |port: u16| format!("imap://user1%40example.test@127.0.0.1:{port}");
    let run = || {
        Command::new(mailferry_bin())
            .args(["sync", "--source", &url(far_src.port), "--dest", &url(far_dst.port), "--no-progress"])
            .args(["--batch-messages", "5", "--state"])
            .arg(dir.path().join("s.sqlite"))
            .env("MAILFERRY_SOURCE_PASSWORD", "pass")
            .env("MAILFERRY_DEST_PASSWORD", "pass")
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stdout));
    // Round trips to the destination: per connection at most 2 (login, logout), per folder 2 (STATUS at opening
    // and at the end) and one APPEND per batch of 5 (no STATUS per batch: the next UIDNEXT bound comes from
    // APPENDUID), and planning in 3 however many folders (the listing, every CREATE, every SUBSCRIBE, each
    // pipelined), plus one to spare.
    let counts = spec.counts();
    let batches: usize = counts.iter().map(|(_, n)| n.div_ceil(5)).sum();
    let conns = far_dst.connections();
    let dest_trips = far_dst.round_trips();
    let bound = 2 * conns + 2 * counts.len() + batches + 4;
    assert!(dest_trips <= bound, "{dest_trips} round trips to the destination; at most {bound} expected");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);
    let (src_before, src_conns) = (far_src.round_trips(), far_src.connections());
    let again = run();
    let out = String::from_utf8_lossy(&again.stdout);
    // Nothing new: one connection per side, and 4 round trips on each (login, the pipelined listing, the
    // pipelined STATUS survey, logout).
    let (src_trips, dst_trips) = (far_src.round_trips() - src_before, far_dst.round_trips() - dest_trips);
    assert_eq!((far_src.connections(), far_dst.connections()), (src_conns + 1, conns + 1), "one login per side");
    assert!(src_trips <= 4 && dst_trips <= 4, "a run with nothing new took {src_trips} and {dst_trips} round trips");
    assert!(again.status.success() && out.contains("copied 0 messages"), "{out}");
}
