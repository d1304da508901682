//! Unit tests of folder planning (pure: two listings in, a plan out).

use super::ListEntry;
use super::plan::{Filters, Listing, matches, plan};
use super::special::SpecialUse;

fn entry(name: &str, delim: char, attrs: &[&str]) -> ListEntry {
    ListEntry {
        attributes: attrs.iter().map(|a| a.to_string()).collect(),
        delimiter: Some(delim),
        wire: super::utf7::encode(name),
        name: name.into(),
    }
}

fn dotted_source() -> Listing {
    let e = |n: &str, a: &[&str]| entry(n, '.', a);
    Listing {
        prefix: "INBOX.".into(),
        delimiter: Some('.'),
        entries: vec![
            e("INBOX", &["\\HasChildren"]),
            e("INBOX.Sent Items", &[]),
            e("INBOX.Sent Items.2019", &[]),
            e("INBOX.Café", &[]),
            e("INBOX.Données.2024", &[]),
            e("INBOX.Données", &[]),
            e("INBOX.a/b", &[]),
            e("INBOX.Trash", &["\\Trash"]),
            e("INBOX.Deleted Items", &[]),
        ],
        subscribed: ["INBOX.Café".to_string()].into(),
        gmail: false,
    }
}

fn slash_dest() -> Listing {
    let e = |n: &str, a: &[&str]| entry(n, '/', a);
    Listing {
        prefix: String::new(),
        delimiter: Some('/'),
        entries: vec![e("INBOX", &[]), e("Sent", &["\\Sent"]), e("Trash", &["\\Trash"]), e("Drafts", &["\\Drafts"])],
        subscribed: Default::default(),
        gmail: false,
    }
}

fn dest_of<'a>(p: &'a super::plan::Plan, path: &str) -> &'a str {
    &p.folders.iter().find(|f| f.path == path).unwrap_or_else(|| panic!("{path} not planned: {p}")).dest
}

#[test]
fn prefix_separator_special_use_and_escaping() {
    let p = plan(&dotted_source(), &slash_dest(), &Filters::default());
    assert_eq!(dest_of(&p, "INBOX"), "INBOX");
    assert_eq!(dest_of(&p, "Sent Items"), "Sent");
    assert_eq!(dest_of(&p, "Sent Items/2019"), "Sent/2019");
    assert_eq!(dest_of(&p, "Café"), "Café");
    assert_eq!(dest_of(&p, "Données/2024"), "Données/2024");
    assert_eq!(dest_of(&p, "a/b"), "a\u{2215}b");
    assert_eq!(dest_of(&p, "Trash"), "Trash");
    assert_eq!(dest_of(&p, "Deleted Items"), "Trash");
    let sent = p.folders.iter().find(|f| f.path == "Sent Items").unwrap();
    assert_eq!((sent.special, sent.create), (Some(SpecialUse::Sent), false));
    let cafe = p.folders.iter().find(|f| f.path == "Café").unwrap();
    assert!(cafe.create && cafe.subscribe);
    assert_eq!(cafe.dest_wire, "Caf&AOk-");
    assert_eq!(p.folders[0].path, "INBOX", "INBOX first");
    assert!(p.notes.iter().any(|n| n == "Trash and Deleted Items are merged into Trash"), "{:?}", p.notes);
    assert!(p.notes.iter().any(|n| n.starts_with("a/b: '/' inside a folder name")), "{:?}", p.notes);
}

#[test]
fn slash_source_into_dotted_destination_with_parents() {
    let src = Listing {
        prefix: String::new(),
        delimiter: Some('/'),
        entries: vec![
            entry("INBOX", '/', &[]),
            entry("Work/2024/Q1", '/', &[]),
            entry("Gesendet", '/', &[]),
            entry("v1.2", '/', &[]),
        ],
        subscribed: Default::default(),
        gmail: false,
    };
    let dst = Listing {
        prefix: "INBOX.".into(),
        delimiter: Some('.'),
        entries: vec![entry("INBOX", '.', &[]), entry("INBOX.Sent", '.', &["\\Sent"])],
        subscribed: Default::default(),
        gmail: false,
    };
    let p = plan(&src, &dst, &Filters::default());
    assert_eq!(dest_of(&p, "Work/2024/Q1"), "INBOX.Work.2024.Q1");
    assert_eq!(dest_of(&p, "Gesendet"), "INBOX.Sent");
    assert_eq!(dest_of(&p, "v1.2"), "INBOX.v1\u{2024}2");
    let parents: Vec<&str> = p.parents.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(parents, ["INBOX.Work", "INBOX.Work.2024"]);
}

#[test]
fn filters_and_virtual_folders() {
    let src = Listing {
        prefix: String::new(),
        delimiter: Some('/'),
        entries: vec![
            entry("INBOX", '/', &[]),
            entry("[Gmail]", '/', &["\\Noselect"]),
            entry("[Gmail]/All Mail", '/', &["\\All"]),
            entry("[Gmail]/Sent Mail", '/', &["\\Sent"]),
            entry("Projects/A", '/', &[]),
            entry("Projects/B/Old", '/', &[]),
            entry("Junk", '/', &[]),
        ],
        subscribed: Default::default(),
        gmail: false,
    };
    let filters = Filters {
        include: vec!["INBOX".into(), "Projects/%".into(), "[Gmail]/*".into(), "Junk".into()],
        exclude: vec!["Junk".into()],
        gmail_single_copy: false,
    };
    let p = plan(&src, &slash_dest(), &filters);
    let planned: Vec<&str> = p.folders.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(planned, ["INBOX", "Projects/A", "[Gmail]/Sent Mail"]);
    assert_eq!(dest_of(&p, "[Gmail]/Sent Mail"), "Sent");
    let excluded: Vec<&str> = p.excluded.iter().map(|(x, _)| x.as_str()).collect();
    assert_eq!(excluded, ["[Gmail]/All Mail", "Projects/B/Old", "Junk"]);
    assert!(p.to_string().contains("Junk  ✗  left out: matched by the exclude pattern \"Junk\""), "{p}");
}

#[test]
fn patterns() {
    assert!(matches("Projects/*", "Projects/a/b"));
    assert!(!matches("Projects/%", "Projects/a/b"));
    assert!(matches("Projects/%", "Projects/a"));
    assert!(matches("inbox", "INBOX"));
    assert!(!matches("Sent", "Sent Items"));
}

#[test]
fn patterns_on_non_ascii_names_never_panic() {
    for name in ["Entwürfe", "Отправленные", "日本語", "Größe/2024", "é", "INBOé", "INBOX"] {
        for pattern in ["Größe/*", "INBOX*", "日*", "%", "*", "Entw%rfe", "INBO"] {
            let _ = matches(pattern, name);
        }
    }
    assert!(matches("Größe/*", "Größe/2024"));
    assert!(matches("Entw%rfe", "Entwürfe"));
    assert!(matches("日*", "日本語"));
    assert!(!matches("Отправленные/%", "Отправленные"));
}

#[test]
fn patterns_are_linear_not_exponential() {
    // Backtracking takes seconds on this and grows combinatorially; the state-set matcher does 40 × 18 steps.
    let path = "a".repeat(40);
    assert!(!matches("*a*a*a*a*a*a*a*a*b", &path));
    assert!(matches("*a*a*a*a*a*a*a*a*", &path));
    let long = "x/".repeat(2000);
    assert!(matches(&"*%".repeat(500), &long));
    assert!(!matches(&format!("{}q", "%*".repeat(500)), &long));
    assert!(matches("%%%%*%%%%", "abc"));
    assert!(!matches("%/%", "a/b/c"));
}

#[test]
fn folder_names_with_control_characters_are_left_out() {
    let mut source = slash_dest();
    source.entries.push(entry("Evil\r\nZ9 DELETE \"Important\"", '/', &[]));
    source.entries.push(entry("Tab\there", '/', &[]));
    let p = plan(&source, &slash_dest(), &Filters::default());
    assert!(p.folders.iter().all(|f| !f.dest.chars().any(char::is_control)), "{p}");
    let excluded: Vec<(&str, &str)> = p.excluded.iter().map(|(x, r)| (x.as_str(), r.as_str())).collect();
    assert_eq!(
        excluded,
        [
            ("Evil\\r\\nZ9 DELETE \\\"Important\\\"", "the name holds a control character"),
            ("Tab\\there", "the name holds a control character")
        ]
    );
}

/// A Gmail source: every label with a folder is planned with the labels placed by, primary first; All Mail
/// becomes the archive; Starred and Important are views; Spam and Trash stay out unless named.
#[test]
fn gmail_labels_the_archive_and_the_views() {
    let src = Listing {
        prefix: String::new(),
        delimiter: Some('/'),
        entries: vec![
            entry("INBOX", '/', &[]),
            entry("Work", '/', &[]),
            entry("Clients/Acme", '/', &[]),
            entry("[Gmail]", '/', &["\\Noselect"]),
            entry("[Gmail]/All Mail", '/', &["\\All"]),
            entry("[Gmail]/Enviados", '/', &["\\Sent"]),
            entry("[Gmail]/Starred", '/', &["\\Flagged"]),
            entry("[Gmail]/Important", '/', &["\\Important"]),
            entry("[Gmail]/Spam", '/', &["\\Junk"]),
            entry("[Gmail]/Papelera", '/', &["\\Trash"]),
        ],
        subscribed: Default::default(),
        gmail: true,
    };
    let p = plan(&src, &slash_dest(), &Filters::default());
    let planned: Vec<&str> = p.folders.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(planned, ["INBOX", "Clients/Acme", "Work", "[Gmail]/All Mail", "[Gmail]/Enviados"]);
    assert_eq!(dest_of(&p, "[Gmail]/All Mail"), "Archive");
    assert_eq!(dest_of(&p, "[Gmail]/Enviados"), "Sent", "found by special-use, not by name");
    let all = p.folders.iter().find(|f| f.path == "[Gmail]/All Mail").unwrap().gmail.clone().unwrap();
    assert_eq!(all.label, None);
    assert_eq!(all.foldered, ["\\Inbox", "\\Sent", "Clients/Acme", "Work"]);
    let excluded: Vec<&str> = p.excluded.iter().map(|(x, _)| x.as_str()).collect();
    assert_eq!(excluded, ["[Gmail]/Starred", "[Gmail]/Important", "[Gmail]/Spam", "[Gmail]/Papelera"]);
    let named = Filters { include: vec!["*".into(), "[Gmail]/Spam".into()], ..Default::default() };
    let p = plan(&src, &slash_dest(), &named);
    assert!(p.folders.iter().any(|f| f.path == "[Gmail]/Spam"), "{p}");
    assert!(!p.folders.iter().any(|f| f.path == "[Gmail]/Papelera"), "{p}");
}
