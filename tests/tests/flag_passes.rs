//! Later passes carry what users did on the old server between passes, without undoing what they did on the new
//! one. After a first pass the test changes flags and keywords on the source with doveadm (read, unread, flag,
//! unflag, a keyword added and one removed), changes others and some of the same on the destination, expunges a
//! message on the source, and runs the final pass; the independent verifier then expects, message by message, the
//! destination's own flags with the source's changes applied on top, and the expunged message still there. Once
//! with a source announcing CONDSTORE (only changed messages read) and once without (every flag read).

use mailferry_tests::corpus;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::migrate;
use mailferry_tests::pipeline::{mailferry_in, user1_csv};
use mailferry_tests::verify::{self, flags_expected, flags_of};

const USER: &str = "user1@example.test";

/// `doveadm flags add|remove` on `uid` of INBOX.
fn flags(d: &Dovecot, how: &str, flag: &str, uid: u32) {
    d.doveadm(&["flags", how, "-u", USER, flag, "mailbox", "INBOX", "uid", &uid.to_string()]);
}

async fn carries_changes_without_reverting(condstore: bool) {
    let caps = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE UIDPLUS NAMESPACE CHILDREN SPECIAL-USE";
    let capability = (!condstore).then(|| caps.to_string());
    let src = Dovecot::start_with(Options { capability, ..Default::default() });
    let dst = Dovecot::start();
    corpus::add_to_inbox(src.port, USER, 51, 0..40).await;
    // A known start: 1 unread, 2 read, 3 unflagged, 4 flagged, 6 with $Old, 5 without $Work.
    flags(&src, "remove", "\\Seen", 1);
    flags(&src, "add", "\\Seen", 2);
    flags(&src, "remove", "\\Flagged", 3);
    flags(&src, "add", "\\Flagged", 4);
    flags(&src, "add", "$Old", 6);
    let dir = tempfile::tempdir().unwrap();
    let csv = user1_csv(dir.path(), src.port);
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 40);
    let src_before = verify::digest(src.port, USER, "pass").await;

    // On the old server: read, unread, flag, unflag, a keyword added, one removed; message 9 expunged.
    flags(&src, "add", "\\Seen", 1);
    flags(&src, "remove", "\\Seen", 2);
    flags(&src, "add", "\\Flagged", 3);
    flags(&src, "remove", "\\Flagged", 4);
    flags(&src, "add", "$Work", 5);
    flags(&src, "remove", "$Old", 6);
    src.doveadm(&["expunge", "-u", USER, "mailbox", "INBOX", "uid", "9"]);
    // On the new server, meanwhile (the first pass appended in order: the same UIDs): other messages, and some of
    // the same ones.
    let on_dst = |how: &str, flag: &str, uid: u32| {
        dst.doveadm(&["flags", how, "-u", USER, flag, "mailbox", "INBOX", "uid", &uid.to_string()])
    };
    on_dst("add", "\\Flagged", 7);
    on_dst("add", "$Dest", 8);
    on_dst("add", "\\Flagged", 1); // read on the source, flagged here: both
    on_dst("add", "\\Answered", 4); // unflagged on the source, answered here: both
    on_dst("add", "\\Seen", 2); // unread on the source after being read here: the source's change wins
    on_dst("add", "$Dest", 9); // expunged on the source: stays, as it is here
    let dst_before = verify::digest(dst.port, USER, "pass").await;
    let src_after = verify::digest(src.port, USER, "pass").await;

    let job = out.split_whitespace().find(|w| w.starts_with("job-")).unwrap().trim_end_matches([':', ',']).to_string();
    let (code, out, err) = mailferry_in(&state, &["schedule", &job, "--pass", "final", "--at", "now"]);
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert_eq!(code, 0, "{out}{err}\n{log}");
    let dst_after = verify::digest(dst.port, USER, "pass").await;
    let expected = flags_expected(&src_before, &src_after, &dst_before);
    let got = flags_of(&dst_after);
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(m, f)| got.get(*m) != Some(*f))
        .map(|(m, f)| format!("{}: expected {f:?}, got {:?}", m.0, got.get(m)))
        .collect();
    assert!(wrong.is_empty() && got.len() == expected.len(), "{wrong:#?}\n{log}");
    assert_eq!(verify::total(&dst_after), 40, "the message expunged on the source stays");
    let carried = log.lines().find(|l| l.contains("flags carried over")).unwrap_or_default();
    assert!(carried.contains("changed=6") && carried.contains(&format!("condstore={condstore}")), "{carried}\n{log}");
    assert!(!condstore || carried.contains("expunged=0"), "with CONDSTORE only changed messages are read");
    assert!(condstore || carried.contains("expunged=1"), "{carried}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_changes_reach_the_destination_without_reverting_its_own_with_condstore() {
    carries_changes_without_reverting(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_changes_reach_the_destination_without_reverting_its_own_without_condstore() {
    carries_changes_without_reverting(false).await;
}
