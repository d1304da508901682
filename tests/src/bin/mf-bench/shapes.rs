//! The shapes of work beside the one big mailbox, each measured against `doveadm backup` (imapc) in the same
//! run: many small mailboxes through the whole embedded pipeline (`mailferry migrate`) against doveadm two
//! mailboxes at a time, and one mailbox across a long link (a delay proxy in front of each server) through
//! `mailferry sync` against doveadm through the same link.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::delay_proxy::DelayProxy;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::verify;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One tool's run on one shape.
pub struct ShapeRun {
    pub shape: String,
    pub tool: String,
    pub seconds: f64,
    /// Messages on the destination identical to the source, of `expected`.
    pub identical: usize,
    pub expected: usize,
    /// What the tool reported as failed (folders for mailferry), when it says.
    pub failed: Option<u64>,
    /// CPU time the whole machine spent while it ran (the tool and both servers), in seconds.
    pub cpu_seconds: f64,
}

/// CPU time the machine has spent so far (every core, not idle), in seconds (`/proc/stat`, USER_HZ = 100).
pub fn cpu_now() -> f64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> =
        text.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let busy: u64 = fields.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    busy as f64 / 100.0
}

impl ShapeRun {
    pub fn json(&self) -> Value {
        json!({"shape": self.shape, "tool": self.tool, "seconds": self.seconds, "identical": self.identical,
               "expected": self.expected, "failed": self.failed, "cpu_seconds": self.cpu_seconds})
    }
}

/// `doveadm backup` of `user` from the IMAP server at `src_port` into `dst`'s own storage.
pub fn doveadm(src_port: u16, dst: &Dovecot, user: &str) -> Command {
    doveadm_with(src_port, dst, user, &[])
}

/// [`doveadm`] with more `imapc_` settings (`imapc_list_prefix=INBOX` for a source whose folders live under INBOX,
/// so they arrive without that prefix, as mailferry puts them).
pub fn doveadm_with(src_port: u16, dst: &Dovecot, user: &str, more: &[&str]) -> Command {
    let mut c = Command::new("doveadm");
    c.arg("-c").arg(dst.root().join("dovecot.conf"));
    for o in [
        "imapc_host=127.0.0.1".to_string(),
        format!("imapc_port={src_port}"),
        format!("imapc_user={user}"),
        "imapc_password=pass".into(),
        "imapc_features=rfc822.size fetch-headers".into(),
    ]
    .into_iter()
    .chain(more.iter().map(|m| m.to_string()))
    {
        c.args(["-o", &o]);
    }
    c.args(["backup", "-R", "-u", user, "imapc:"]);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn user(n: u32) -> String {
    format!("user{n}@example.test")
}

/// Messages of `users` on `dst` identical to `src` (folder names normalised by the verifier).
async fn identical(src: u16, dst: u16, users: u32) -> usize {
    let mut n = 0;
    for u in 1..=users {
        let (a, b) = (verify::digest(src, &user(u), "pass").await, verify::digest(dst, &user(u), "pass").await);
        n += crate::identical(&a, &b);
    }
    n
}

/// Fill `users` mailboxes of `per` messages each, four at a time; returns the total.
async fn fill_many(src: &Dovecot, users: u32, per: usize) -> usize {
    let mut total = 0;
    let ids: Vec<u32> = (1..=users).collect();
    for chunk in ids.chunks(4) {
        let fills = chunk.iter().map(|&u| async move {
            let mut s = corpus::login(src.port, &user(u), "pass").await;
            let n =
                corpus::fill(&mut s, &Spec { seed: 700 + u64::from(u), messages: per, large: vec![] }, 0..usize::MAX)
                    .await;
            s.logout().await;
            n
        });
        total += futures::future::join_all(fills).await.into_iter().sum::<usize>();
    }
    total
}

/// Many small mailboxes (a `.`-separated, `INBOX.`-prefixed source, as many old servers are): `mailferry migrate`
/// with its defaults (or `MF_BENCH_MIGRATE_ARGS`, for tuning) against `doveadm backup` two mailboxes at a time.
pub async fn many_small(bin: &Path, users: u32, per: usize, keep_log: Option<&Path>) -> Vec<ShapeRun> {
    let shape = format!("{users} mailboxes x {per} messages");
    let src = Dovecot::start_with(Options { separator: '.', prefix: "INBOX.".into(), users, ..Default::default() });
    eprintln!("{shape}: filling…");
    let expected = fill_many(&src, users, per).await;
    let work = tempfile::tempdir().unwrap();

    eprintln!("{shape}: mailferry migrate…");
    let dst = Dovecot::start_with(Options { users, ..Default::default() });
    let mut csv = String::from("destination,source_host,source_port,security,source_user,auth,password\n");
    for u in 1..=users {
        csv.push_str(&format!("{},127.0.0.1,{},plain,{},password,pass\n", user(u), src.port, user(u)));
    }
    std::fs::write(work.path().join("batch.csv"), csv).unwrap();
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (start, cpu) = (Instant::now(), cpu_now());
    let out = Command::new(bin)
        .arg("migrate")
        .arg(work.path().join("batch.csv"))
        .args(["--dest", &dest, "--domain", "example.test", "--allow-private-sources", "--state"])
        .arg(work.path().join("state"))
        .args(std::env::var("MF_BENCH_MIGRATE_ARGS").unwrap_or_default().split_whitespace())
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .output()
        .expect("run mailferry");
    let (seconds, cpu_seconds) = (start.elapsed().as_secs_f64(), cpu_now() - cpu);
    let text = String::from_utf8_lossy(&out.stdout);
    if let Some(dir) = keep_log {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::copy(work.path().join("state/mailferry.log"), dir.join("many-mailferry.log"));
    }
    let failed = text
        .lines()
        .find_map(|l| l.split(", ").find_map(|p| p.strip_suffix(" failed")).and_then(|n| n.trim().parse::<u64>().ok()));
    if !out.status.success() {
        eprintln!("warning: mailferry migrate exited with {}: {text}", out.status);
    }
    let mut runs = vec![ShapeRun {
        shape: shape.clone(),
        tool: "mailferry migrate".into(),
        seconds,
        cpu_seconds,
        identical: identical(src.port, dst.port, users).await,
        expected,
        failed,
    }];

    eprintln!("{shape}: doveadm backup, two at a time…");
    let dst = Dovecot::start_with(Options { users, ..Default::default() });
    let (start, cpu) = (Instant::now(), cpu_now());
    let mut next = 1;
    let mut running: Vec<std::process::Child> = Vec::new();
    while next <= users || !running.is_empty() {
        while running.len() < 2 && next <= users {
            let prefix = ["imapc_list_prefix=INBOX"];
            running.push(doveadm_with(src.port, &dst, &user(next), &prefix).spawn().expect("start doveadm"));
            next += 1;
        }
        running.retain_mut(|c| c.try_wait().expect("wait doveadm").is_none());
        std::thread::sleep(Duration::from_millis(2));
    }
    let (seconds, cpu_seconds) = (start.elapsed().as_secs_f64(), cpu_now() - cpu);
    runs.push(ShapeRun {
        shape,
        tool: "doveadm backup x2".into(),
        seconds,
        cpu_seconds,
        identical: identical(src.port, dst.port, users).await,
        expected,
        failed: None,
    });
    runs
}

/// One mailbox of `messages` across a link of `rtt` round-trip time, in front of both servers: `mailferry sync`
/// against `doveadm backup` (which writes into its own server's storage, so only its source link is long).
pub async fn long_link(bin: &Path, messages: usize, rtt: Duration) -> Vec<ShapeRun> {
    let shape = format!("{messages} messages, {} ms RTT", rtt.as_millis());
    let src = Dovecot::start();
    let mut s = corpus::login(src.port, &user(1), "pass").await;
    let expected = corpus::fill(&mut s, &Spec { seed: 99, messages, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let src_link = DelayProxy::start(src.port, rtt / 2);
    let work = tempfile::tempdir().unwrap();

    eprintln!("{shape}: mailferry sync…");
    let dst = Dovecot::start();
    let dst_link = DelayProxy::start(dst.port, rtt / 2);
    let url = |port: u16| format!("imap://user1%40example.test@127.0.0.1:{port}");
    let mut cmd = Command::new(bin);
    cmd.args(["sync", "--source", &url(src_link.port), "--dest", &url(dst_link.port), "--no-progress", "--state"])
        .arg(work.path().join("long.sqlite"))
        .env("MAILFERRY_SOURCE_PASSWORD", "pass")
        .env("MAILFERRY_DEST_PASSWORD", "pass")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let cpu = cpu_now();
    let (seconds, _) = crate::timed(cmd);
    let cpu_seconds = cpu_now() - cpu;
    let mut runs = vec![ShapeRun {
        shape: shape.clone(),
        tool: "mailferry sync".into(),
        seconds: seconds.as_secs_f64(),
        cpu_seconds,
        identical: identical(src.port, dst.port, 1).await,
        expected,
        failed: None,
    }];

    eprintln!("{shape}: doveadm backup…");
    let dst = Dovecot::start();
    let cpu = cpu_now();
    let (seconds, _) = crate::timed(doveadm(src_link.port, &dst, &user(1)));
    let cpu_seconds = cpu_now() - cpu;
    runs.push(ShapeRun {
        shape,
        tool: "doveadm backup".into(),
        seconds: seconds.as_secs_f64(),
        cpu_seconds,
        identical: identical(src.port, dst.port, 1).await,
        expected,
        failed: None,
    });
    runs
}

/// Print the shapes' table: each tool's time and how many times faster mailferry was than doveadm.
pub fn print(runs: &[ShapeRun]) {
    println!(
        "\n{:<34} {:<20} {:>9} {:>8} {:>14} {:>8} {:>16}",
        "shape", "tool", "seconds", "CPU s", "identical", "failed", "doveadm/mailferry"
    );
    for r in runs {
        let ours = runs
            .iter()
            .find(|o| o.shape == r.shape && o.tool.starts_with("mailferry"))
            .map_or(r.seconds, |o| o.seconds);
        let ratio = if r.tool.starts_with("doveadm") { format!("{:.2}x", r.seconds / ours) } else { String::new() };
        let failed = r.failed.map_or("-".to_string(), |f| f.to_string());
        println!(
            "{:<34} {:<20} {:>9.2} {:>8.1} {:>8}/{:<5} {:>8} {:>16}",
            r.shape, r.tool, r.seconds, r.cpu_seconds, r.identical, r.expected, failed, ratio
        );
    }
}
