//! `mailferry validate`: what operators and scripts rely on — the output lines, the JSON document and the exit
//! status (0 valid, 1 not valid, 2 unreadable).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/csv").join(name)
}

fn validate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailferry")).arg("validate").args(args).output().expect("run mailferry")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_valid_file_exits_0_with_a_summary() {
    let o = validate(&[sample("import.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(stdout(&o), "import file: valid; would create 1 domain, 2 mailboxes (3072 MB of quota) and 1 alias\n");
}

#[test]
fn an_invalid_file_exits_1_listing_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.csv");
    std::fs::write(
        &file,
        "destination,source_host,source_port,password\nann@example.com,mail.old.test,99999,Secret-Pw-1\nbob,mail.old.test,993,Secret-Pw-2\n",
    )
    .unwrap();
    let o = validate(&[file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let name = file.display();
    assert_eq!(
        stdout(&o),
        format!(
            "{name}: line 2, column source_port: error: the value is not a port: use a number from 1 to 65535\n\
             {name}: line 3, column destination: error: the value is not a valid email address: it has no '@'\n\
             migration file: 2 errors; nothing will be created or migrated\n"
        )
    );
    assert!(!stdout(&o).contains("Secret-Pw"), "no secret in the output");
}

#[test]
fn json_output_carries_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m365.csv");
    std::fs::write(&file, "EmailAddress,UserName,Password\nann@example.com,ann,Pw-123456\n").unwrap();
    let o = validate(&[file.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["kind"], "microsoft365");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["problems"][0]["line"], 1);
    assert_eq!(doc["problems"][0]["severity"], "error");
    let o = validate(&[file.to_str().unwrap(), "--json", "--source-host", "mail.old.test"]);
    assert_eq!(o.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["summary"], "Microsoft 365 migration batch: valid; would migrate 1 mailbox from 1 source server");
}

#[test]
fn unreadable_files_exit_2() {
    let missing = validate(&["/nonexistent/batch.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the file"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.csv");
    std::fs::write(&file, b"destination,source_host,password\nren\xe9@example.com,mail.old.test,pw\n").unwrap();
    let o = validate(&[file.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["readable"], false);
    assert!(doc["error"].as_str().unwrap().starts_with("line 2, column 1 (destination): byte 0xE9 is not valid UTF-8"));
}

#[test]
fn the_upload_place_is_enforced() {
    let o = validate(&[sample("import.csv").to_str().unwrap(), "--kind", "migration"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("this is an import file (import file) but it was uploaded as a migration"));
}

#[test]
fn a_duplicate_is_reported_with_the_rows_other_problems_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("import.csv");
    std::fs::write(
        &file,
        "type,domain,address,password,quota_mb\ndomain,example.com,,,\nmailbox,,ann@example.com,Pass-1234,100\n\
         mailbox,,ann@example.com,Pass-1234,lots\nmailbox,,bob@example.org,Pass-1234,100\n",
    )
    .unwrap();
    let o = validate(&[file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for says in [
        "line 4, column quota_mb: error:",
        "line 4, column address: error: the mailbox ann@example.com is already on line 3",
        "line 5, column address: error: the domain example.org is not declared in this file",
    ] {
        assert!(out.contains(says), "{says:?} missing:\n{out}");
    }
}
