//! Crash safety, the hard way: `mailferry sync` is SIGKILLed at random points (at least 20 times) while it copies
//! one folder, restarted each time from its state file, until it completes (when it completes too soon, more mail
//! arrives in the folder and the killing goes on). Then the independent verifier must
//! find every message exactly once: none lost, none duplicated. The same for flag passes: killed at random while
//! they carry the source's changes, nothing is lost and nothing the destination did is reverted.

use mailferry::imap::OutMessage;
use mailferry_tests::corpus::{self, Rng, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::verify;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_nothing_and_duplicates_nothing() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let spec = Spec { seed: 21, messages: 0, large: vec![] };
    // Adds the next `n` generated messages to the source INBOX; returns how many it holds now.
    let mut added = 0usize;
    let mut add = async |n: usize| {
        let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
        let batch: Vec<OutMessage> = (added..added + n).map(|i| spec.message(0, i).into()).collect();
        for chunk in batch.chunks(250) {
            s.append_all("INBOX", chunk).await.unwrap();
        }
        s.logout().await;
        added += n;
        added
    };
    add(1500).await;

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut rng = Rng::new(20261124);
    let (mut kills, mut runs, mut waits) = (0u32, 0u32, 0u32);
    let started = Instant::now();
    loop {
        runs += 1;
        assert!(runs < 400, "sync never completed ({kills} kills)");
        match run_and_maybe_kill(&src, &dst, &state, 80 + rng.below(250), &mut waits) {
            // The engine may finish before 20 kills: more mail arrives in the same folder and the killing goes on.
            Run::Completed if kills < 20 => {
                add(1000).await;
            }
            Run::Completed => break,
            Run::Killed => kills += 1,
        }
    }
    eprintln!(
        "sync completed after {kills} SIGKILLs in {runs} runs, {waits} of which waited to settle ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(kills >= 20, "only {kills} kills happened; the test must interrupt the copy at least 20 times");

    let (a, b) = (
        verify::digest(src.port, "user1@example.test", "pass").await,
        verify::digest(dst.port, "user1@example.test", "pass").await,
    );
    assert_eq!(a["INBOX"].len(), added);
    assert_eq!(b["INBOX"].len(), added, "every message exactly once: none lost, none duplicated");
    let diffs = verify::compare(&a, &b, |p| p.to_string());
    assert!(diffs.is_empty(), "{diffs:?}");
}

/// How one run of `sync` ended.
enum Run {
    Completed,
    Killed,
}

/// Start `sync` (INBOX, batches of 15, one pair of connections) and SIGKILL it `after_ms` into its work, unless it
/// completes first. A run after a death in the middle of a batch first waits a moment for the destination to
/// settle (it says how long on stderr); the moment is counted from the end of that wait, so every kill lands in
/// real work. A run that fails on its own fails the test.
fn run_and_maybe_kill(src: &Dovecot, dst: &Dovecot, state: &std::path::Path, after_ms: u64, waits: &mut u32) -> Run {
    let url = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);
    let mut child = Command::new(mailferry_bin())
        .args(["sync", "--source", &url(src), "--dest", &url(dst), "--state"])
        .arg(state)
        .args(["--include", "INBOX", "--batch-messages", "15", "--parallel", "1", "--no-progress"])
        .env("MAILFERRY_SOURCE_PASSWORD", "pass")
        .env("MAILFERRY_DEST_PASSWORD", "pass")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, said) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut err = String::new();
    let mut deadline = Instant::now() + Duration::from_millis(after_ms);
    loop {
        for line in said.try_iter() {
            if let Some(secs) = line.split("resuming in ").nth(1).and_then(|r| r.split(' ').next()) {
                deadline += Duration::from_secs_f64(secs.parse().unwrap());
                *waits += 1;
            }
            err.push_str(&line);
            err.push('\n');
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "sync failed on its own ({status}):\n{err}");
            return Run::Completed;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap(); // SIGKILL: no cleanup, no flush, no goodbye.
            child.wait().unwrap();
            return Run::Killed;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The same for a flag pass: after a first copy, round after round the source gains keywords on many messages
/// (each round new ones) while syncs that carry them are SIGKILLed at random points; the destination had flags of
/// its own before. At the end every message holds the destination's own flags plus everything the source added:
/// a re-applied change never reverts anything, and no change is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_flag_passes_loses_no_change_and_reverts_nothing() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, "user1@example.test", 23, 0..600).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let mut waits = 0;
    assert!(matches!(run_and_maybe_kill(&src, &dst, &state, 600_000, &mut waits), Run::Completed));
    let doveadm = |d: &Dovecot, flag: &str, uids: &str| {
        d.doveadm(&["flags", "add", "-u", "user1@example.test", flag, "mailbox", "INBOX", "uid", uids]);
    };
    // The corpus repeats every 23rd message exactly (UIDs 22 and 23, 45 and 46 …): the verifier tells messages
    // apart by content, so those pairs keep the flags they arrived with.
    let single = |u: &u32| !matches!((u - 1) % 23, 21 | 22);
    let every_seventh: Vec<String> = (1..=600u32).step_by(7).filter(single).map(|u| u.to_string()).collect();
    doveadm(&dst, "$Mine", &every_seventh.join(","));
    doveadm(&dst, "\\Flagged", "5,50,500");
    let user = "user1@example.test";
    let (src_start, dst_start) =
        (verify::digest(src.port, user, "pass").await, verify::digest(dst.port, user, "pass").await);
    let mut rng = Rng::new(7);
    let (mut kills, mut rounds) = (0u32, 0u32);
    while kills < 8 {
        rounds += 1;
        assert!(rounds <= 40, "only {kills} kills in {rounds} rounds");
        // Many distinct changes, so the flag pass takes a while: each tenth of the messages gets its own keyword.
        for k in 0..10u32 {
            let uids: Vec<String> =
                (1..=600u32).filter(|u| u % 10 == k && rng.below(3) > 0).map(|u| u.to_string()).collect();
            doveadm(&src, &format!("$R{rounds}K{k}"), &uids.join(","));
        }
        loop {
            match run_and_maybe_kill(&src, &dst, &state, 5 + rng.below(70), &mut waits) {
                Run::Completed => break,
                Run::Killed => kills += 1,
            }
        }
    }
    let (src_end, dst_end) =
        (verify::digest(src.port, user, "pass").await, verify::digest(dst.port, user, "pass").await);
    let expected = verify::flags_expected(&src_start, &src_end, &dst_start);
    let got = verify::flags_of(&dst_end);
    let wrong = expected.iter().filter(|(m, f)| got.get(*m) != Some(*f)).count();
    assert_eq!(
        (wrong, got.len(), verify::total(&dst_end)),
        (0, expected.len(), 600),
        "{kills} kills in {rounds} rounds"
    );
}
