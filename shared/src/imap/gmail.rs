//! Gmail over IMAP (`X-GM-EXT-1`): labels, not folders. Each label is shown as a folder, the same message appears
//! in every folder of its labels, and `[Gmail]/All Mail` (special-use `\All`) holds every message once. Copied
//! naively, a labelled message arrives two or more times and `All Mail` doubles the mailbox. mailferry places each
//! message the way a server with real folders keeps it:
//!
//! - every label with a folder (INBOX, Sent, Drafts and each user label) becomes a folder holding its messages;
//! - `\All` contributes only the messages that carry none of those labels (archived mail), into the archive;
//! - Starred and Important are views, not folders: they travel as `\Flagged` and the `$Important` keyword;
//! - Spam and Trash are left out unless an `include` pattern names them.
//!
//! In single-copy mode a message with several labels goes only to the folder of its primary label, in this
//! order: INBOX, Sent, Drafts, then user labels by name. Folders are found by special-use attribute, never by
//! their localised names. Labels arrive in `X-GM-LABELS` as atoms (system labels such as `\Inbox`) or strings
//! in modified UTF-7 (user labels, spelled like their folders).

use super::folders::ListEntry;
use serde::{Deserialize, Serialize};

/// The keyword Important becomes on the destination.
pub const IMPORTANT_KEYWORD: &str = "$Important";

/// Where a planned folder stands among a Gmail mailbox's labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GmailPlace {
    /// This folder's label (`\Inbox`, `\Sent`, `\Draft`, a user label); `None`: the archive (`\All`).
    pub label: Option<String>,
    /// The labels that have a folder of their own in the plan, primary first.
    pub foldered: Vec<String>,
    /// A message with several of those labels goes only to its primary label's folder.
    pub single_copy: bool,
}

impl GmailPlace {
    /// Whether a message carrying `labels` is copied into this folder.
    pub fn takes(&self, labels: &[String]) -> bool {
        let Some(me) = &self.label else { return !labels.iter().any(|l| self.has_folder(l)) };
        if !self.single_copy {
            return true;
        }
        // The folder's own label counts even when the server leaves it out of the list it sends there.
        let primary = self.foldered.iter().find(|f| same(f, me) || labels.iter().any(|l| same(l, f)));
        primary.is_some_and(|p| same(p, me))
    }

    /// Whether a message carrying `labels` shows in more than one folder of the plan.
    pub fn several(&self, labels: &[String]) -> bool {
        self.foldered.iter().filter(|f| labels.iter().any(|l| same(l, f))).count() > 1
    }

    fn has_folder(&self, label: &str) -> bool {
        self.foldered.iter().any(|f| same(f, label))
    }
}

/// Whether two labels are the same: system labels (`\Inbox`) case-insensitively, user labels exactly.
fn same(a: &str, b: &str) -> bool {
    if a.starts_with('\\') { a.eq_ignore_ascii_case(b) } else { a == b }
}

/// The label a listed folder stands for: INBOX is `\Inbox`, the `\Sent` and `\Drafts` folders are `\Sent` and
/// `\Draft`, any other folder its own (decoded) name. `None` for the views and the archive.
pub fn label_of(entry: &ListEntry) -> Option<String> {
    if entry.name.eq_ignore_ascii_case("INBOX") {
        return Some("\\Inbox".into());
    }
    if entry.has("\\Sent") {
        return Some("\\Sent".into());
    }
    if entry.has("\\Drafts") {
        return Some("\\Draft".into());
    }
    let view = ["\\All", "\\Flagged", "\\Important", "\\Junk", "\\Trash"].iter().any(|a| entry.has(a));
    (!view).then(|| entry.name.clone())
}

/// Sort labels primary first: INBOX, Sent, Drafts, then user labels by name.
pub fn by_rank(labels: &mut [String]) {
    let rank = |l: &String| match l.to_ascii_lowercase().as_str() {
        "\\inbox" => (0, String::new()),
        "\\sent" => (1, String::new()),
        "\\draft" => (2, String::new()),
        _ => (3, l.clone()),
    };
    labels.sort_by_key(rank);
}

/// Whether the labels say Important.
pub fn is_important(labels: &[String]) -> bool {
    labels.iter().any(|l| l.eq_ignore_ascii_case("\\Important"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    fn place(label: Option<&str>, single_copy: bool) -> GmailPlace {
        let foldered = labels(&["\\Inbox", "\\Sent", "Clients/Acme", "Work"]);
        GmailPlace { label: label.map(str::to_string), foldered, single_copy }
    }

    #[test]
    fn the_archive_takes_only_what_no_folder_holds() {
        let all = place(None, false);
        assert!(all.takes(&labels(&[])));
        assert!(all.takes(&labels(&["\\Important", "\\Starred", "\\All"])), "views are not folders");
        assert!(!all.takes(&labels(&["\\INBOX"])), "system labels compare without case");
        assert!(!all.takes(&labels(&["Work", "\\Important"])));
        assert!(all.takes(&labels(&["work"])), "user labels compare exactly: 'work' has no folder");
    }

    #[test]
    fn single_copy_sends_a_message_to_its_primary_label_only() {
        let two = labels(&["Work", "Clients/Acme"]);
        assert!(place(Some("Work"), false).takes(&two) && place(Some("Clients/Acme"), false).takes(&two));
        assert!(!place(Some("Work"), true).takes(&two));
        assert!(place(Some("Clients/Acme"), true).takes(&two), "user labels by name: Clients/Acme before Work");
        let inboxed = labels(&["\\Inbox", "Work"]);
        assert!(place(Some("\\Inbox"), true).takes(&inboxed) && !place(Some("Work"), true).takes(&inboxed));
        // A server that leaves the folder's own label out of the list still has it counted.
        assert!(place(Some("Work"), true).takes(&labels(&[])));
        assert!(place(None, true).several(&two) && !place(None, true).several(&labels(&["Work", "\\Important"])));
    }

    #[test]
    fn ranks_put_system_labels_first() {
        let mut l = labels(&["Work", "\\Draft", "Clients", "\\Inbox", "\\Sent"]);
        by_rank(&mut l);
        assert_eq!(l, labels(&["\\Inbox", "\\Sent", "\\Draft", "Clients", "Work"]));
    }
}
