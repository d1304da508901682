//! The control panel end to end in a real browser: `mailferry serve` on a fresh state directory between two
//! Dovecots, driven by `infra/browser/flows.mjs` (playwright-core with Debian's chromium, axe-core on every
//! page): keyboard-only sign-in, a CSV with bad rows refused with a summary naming them, the fixed file started a
//! few seconds ahead, live progress to 100 %, the final pass from the page, the error CSV downloaded. Then the
//! mailboxes are verified message by message, and the operator's two emails are in the outbox. Screenshots of
//! every page stay in `target/panel-screenshots/`.

use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::spawn_serve;
use mailferry_tests::pipeline::{mailferry_in, migration_csv, outbox};
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
    let (mut serve, url) = spawn_serve(&state, &["--allow-private-sources", "--dest", &dest]);

    let good = migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    let bad = good
        .replacen(&format!(",{},", src.port), ",99999,", 1)
        .replace("user2@example.test,", "user2-at-example.test,");
    let (good_path, bad_path) = (dir.path().join("good.csv"), dir.path().join("bad.csv"));
    std::fs::write(&good_path, &good).unwrap();
    std::fs::write(&bad_path, &bad).unwrap();
    let shots = workspace_root().join("target/panel-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let config = serde_json::json!({
        "url": url, "email": "ops@example.test", "password": "correct horse battery",
        "good": good_path, "bad": bad_path, "shots": shots, "chromium": "/usr/bin/chromium",
    });
    let config_path = dir.path().join("browser.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let run = std::process::Command::new("node")
        .arg(workspace_root().join("infra/browser/flows.mjs"))
        .arg(&config_path)
        .current_dir(workspace_root().join("infra/browser"))
        .output()
        .expect("node (infra/install.sh installs playwright-core, axe-core and chromium)");
    let _ = serve.kill();
    let _ = serve.wait();
    let said = String::from_utf8_lossy(&run.stdout).to_string();
    let report: serde_json::Value = serde_json::from_str(said.lines().last().unwrap_or("")).unwrap_or_else(|e| {
        panic!("flows.mjs printed no report ({e}):\n{said}\n{}", String::from_utf8_lossy(&run.stderr))
    });
    assert!(run.status.success(), "the browser flows failed: {report:#}");
    assert_eq!(report["violations"], serde_json::json!([]), "serious accessibility violations");
    assert!(report["steps"].as_array().unwrap().len() >= 19, "{report:#}");

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
    ] {
        assert!(shots.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }
}
