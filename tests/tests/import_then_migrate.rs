//! An import followed by a migration into the imported accounts: `mailferry import` creates a mailbox in the
//! passwd-file a destination Dovecot reads, then `mailferry migrate` copies a source mailbox into it (through the
//! destination's master user), and the independent verifier finds both sides equal.

use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::verify;
use std::process::Command;

fn mailferry(args: &[&str]) -> (i32, String) {
    let bin = std::env::current_exe().unwrap().parent().and_then(|d| d.parent()).unwrap().join("mailferry");
    let out = Command::new(bin).args(args).env("MAILFERRY_DEST_MASTER_PASSWORD", "masterpass").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_accounts_receive_a_migration() {
    let dir = tempfile::tempdir().unwrap();
    let (dst, users) = mailferry_tests::pipeline::passwd_file_dovecot(dir.path());
    let src = Dovecot::start();
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 81, messages: 60, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;

    let import = dir.path().join("accounts.csv");
    std::fs::write(&import, "type,domain,address,password,quota_mb,display_name\ndomain,new.test,,,,\nmailbox,,ann@new.test,Ann new pass,50,Ann\n").unwrap();
    let target = format!("passwd-file:{}", users.display());
    let (code, out) = mailferry(&["import", import.to_str().unwrap(), "--target", &target]);
    assert_eq!(code, 0, "{out}");

    let migration = dir.path().join("batch.csv");
    std::fs::write(
        &migration,
        format!(
            "destination,source_host,source_port,security,source_user,auth,password\nann@new.test,127.0.0.1,{},plain,user1@example.test,password,pass\n",
            src.port
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out) = mailferry(&[
        "migrate",
        migration.to_str().unwrap(),
        "--dest",
        &dest,
        "--domain",
        "new.test",
        "--allow-private-sources",
        "--state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");

    let (a, b) = (
        verify::digest(src.port, "user1@example.test", "pass").await,
        verify::digest(dst.port, "ann@new.test", "Ann new pass").await,
    );
    let diffs = verify::compare(&a, &b, |p| p.to_string());
    assert!(diffs.is_empty(), "source and destination differ:\n{}", diffs.join("\n"));
    assert_eq!(verify::total(&b), n);
}
