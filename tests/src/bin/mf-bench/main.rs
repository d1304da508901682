//! `mf-bench`: migrate the same generated corpus with mailferry, Dovecot's `doveadm backup` (through imapc) and
//! `mbsync`, in one run, between local Dovecot servers; then a delta pass after 1 % new mail and a folder holding
//! one 40 MB message; then the other shapes of work against doveadm (see `shapes`): many small mailboxes, and a
//! long link. Prints tables and writes JSON. Run through `infra/bench.sh`.
//!
//!   mf-bench --mailferry PATH [--messages 10000] [--large 20000000] [--out FILE] [--no-peers]
//!            [--mailboxes 300] [--per-mailbox 20] [--link-messages 2000] [--rtt-ms 20] [--only big|shapes|many|link]

mod flags;
mod shapes;

use mailferry::imap::OutMessage;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::verify::{self, Digest, Entry};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    tool: String,
    messages: usize,
    bytes: u64,
    seconds: f64,
    peak_rss_mib: f64,
    identical: usize,
    expected: usize,
}

/// Run a command to completion; wall time and the child's own peak RSS. (`ru_maxrss` from wait4 would include
/// the harness's memory, inherited at spawn; VmHWM in /proc is the child's own high-water mark, sampled until it
/// exits.)
fn timed(mut cmd: Command) -> (Duration, f64) {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start tool");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        eprintln!("warning: {:?} exited with {status}: {}", cmd.get_program(), err.lines().last().unwrap_or(""));
    }
    (elapsed, peak_kib as f64 / 1024.0)
}

/// How many source messages arrived identical (content, flags, date) in the same folder.
fn identical(src: &Digest, dst: &Digest) -> usize {
    let mut n = 0;
    for (folder, entries) in src {
        let mut there: HashMap<&Entry, usize> = HashMap::new();
        for e in dst.get(folder).into_iter().flatten() {
            *there.entry(e).or_default() += 1;
        }
        for e in entries {
            if let Some(c) = there.get_mut(e).filter(|c| **c > 0) {
                *c -= 1;
                n += 1;
            }
        }
    }
    n
}

fn bytes(d: &Digest) -> u64 {
    d.values().flatten().map(|e| e.size as u64).sum()
}

fn url(d: &Dovecot) -> String {
    format!("imap://user1%40example.test@127.0.0.1:{}", d.port)
}

fn mailferry(bin: &std::path::Path, src: &Dovecot, dst: &Dovecot, state: &std::path::Path) -> Command {
    let mut c = Command::new(bin);
    c.args(["sync", "--source", &url(src), "--dest", &url(dst), "--no-progress", "--state"]).arg(state);
    c.env("MAILFERRY_SOURCE_PASSWORD", "pass").env("MAILFERRY_DEST_PASSWORD", "pass");
    c
}

fn mbsync(src: &Dovecot, dst: &Dovecot, dir: &std::path::Path) -> Command {
    let store = |name: &str, port: u16| {
        format!(
            "IMAPAccount {name}\nHost 127.0.0.1\nPort {port}\nUser user1@example.test\nPass pass\nSSLType None\nAuthMechs PLAIN\n\nIMAPStore {name}\nAccount {name}\n\n"
        )
    };
    let rc = format!(
        "{}{}Channel c\nFar :src:\nNear :dst:\nPatterns *\nCreate Near\nSync Pull\nSyncState {}/\nCopyArrivalDate yes\n",
        store("src", src.port),
        store("dst", dst.port),
        dir.display()
    );
    std::fs::write(dir.join("mbsyncrc"), rc).unwrap();
    let mut c = Command::new("mbsync");
    c.args(["-q", "-c"]).arg(dir.join("mbsyncrc")).arg("-a");
    c
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.windows(2).find(|w| w[0] == name).map(|w| w[1].clone())
}

/// The one big mailbox: mailferry, doveadm and mbsync; delta passes; one 40 MB message. Prints its tables and
/// returns its JSON.
async fn big(bin: &std::path::Path, messages: usize, large: usize, peers: bool) -> serde_json::Value {
    let work = tempfile::tempdir().unwrap();
    let digest = |d: &Dovecot| verify::digest(d.port, "user1@example.test", "pass");

    eprintln!("filling the source with {messages} messages (one of {large} bytes)…");
    let src = Dovecot::start();
    let spec = Spec { seed: 2026, messages, large: vec![large] };
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    corpus::fill(&mut s, &spec, 0..usize::MAX).await;
    s.logout().await;
    let src_digest = digest(&src).await;
    let (total, total_bytes) = (verify::total(&src_digest), bytes(&src_digest));

    let mut runs = Vec::new();
    let mut record = |tool: &str, elapsed: Duration, rss: f64, dst: &Digest, n: usize, b: u64| {
        runs.push(Run {
            tool: tool.into(),
            messages: n,
            bytes: b,
            seconds: elapsed.as_secs_f64(),
            peak_rss_mib: rss,
            identical: identical(&src_digest, dst),
            expected: total,
        });
    };
    eprintln!("mailferry…");
    let mf_dst = Dovecot::start();
    let state = work.path().join("state.sqlite");
    let (t, rss) = timed(mailferry(bin, &src, &mf_dst, &state));
    record("mailferry", t, rss, &digest(&mf_dst).await, total, total_bytes);
    if peers {
        eprintln!("doveadm backup (imapc)…");
        let dst = Dovecot::start();
        let (t, rss) = timed(shapes::doveadm(src.port, &dst, "user1@example.test"));
        record("doveadm backup", t, rss, &digest(&dst).await, total, total_bytes);
        eprintln!("mbsync…");
        let dst = Dovecot::start();
        let dir = tempfile::tempdir().unwrap();
        let (t, rss) = timed(mbsync(&src, &dst, dir.path()));
        record("mbsync", t, rss, &digest(&dst).await, total, total_bytes);
    }

    eprintln!("delta passes after 1 % new mail (three, median)…");
    let new = (messages / 100).max(1);
    let mut deltas = Vec::new();
    let (mut added, mut delta_rss, mut delta_ok) = (0, 0.0f64, true);
    for round in 0..3u64 {
        let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
        added = corpus::fill(&mut s, &Spec { seed: 4242 + round, messages: new, large: vec![] }, 0..usize::MAX).await;
        s.logout().await;
        let (t, rss) = timed(mailferry(bin, &src, &mf_dst, &state));
        deltas.push(t);
        delta_rss = delta_rss.max(rss);
        delta_ok &= verify::compare(&digest(&src).await, &digest(&mf_dst).await, |p| p.to_string()).is_empty();
    }
    deltas.sort();
    let delta_t = deltas[1];

    eprintln!("one 40 MB message…");
    let (big_src, big_dst) = (Dovecot::start(), Dovecot::start());
    let mut s = corpus::login(big_src.port, "user1@example.test", "pass").await;
    let m = Spec { seed: 1, messages: 1, large: vec![40 << 20] }.message(0, 0);
    s.append_all("INBOX", &[OutMessage::from(m)]).await.unwrap();
    s.logout().await;
    let (big_t, big_rss) = timed(mailferry(bin, &big_src, &big_dst, &work.path().join("big.sqlite")));
    let big_ok = verify::compare(&digest(&big_src).await, &digest(&big_dst).await, |p| p.to_string()).is_empty();

    let first = runs[0].seconds;
    println!(
        "\n{:<16} {:>9} {:>9} {:>9} {:>9} {:>8} {:>10} {:>16} {:>14}",
        "tool", "messages", "MB", "seconds", "msg/s", "MB/s", "peak RSS", "time vs mailferry", "identical"
    );
    for r in &runs {
        println!(
            "{:<16} {:>9} {:>9.1} {:>9.2} {:>9.0} {:>8.1} {:>7.1} MiB {:>15.2}x {:>8}/{}",
            r.tool,
            r.messages,
            r.bytes as f64 / 1e6,
            r.seconds,
            r.messages as f64 / r.seconds,
            r.bytes as f64 / 1e6 / r.seconds,
            r.peak_rss_mib,
            r.seconds / first,
            r.identical,
            r.expected
        );
    }
    let delta_pct = 100.0 * delta_t.as_secs_f64() / first;
    println!(
        "\ndelta pass: {added} new messages ({:.1} %) copied in {:.2} s = {delta_pct:.1} % of the first pass (target < 3 %), peak RSS {delta_rss:.1} MiB, verified: {delta_ok}",
        100.0 * added as f64 / total as f64,
        delta_t.as_secs_f64()
    );
    println!(
        "40 MB message: copied in {:.2} s, peak RSS {big_rss:.1} MiB (bound: 64 MiB + 40 MiB = 104 MiB), verified: {big_ok}",
        big_t.as_secs_f64()
    );
    json!({
        "corpus": {"messages": total, "bytes": total_bytes, "largest": large},
        "runs": runs.iter().map(|r| json!({
            "tool": r.tool, "messages": r.messages, "bytes": r.bytes, "seconds": r.seconds,
            "messages_per_second": r.messages as f64 / r.seconds, "mb_per_second": r.bytes as f64 / 1e6 / r.seconds,
            "peak_rss_mib": r.peak_rss_mib, "time_ratio_vs_mailferry": r.seconds / first, "identical": r.identical, "expected": r.expected,
        })).collect::<Vec<_>>(),
        "delta": {"new_messages": added, "seconds": delta_t.as_secs_f64(), "runs_seconds": deltas.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(), "percent_of_first_pass": delta_pct, "peak_rss_mib": delta_rss, "verified": delta_ok},
        "large_message": {"bytes": 40 << 20, "seconds": big_t.as_secs_f64(), "peak_rss_mib": big_rss, "bound_mib": 104, "verified": big_ok},
    })
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin = PathBuf::from(arg(&args, "--mailferry").expect("--mailferry PATH"));
    let number = |name: &str, default: usize| arg(&args, name).map_or(default, |v| v.parse().unwrap());
    let (messages, large) = (number("--messages", 10_000), number("--large", 20_000_000));
    let out = PathBuf::from(arg(&args, "--out").unwrap_or_else(|| "target/bench/results.json".into()));
    let peers = !args.iter().any(|a| a == "--no-peers");
    let only = arg(&args, "--only").unwrap_or_default();
    let mut doc = json!({});
    if only == "big" || only == "both" || only.is_empty() {
        doc = big(&bin, messages, large, peers).await;
    }
    if only == "flags" || only == "both" || only.is_empty() {
        doc["flag_pass"] = flags::flag_pass(&bin, messages).await;
    }
    if only != "big" && only != "flags" {
        let (users, per) = (number("--mailboxes", 300) as u32, number("--per-mailbox", 20));
        let rtt = Duration::from_millis(number("--rtt-ms", 20) as u64);
        let mut runs = Vec::new();
        if only != "link" {
            runs.extend(shapes::many_small(&bin, users, per, out.parent()).await);
        }
        if only != "many" {
            runs.extend(shapes::long_link(&bin, number("--link-messages", 2000), rtt).await);
        }
        shapes::print(&runs);
        doc["shapes"] = runs.iter().map(shapes::ShapeRun::json).collect();
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(&out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    println!("results written to {}", out.display());
}
