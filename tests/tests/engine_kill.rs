//! Crash safety, the hard way: `mailferry sync` is SIGKILLed at random points (at least 20 times) while it copies
//! one folder, restarted each time from its state file, until it completes (when it completes too soon, more mail
//! arrives in the folder and the killing goes on). Then the independent verifier must
//! find every message exactly once: none lost, none duplicated.

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
    let url = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);
    let mut rng = Rng::new(20261124);
    let (mut kills, mut runs, mut waits) = (0u32, 0u32, 0u32);
    let started = Instant::now();
    loop {
        runs += 1;
        assert!(runs < 400, "sync never completed ({kills} kills)");
        let mut child = Command::new(mailferry_bin())
            .args(["sync", "--source", &url(&src), "--dest", &url(&dst), "--state"])
            .arg(&state)
            .args(["--include", "INBOX", "--batch-messages", "15", "--parallel", "1", "--no-progress"])
            .env("MAILFERRY_SOURCE_PASSWORD", "pass")
            .env("MAILFERRY_DEST_PASSWORD", "pass")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Kill at a random moment: during start-up, listing, fetching, appending or checkpointing. A run after a
        // death in the middle of a batch first waits a moment for the destination to settle (it says how long on
        // stderr); the moment is counted from the end of that wait, so every kill lands in real work.
        let stderr = child.stderr.take().unwrap();
        let (tx, said) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut err = String::new();
        let mut deadline = Instant::now() + Duration::from_millis(80 + rng.below(250));
        let status = loop {
            for line in said.try_iter() {
                if let Some(secs) = line.split("resuming in ").nth(1).and_then(|r| r.split(' ').next()) {
                    deadline += Duration::from_secs_f64(secs.parse().unwrap());
                    waits += 1;
                }
                err.push_str(&line);
                err.push('\n');
            }
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match status {
            // The engine may finish before 20 kills: more mail arrives in the same folder and the killing goes on.
            Some(status) if status.success() && kills < 20 => {
                add(1000).await;
            }
            Some(status) if status.success() => break,
            Some(status) => {
                err.extend(said.iter().map(|l| l + "\n"));
                panic!("sync failed on its own ({status}) after {kills} kills:\n{err}");
            }
            None => {
                child.kill().unwrap(); // SIGKILL: no cleanup, no flush, no goodbye.
                child.wait().unwrap();
                kills += 1;
            }
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
