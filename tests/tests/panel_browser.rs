//! The control panel end to end in a real browser: `mailferry serve` on a fresh state directory between two
//! Dovecots, driven by `infra/browser/flows.mjs` (playwright-core with Debian's chromium, axe-core on every
//! page): keyboard-only sign-in, a CSV with bad rows refused with a summary naming them, the fixed file started a
//! few seconds ahead, live progress to 100 %, the final pass from the page, the error CSV downloaded, an import
//! dropped on its form, previewed and created (the new mailbox then logs in). Then the
//! mailboxes are verified message by message, and the operator's two emails are in the outbox. Screenshots of
//! every page stay in `target/panel-screenshots/`.

use mailferry::imap::{self, Login};
use mailferry::model::Secret;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::{run_flow, spawn_serve};
use mailferry_tests::pipeline::{mailferry_in, migration_csv, outbox, passwd_file_dovecot};
use mailferry_tests::{corpus, mailferry_bin, verify, workspace_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_flows_in_a_real_browser() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, "user1@example.test", 61, 0..40).await;
    corpus::add_to_inbox(src.port, "user2@example.test", 62, 0..25).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (code, out, err) = mailferry_in(&state, &["domains", "claim", "example.test", "--tenant", "acme"]);
    assert_eq!(code, 0, "{out}{err}");
    let add = std::process::Command::new(mailferry_bin())
        .args(["panel", "add-user", "ops@example.test", "--tenant", "acme", "--state"])
        .arg(&state)
        .env("MAILFERRY_PANEL_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    // Imports create accounts in a passwd-file a third Dovecot reads.
    let (accounts, users) = passwd_file_dovecot(dir.path());
    let target = format!("passwd-file:{}", users.display());
    let (mut serve, url) =
        spawn_serve(&state, &["--allow-private-sources", "--dest", &dest, "--import-target", &target]);

    let good = migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    let bad = good
        .replacen(&format!(",{},", src.port), ",99999,", 1)
        .replace("user2@example.test,", "user2-at-example.test,");
    let (good_path, bad_path) = (dir.path().join("good.csv"), dir.path().join("bad.csv"));
    std::fs::write(&good_path, &good).unwrap();
    std::fs::write(&bad_path, &bad).unwrap();
    let import_path = dir.path().join("accounts.csv");
    std::fs::write(
        &import_path,
        "type,domain,address,password,quota_mb,display_name,targets\ndomain,newco.test,,,,,\n\
         mailbox,,ann@newco.test,Ann import pw,10,Ann,\nmailbox,,bob@newco.test,Bob import pw,10,Bob,\n\
         alias,,info@newco.test,,,,ann@newco.test\n",
    )
    .unwrap();
    let shots = workspace_root().join("target/panel-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let config = serde_json::json!({
        "url": url, "email": "ops@example.test", "password": "correct horse battery",
        "good": good_path, "bad": bad_path, "messages": 65, "import": import_path, "shots": shots, "chromium": "/usr/bin/chromium",
    });
    let report = run_flow("flows.mjs", &config, dir.path());
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(report["steps"].as_array().unwrap().len() >= 27, "{report:#}");
    let login = Login::Password { user: "bob@newco.test".into(), password: Secret::new("Bob import pw".into()) };
    imap::open(&corpus::plain_endpoint(accounts.port), &login)
        .await
        .expect("the imported mailbox logs in")
        .logout()
        .await;

    for user in ["user1@example.test", "user2@example.test"] {
        verify::assert_same(src.port, dst.port, user).await;
    }
    let mails = outbox(&state);
    assert!(mails.iter().any(|m| m.contains("initial pass of good.csv complete")), "{mails:?}");
    assert!(mails.iter().any(|m| m.contains("final pass of good.csv complete")), "{mails:?}");
    for page in [
        "sign-in",
        "dashboard",
        "new-migration",
        "refused",
        "job-accepted",
        "job-first-pass-done",
        "mailbox",
        "job-complete",
        "new-import",
        "import-preview",
        "import-report",
    ] {
        assert!(shots.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }
}
