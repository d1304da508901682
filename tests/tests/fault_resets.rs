//! Dropped connections, the hard way: a proxy in front of both servers resets connections at random byte
//! offsets (in the greeting and login, mid-FETCH, mid-literal, mid-APPEND) while a 3,000-message mailbox is
//! copied, at least 50 times in one test, on the `sync` path and on a `migrate` job. Each run must end by itself
//! (a watchdog fails the test if one hangs), runs are repeated from their state until one succeeds, and then
//! the independent verifier must find both sides equal: nothing lost, nothing duplicated.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::reset_proxy::ResetProxy;
use mailferry_tests::verify;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MESSAGES: usize = 3_000;
/// No run may take longer than this (it would mean a wait without a way out).
const WATCHDOG: Duration = Duration::from_secs(300);

async fn filled_source() -> Dovecot {
    let src = Dovecot::start();
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 9, messages: MESSAGES, large: vec![] }, 0..MESSAGES).await;
    assert_eq!(n, MESSAGES);
    s.logout().await;
    src
}

/// Run `cmd` to its end; a run that outlives the watchdog is killed and fails the test.
fn run_bounded(mut cmd: Command, what: &str, run: u32) -> (bool, String) {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
            return (status.success(), text);
        }
        if started.elapsed() > WATCHDOG {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("{what} run {run} hung for {WATCHDOG:?}:\n{}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn assert_equal(src: &Dovecot, dst: &Dovecot) {
    let (a, b) = (
        verify::digest(src.port, "user1@example.test", "pass").await,
        verify::digest(dst.port, "user1@example.test", "pass").await,
    );
    let total: usize = b.values().map(Vec::len).sum();
    assert_eq!(total, MESSAGES, "every message exactly once");
    let diffs = verify::compare(&a, &b, |p| p.to_string());
    assert!(diffs.is_empty(), "{diffs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_survives_resets_at_random_offsets() {
    let (src, dst) = (filled_source().await, Dovecot::start());
    let (sp, dp) = (ResetProxy::start(src.port, 11, 30, 1_500_000), ResetProxy::start(dst.port, 12, 30, 1_500_000));
    let dir = tempfile::tempdir().unwrap();
    let url = |port: u16| format!("imap://user1%40example.test@127.0.0.1:{port}");
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 40, "sync never completed ({} + {} resets)", sp.resets(), dp.resets());
        let mut cmd = Command::new(mailferry_bin());
        cmd.args(["sync", "--source", &url(sp.port), "--dest", &url(dp.port), "--timeout", "10", "--no-progress"])
            .arg("--state")
            .arg(dir.path().join("state.sqlite"))
            .env("MAILFERRY_SOURCE_PASSWORD", "pass")
            .env("MAILFERRY_DEST_PASSWORD", "pass");
        let (ok, out) = tokio::task::block_in_place(|| run_bounded(cmd, "sync", runs));
        if ok {
            break;
        }
        eprintln!("sync run {runs} ended unfinished:\n{}", tail(&out));
    }
    let resets = sp.resets() + dp.resets();
    eprintln!("sync completed in {runs} run(s) with {} source and {} destination resets", sp.resets(), dp.resets());
    assert!(resets >= 50, "only {resets} resets happened");
    assert_equal(&src, &dst).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_job_survives_resets_at_random_offsets() {
    let (src, dst) = (filled_source().await, Dovecot::start());
    let (sp, dp) = (ResetProxy::start(src.port, 21, 30, 1_500_000), ResetProxy::start(dst.port, 22, 30, 1_500_000));
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,source_user,password\nuser1@example.test,127.0.0.1,{},plain,user1@example.test,pass\n",
            sp.port
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 10, "the job never completed ({} + {} resets)", sp.resets(), dp.resets());
        let cmd = migrate(&csv, &state, dp.port);
        let (ok, out) = tokio::task::block_in_place(|| run_bounded(cmd, "migrate", runs));
        if ok {
            break;
        }
        eprintln!("migrate run {runs} ended unfinished:\n{}", tail(&out));
    }
    let resets = sp.resets() + dp.resets();
    eprintln!("migrate completed in {runs} run(s) with {} source and {} destination resets", sp.resets(), dp.resets());
    assert!(resets >= 50, "only {resets} resets happened");
    assert_equal(&src, &dst).await;
}

fn migrate(csv: &Path, state: &Path, dest_port: u16) -> Command {
    let mut cmd = Command::new(mailferry_bin());
    cmd.arg("migrate")
        .arg(csv)
        .args([
            "--dest",
            &format!("imap://admin@127.0.0.1:{dest_port}"),
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--state",
        ])
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass");
    cmd
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}
