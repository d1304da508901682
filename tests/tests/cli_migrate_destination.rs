//! `migrate` checks the destination once, first: a wrong master password or port stops it with exit 2 and the
//! reason (side, server, user, advice) before anything is stored or scheduled, instead of refusing every row.
//! `jobs` lists what was stored and scheduled.

use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::mailferry_bin;
use mailferry_tests::pipeline::migration_csv;
use std::process::Command;

fn migrate(csv: &std::path::Path, dest: &str, password: &str, state: &std::path::Path) -> (i32, String, String) {
    migrate_with(csv, dest, password, state, &[])
}

fn migrate_with(
    csv: &std::path::Path,
    dest: &str,
    password: &str,
    state: &std::path::Path,
    more: &[&str],
) -> (i32, String, String) {
    let out = Command::new(mailferry_bin())
        .arg("migrate")
        .arg(csv)
        .args(more)
        .args(["--dest", dest, "--domain", "example.test", "--allow-private-sources", "--state"])
        .arg(state)
        .env("MAILFERRY_DEST_MASTER_PASSWORD", password)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_wrong_destination_password_or_port_stops_migrate_before_anything_is_scheduled() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, migration_csv(&src, &[(1, "pass"), (2, "pass")])).unwrap();
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let closed = format!("imap://admin@127.0.0.1:{}", mailferry_tests::free_port());

    let state = dir.path().join("state-password");
    let (code, out, err) = migrate(&csv, &dest, "not-the-master-password", &state);
    assert_eq!(code, 2, "{out}{err}");
    let expected = format!("destination server 127.0.0.1:{}, user admin for user1@example.test", dst.port);
    assert!(err.contains(&expected) && err.contains("check the user name and the password"), "{err}");
    assert!(err.contains("nothing was stored or scheduled"), "{err}");
    assert!(!out.contains("scheduled") && !err.contains("not-the-master-password"), "{out}{err}");
    let (code, out, _) = status(&state);
    assert_eq!(code, 2, "no job was stored: {out}");
    assert!(!state.join("blobs/migrations/local/batch.csv").exists(), "the CSV with its passwords is deleted");

    let state = dir.path().join("state-port");
    let (code, out, err) = migrate(&csv, &closed, "masterpass", &state);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nothing accepts connections there: check the host and the port"), "{err}");

    // The right destination: accepted and copied.
    let state = dir.path().join("state-right");
    let (code, out, err) = migrate(&csv, &dest, "masterpass", &state);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("initial pass: 2/2 mailboxes"), "{out}");
}

fn status(state: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(mailferry_bin()).args(["status", "--state"]).arg(state).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn jobs_lists_each_job_with_what_is_scheduled() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("later.csv");
    std::fs::write(&csv, migration_csv(&src, &[(1, "pass"), (2, "pass")])).unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = migrate_with(&csv, &dest, "masterpass", &state, &["--at", "+2h", "--no-wait"]);
    assert_eq!(code, 0, "{out}{err}");
    let job = out.split_whitespace().nth(1).unwrap().trim_end_matches(':').to_string();

    let out = Command::new(mailferry_bin()).args(["jobs", "--state"]).arg(&state).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let row = text.lines().find(|l| l.starts_with(&job)).unwrap_or_else(|| panic!("no row for {job}:\n{text}"));
    assert!(row.contains("migration") && row.contains("scheduled") && row.contains("later.csv"), "{row}");
    assert!(row.contains("initial pass at ") && row.contains("credentials purged at "), "{row}");
    let out = Command::new(mailferry_bin()).args(["jobs", "--json", "--state"]).arg(&state).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc[0]["job"].as_str(), doc[0]["mailboxes"].as_u64()), (Some(job.as_str()), Some(2)), "{doc:#}");
}
