//! A Gmail-like IMAP server per test: npm hoodiecrow-imap through `infra/gmail/server.mjs` (installed by
//! `infra/install.sh`), speaking `X-GM-EXT-1` and SPECIAL-USE on 127.0.0.1, one user (`testuser` / `testpass`).
//! [`GmailMessage`]s are laid out as Gmail shows them: each message in All Mail and in the folder of every label
//! it carries (INBOX, Sent, Drafts, Starred, Important, Spam, user labels), with the same `X-GM-MSGID` and
//! `X-GM-LABELS` everywhere. Stopped when dropped.

use serde_json::{Value, json};
use std::process::Child;

/// One message and its labels (`\Inbox`, `\Sent`, `\Draft`, `\Starred`, `\Important`, `\Spam`, user labels).
#[derive(Clone, Debug)]
pub struct GmailMessage {
    pub subject: String,
    pub labels: Vec<String>,
    pub seen: bool,
}

impl GmailMessage {
    pub fn new(subject: &str, labels: &[&str]) -> GmailMessage {
        GmailMessage { subject: subject.into(), labels: labels.iter().map(|l| l.to_string()).collect(), seen: true }
    }

    /// The message as stored, `n` being its place (from 1) in the list given to [`storage`].
    pub fn raw(&self, n: usize) -> String {
        format!(
            "From: Ann <ann@example.com>\r\nTo: user1@example.test\r\nSubject: {}\r\nMessage-ID: <gm{n}@example.com>\r\n\
             Date: Mon, 2 Sep 2024 10:{:02}:00 +0000\r\n\r\nBody of message {n}: {}\r\n",
            self.subject,
            n % 60,
            self.subject
        )
    }

    fn has(&self, label: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(label))
    }
}

/// The folders of the mailbox: name (with `/`), special-use attribute, and which label puts a message there.
const SYSTEM: [(&str, &str, &str); 7] = [
    ("[Gmail]/All Mail", "\\All", ""),
    ("[Gmail]/Drafts", "\\Drafts", "\\Draft"),
    ("[Gmail]/Important", "\\Important", "\\Important"),
    ("[Gmail]/Sent Mail", "\\Sent", "\\Sent"),
    ("[Gmail]/Spam", "\\Junk", "\\Spam"),
    ("[Gmail]/Starred", "\\Flagged", "\\Starred"),
    ("[Gmail]/Trash", "\\Trash", "\\Trash"),
];

/// hoodiecrow's storage for `messages` (see the module docs).
pub fn storage(messages: &[GmailMessage]) -> Value {
    let entry = |n: usize, m: &GmailMessage| {
        let mut flags = Vec::new();
        if m.seen {
            flags.push("\\Seen");
        }
        if m.has("\\Starred") {
            flags.push("\\Flagged");
        }
        json!({"raw": m.raw(n), "internaldate": format!("02-Sep-2024 10:{:02}:00 +0000", n % 60), "flags": flags,
               "X-GM-MSGID": (1_000_000 + n).to_string(), "X-GM-LABELS": m.labels})
    };
    let in_folder = |pred: &dyn Fn(&GmailMessage) -> bool| -> Vec<Value> {
        messages.iter().enumerate().filter(|(_, m)| pred(m)).map(|(n, m)| entry(n + 1, m)).collect()
    };
    let mut gmail = serde_json::Map::new();
    for (name, attr, label) in SYSTEM {
        let held = if label.is_empty() {
            in_folder(&|m| !m.has("\\Spam") && !m.has("\\Trash"))
        } else {
            in_folder(&|m| m.has(label))
        };
        gmail.insert(name.trim_start_matches("[Gmail]/").into(), json!({"special-use": attr, "messages": held}));
    }
    let mut top = serde_json::Map::new();
    top.insert("[Gmail]".into(), json!({"flags": ["\\Noselect"], "folders": gmail}));
    let mut user: Vec<&String> = messages.iter().flat_map(|m| &m.labels).filter(|l| !l.starts_with('\\')).collect();
    user.sort();
    user.dedup();
    for label in user {
        top.insert(label.clone(), json!({"messages": in_folder(&|m| m.has(label))}));
    }
    json!({"INBOX": {"messages": in_folder(&|m| m.has("\\Inbox"))}, "": {"separator": "/", "folders": top}})
}

/// A running Gmail-like server.
pub struct GmailServer {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl GmailServer {
    /// Serve `messages` (see [`storage`]).
    pub fn start(messages: &[GmailMessage]) -> GmailServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("storage.json");
        std::fs::write(&file, storage(messages).to_string()).expect("write the storage");
        let (child, said) =
            crate::process::node_server("gmail/server.mjs", [std::ffi::OsStr::new("--storage"), file.as_os_str()]);
        GmailServer { port: said["port"].as_u64().expect("port") as u16, child, _dir: dir }
    }
}

impl Drop for GmailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
