//! A Gmail source (a real IMAP server speaking X-GM-EXT-1: npm hoodiecrow-imap) migrated into Dovecot: a message
//! in INBOX with two labels, others in one label, archived ones (only in All Mail), sent ones, a starred one and
//! spam. By default each label's folder holds its messages and the archive only the unlabelled ones; in
//! single-copy mode every message arrives once, in its primary label's folder. Never twice in one folder;
//! Important travels as `$Important`, Starred as `\Flagged`; Spam stays behind; `status` says how many messages
//! carried several labels and where they went.

use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::gmail_server::{GmailMessage, GmailServer};
use mailferry_tests::oauth_rig::migrate;
use mailferry_tests::pipeline::mailferry_in;
use mailferry_tests::verify;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const USER: &str = "user1@example.test";

fn mailbox() -> Vec<GmailMessage> {
    vec![
        GmailMessage::new("inbox, work and acme", &["\\Inbox", "Work", "Clients/Acme", "\\Important"]),
        GmailMessage::new("work only", &["Work"]),
        GmailMessage::new("archived", &[]),
        GmailMessage::new("archived and starred", &["\\Starred"]),
        GmailMessage::new("sent", &["\\Sent"]),
        GmailMessage::new("sent and work", &["\\Sent", "Work"]),
        GmailMessage::new("spam", &["\\Spam"]),
        GmailMessage::new("inbox and important", &["\\Inbox", "\\Important"]),
    ]
}

/// Migrate the mailbox (with `gmail_labels` = `mode`); the destination's folders as subject → flags, and the
/// output of `status`.
async fn migrated(mode: &str) -> (BTreeMap<String, Vec<(String, Vec<String>)>>, String) {
    let messages = mailbox();
    let gmail = GmailServer::start(&messages);
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gmail.csv");
    let row = format!("{USER},127.0.0.1,{},plain,testuser,password,testpass,{mode}", gmail.port);
    std::fs::write(
        &csv,
        format!("destination,source_host,source_port,security,source_user,auth,password,gmail_labels\n{row}\n"),
    )
    .unwrap();
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &[]);
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert_eq!(code, 0, "{out}{err}\n{log}");
    let subjects: BTreeMap<[u8; 32], String> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (Sha256::digest(m.raw(i + 1).as_bytes()).into(), m.subject.clone()))
        .collect();
    let digest = verify::digest(dst.port, USER, "pass").await;
    let folders = digest
        .into_iter()
        .filter(|(_, entries)| !entries.is_empty())
        .map(|(folder, entries)| {
            let mut named: Vec<(String, Vec<String>)> = entries
                .into_iter()
                .map(|e| (subjects.get(&e.sha256).cloned().unwrap_or_else(|| "(unknown)".into()), e.flags))
                .collect();
            named.sort();
            (folder, named)
        })
        .collect();
    let (_, status, _) = mailferry_in(&state, &["status", &job_of(&out)]);
    (folders, status)
}

fn job_of(out: &str) -> String {
    out.split_whitespace().find(|w| w.starts_with("job-")).expect("a job id").trim_end_matches([':', ',']).to_string()
}

fn subjects(folders: &BTreeMap<String, Vec<(String, Vec<String>)>>, folder: &str) -> Vec<String> {
    folders.get(folder).map(|f| f.iter().map(|(s, _)| s.clone()).collect()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_label_keeps_its_messages_and_the_archive_only_the_unlabelled() {
    let (folders, status) = migrated("folders").await;
    let names: Vec<&str> = folders.keys().map(String::as_str).collect();
    assert_eq!(names, ["Archive", "Clients/Acme", "INBOX", "Sent", "Work"], "{folders:#?}");
    assert_eq!(subjects(&folders, "INBOX"), ["inbox and important", "inbox, work and acme"]);
    assert_eq!(subjects(&folders, "Work"), ["inbox, work and acme", "sent and work", "work only"]);
    assert_eq!(subjects(&folders, "Clients/Acme"), ["inbox, work and acme"]);
    assert_eq!(subjects(&folders, "Sent"), ["sent", "sent and work"]);
    assert_eq!(subjects(&folders, "Archive"), ["archived", "archived and starred"]);
    let flags = |folder: &str, subject: &str| {
        folders[folder].iter().find(|(s, _)| s == subject).map(|(_, f)| f.clone()).unwrap_or_default()
    };
    assert_eq!(flags("INBOX", "inbox, work and acme"), ["$Important", "\\Seen"]);
    assert_eq!(flags("Work", "inbox, work and acme"), ["$Important", "\\Seen"]);
    assert_eq!(flags("Archive", "archived and starred"), ["\\Flagged", "\\Seen"]);
    assert_eq!(flags("Work", "work only"), ["\\Seen"]);
    assert!(status.contains("2 messages carried several Gmail labels: one copy in each label's folder"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_copy_puts_every_message_once_in_its_primary_labels_folder() {
    let (folders, status) = migrated("single").await;
    let all: Vec<String> = folders.values().flatten().map(|(s, _)| s.clone()).collect();
    assert_eq!(all.len(), 7, "seven messages (spam stays behind), each once: {folders:#?}");
    assert_eq!(subjects(&folders, "INBOX"), ["inbox and important", "inbox, work and acme"]);
    assert_eq!(subjects(&folders, "Sent"), ["sent", "sent and work"]);
    assert_eq!(subjects(&folders, "Work"), ["work only"]);
    assert_eq!(subjects(&folders, "Clients/Acme"), Vec::<String>::new());
    assert_eq!(subjects(&folders, "Archive"), ["archived", "archived and starred"]);
    assert!(
        status.contains("2 messages carried several Gmail labels: one copy each, in the folder of its first label"),
        "{status}"
    );
}
