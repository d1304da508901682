//! A folder renamed on the source between passes arrives under its new name: the destination folder is renamed
//! too (not copied again beside the old one), only what is new in it is copied, flag changes made in it still
//! arrive (its ledger moved with it), and `status` and the email say so.

use mailferry::imap::utf7;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline::{mailferry_in, outbox, spawn_migrate, user1_csv};
use mailferry_tests::verify;
use serde_json::Value;

const USER: &str = "user1@example.test";

fn status(state: &std::path::Path) -> Value {
    let (_, out, _) = mailferry_in(state, &["status", "--json"]);
    serde_json::from_str(&out).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_folder_is_renamed_on_the_destination_and_only_its_new_mail_copied() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let mut s = corpus::login(src.port, USER, "pass").await;
    let first = corpus::fill(&mut s, &Spec { seed: 97, messages: 100, large: vec![] }, 0..usize::MAX).await;
    let dir = tempfile::tempdir().unwrap();
    let (csv, state) = (user1_csv(dir.path(), src.port), dir.path().join("state"));
    let migrate = spawn_migrate(&state, &csv, dst.port, &["--notify", "ops@example.test"]).wait_with_output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let job = status(&state)["job"]["id"].as_str().unwrap().to_string();

    // On the old server: two folders renamed (one under a new parent), mail added to one, a flag set in the other.
    src.doveadm(&["mailbox", "rename", "-u", USER, "Archive/2023", "Old/Archive 2023"]);
    src.doveadm(&["mailbox", "rename", "-u", USER, "Café", "Cafe renamed"]);
    let new: Vec<_> = (0..2).map(|i| Spec { seed: 98, messages: 2, large: vec![] }.message(0, i).into()).collect();
    s.append_all(&utf7::encode("Old/Archive 2023"), &new).await.unwrap();
    s.logout().await;
    src.doveadm(&["flags", "add", "-u", USER, "\\Flagged $Renamed", "mailbox", "Cafe renamed", "uid", "1"]);

    let (code, out, err) = mailferry_in(&state, &["schedule", &job, "--pass", "final", "--at", "now"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, first + 2, "every folder equal, flags included");
    let folders = dst.doveadm(&["mailbox", "list", "-u", USER]);
    assert!(!folders.lines().any(|l| l == "Café" || l == "Archive/2023"), "the old names are gone:\n{folders}");
    let s = status(&state);
    assert_eq!(s["passes"][1]["pass"], "final");
    assert_eq!(s["passes"][1]["copied"], 2, "only the new mail was copied: {s}");
    let renamed = &s["mailboxes"][0]["renamed"];
    assert_eq!(renamed.as_array().map(Vec::len), Some(2), "{s}");
    let (_, text, _) = mailferry_in(&state, &["status"]);
    assert!(
        text.contains("folder renamed on the source: Archive/2023 → Old/Archive 2023 (found by the final pass"),
        "{text}"
    );
    assert!(text.contains("Café → Cafe renamed"), "{text}");
    let mails = outbox(&state);
    assert!(mails.iter().any(|m| m.contains("folder renamed on the source: Café -> Cafe renamed")), "{mails:?}");
}
