//! Read-only commands stay read-only: a wrong `--state` is an error (exit 2) that names the directory, and
//! nothing is created there; the usage export never turns a missing state into an empty bill.

use mailferry_tests::mailferry_bin;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(mailferry_bin()).args(args).env_remove("MAILFERRY_DEST_MASTER_PASSWORD").output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_wrong_state_directory_is_an_error_and_stays_absent() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nostate");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["status", "--state", m],
        vec!["status", "--json", "--state", m],
        vec!["usage", "--state", m, "--tenant", "acme"],
        vec!["jobs", "--state", m],
        vec!["cancel", "job-0123456789abcdef0123", "--state", m],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?} printed {out:?}");
        assert!(err.contains("nostate holds no mailferry state"), "{args:?}: {err}");
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}

#[test]
fn a_start_time_mistake_stops_migrate_before_any_state_exists() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("batch.csv");
    std::fs::write(&csv, "destination,source_host,password\nann@example.test,127.0.0.1,pw-123456\n").unwrap();
    let state = dir.path().join("state");
    for (at, says) in [("tomorrow", "not a time; use now, +30s"), ("2020-01-01T00:00:00Z", "is in the past")] {
        let (code, _, err) = run(&[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            "imap://admin@127.0.0.1:1",
            "--at",
            at,
            "--state",
            state.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(says), "{at}: {err}");
        assert!(!state.exists(), "no state for a command that did not start");
    }
}

#[test]
fn shell_completions_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["migrate", "schedule", "report", "source-host", "errors"] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
}
