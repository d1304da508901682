//! Ctrl-C is an everyday event: `mailferry sync` and `mailferry migrate` stop cleanly on SIGINT (exit 130,
//! "interrupted — run the same command to resume"), and the same command run again at once carries on — no
//! lease of the dead run in the way, no task hidden until a visibility timeout. A runner killed outright
//! (SIGKILL) is noticed by its free lock file and its work handed back at once too. Afterwards the destination
//! holds every message exactly once, and the report and the email count exactly what it holds.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::pipeline::outbox;
use mailferry_tests::verify;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Append `n` generated messages to user1's INBOX on `d`, starting at message `from`.
async fn add(d: &Dovecot, from: usize, n: usize) {
    corpus::add_to_inbox(d.port, "user1@example.test", 41, from..from + n).await;
}

/// Messages in user1's INBOX on `d` (0 while the folder does not exist yet).
async fn inbox_count(d: &Dovecot) -> u32 {
    let mut s = corpus::login(d.port, "user1@example.test", "pass").await;
    let n = s.status("INBOX").await.map(|st| st.messages.unwrap_or(0)).unwrap_or(0);
    s.logout().await;
    n
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

/// Wait until the destination INBOX holds at least `n` messages, or the child has ended; true if it grew.
async fn wait_for_progress(child: &mut Child, dst: &Dovecot, n: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if inbox_count(dst).await >= n {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("no progress on the destination in two minutes");
}

/// Wait for the child's output; a run that hangs (a hidden task, a lease still held) fails the test instead of
/// hanging it.
fn output(child: Child, what: &str) -> Output {
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
            panic!("{what} did not finish in five minutes");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sync_cmd(src: &Dovecot, dst: &Dovecot, state: &Path) -> Command {
    let url = |d: &Dovecot| format!("imap://user1%40example.test@127.0.0.1:{}", d.port);
    let mut cmd = Command::new(mailferry_bin());
    cmd.args(["sync", "--source", &url(src), "--dest", &url(dst), "--state"])
        .arg(state)
        .args(["--include", "INBOX", "--batch-messages", "2", "--parallel", "1", "--no-progress"])
        .env("MAILFERRY_SOURCE_PASSWORD", "pass")
        .env("MAILFERRY_DEST_PASSWORD", "pass")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn assert_equal(src: &Dovecot, dst: &Dovecot) -> usize {
    verify::assert_same(src.port, dst.port, "user1@example.test").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_sync_stops_cleanly_and_the_same_command_resumes_at_once() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let mut total = 0;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.sqlite");
    // Interrupt a run that is copying; should a run finish before the signal, more mail arrives and it goes on.
    let first = loop {
        add(&src, total, 1500).await;
        total += 1500;
        assert!(total <= 6000, "sync always finished before it could be interrupted");
        let mut child = sync_cmd(&src, &dst, &state).spawn().unwrap();
        let seen = inbox_count(&dst).await;
        if wait_for_progress(&mut child, &dst, seen + 20).await {
            signal(&child, libc::SIGINT);
        }
        let out = output(child, "the interrupted sync");
        if out.status.code() == Some(130) {
            break out;
        }
        assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    };
    let (stdout, stderr) = (text(&first.stdout), text(&first.stderr));
    assert!(stderr.contains("interrupted — run the same command to resume"), "{stderr}");
    assert!(stdout.contains("more to do") && stdout.contains("NOT complete"), "the table says what is left:\n{stdout}");
    let on_dest = inbox_count(&dst).await as usize;
    assert!(on_dest < total, "the run was interrupted part-way ({on_dest} of {total})");

    let again = output(sync_cmd(&src, &dst, &state).spawn().unwrap(), "the re-run");
    let (stdout, stderr) = (text(&again.stdout), text(&again.stderr));
    assert_eq!(again.status.code(), Some(0), "the re-run completes at once:\n{stdout}{stderr}");
    assert!(
        !format!("{stdout}{stderr}").contains("is being copied by"),
        "a lease of the interrupted run was in the way"
    );
    assert!(stdout.contains(&format!("copied {} messages", total - on_dest)), "{stdout}");
    assert_eq!(assert_equal(&src, &dst).await, total, "every message exactly once");
}

fn migrate_cmd(csv: &Path, dst: &Dovecot, state: &Path) -> Command {
    let mut cmd = Command::new(mailferry_bin());
    cmd.arg("migrate")
        .arg(csv)
        .args(["--dest", &format!("imap://admin@127.0.0.1:{}", dst.port), "--domain", "example.test"])
        .args(["--allow-private-sources", "--notify", "ops@example.test", "--batch-messages", "500"])
        .args(["--progress-every", "0", "--state"])
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn status_json(state: &Path) -> serde_json::Value {
    let out = Command::new(mailferry_bin()).args(["status", "--json", "--state"]).arg(state).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("status --json: {}", text(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_and_sigkill_during_migrate_resume_at_once_and_the_counts_are_the_destinations() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let total = 3000;
    add(&src, 0, total).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, mailferry_tests::pipeline::migration_csv(&src, &[(1, "pass")])).unwrap();
    let state = dir.path().join("state");

    // 1. Ctrl-C part-way: a clean stop, exit 130, and `status` says nobody is working on the job.
    let mut child = migrate_cmd(&csv, &dst, &state).spawn().unwrap();
    assert!(wait_for_progress(&mut child, &dst, 100).await, "migrate ended before it could be interrupted");
    signal(&child, libc::SIGINT);
    let out = output(child, "the interrupted migrate");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(stderr.contains("interrupted — run the same command to resume"), "{stderr}");
    // Live progress on the way (not a terminal: lines): the job and the mailbox, with rate and ETA.
    let job_line = stdout.lines().find(|l| l.starts_with("progress: 0/1 mailboxes done, ")).expect(&stdout);
    assert!(job_line.contains(&format!("/{total} messages, ")) && job_line.contains("msg/s, ETA "), "{job_line}");
    let mailbox_line = stdout.lines().find(|l| l.starts_with("progress: user1@example.test ")).expect(&stdout);
    assert!(mailbox_line.contains(&format!("/{total} messages, ")) && mailbox_line.contains(" ETA "), "{mailbox_line}");
    let first = inbox_count(&dst).await;
    assert!((first as usize) < total, "interrupted part-way ({first} of {total})");
    let out = Command::new(mailferry_bin()).args(["status", "--state"]).arg(&state).output().unwrap();
    assert!(text(&out.stdout).contains("note: no mailferry process is working on"), "{}", text(&out.stdout));

    // 2. The same command again, this time killed outright (no chance to settle): its task stays received and
    //    its folder leased, both held by a process that no longer exists.
    let mut child = migrate_cmd(&csv, &dst, &state).spawn().unwrap();
    assert!(wait_for_progress(&mut child, &dst, first + 100).await, "the re-run ended before it could be killed");
    signal(&child, libc::SIGKILL);
    let _ = output(child, "the killed migrate");
    assert!((inbox_count(&dst).await as usize) < total, "killed part-way");

    // 3. The same command once more: the dead runner's work is handed back at once, and the job completes.
    let out = output(migrate_cmd(&csv, &dst, &state).spawn().unwrap(), "the last re-run");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("continuing it"), "{stdout}");
    assert_eq!(assert_equal(&src, &dst).await, total, "every message exactly once");

    // The report and the email count what the destination holds, not what the last attempt copied.
    let p = status_json(&state);
    let m = &p["mailboxes"][0];
    assert_eq!(m["copied"], serde_json::json!(total), "{p:#}");
    assert_eq!(m["copied_total"], serde_json::json!(total), "{p:#}");
    assert!(stdout.contains(&format!("initial pass: 1/1 mailboxes, {total} messages")), "{stdout}");
    let mails = outbox(&state);
    assert_eq!(mails.len(), 1, "{mails:?}");
    let row = mails[0].lines().find(|l| l.starts_with("user1@example.test")).expect("a row for the mailbox");
    assert_eq!(row.split_whitespace().nth(1), Some(total.to_string().as_str()), "{}", mails[0]);
}
