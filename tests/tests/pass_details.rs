//! Small things a demanding operator notices: the destination's subscriptions are exactly the source's (a
//! `.`-separator source keeps real, unsubscribed parent folders under `INBOX.`: they arrive unsubscribed), and a
//! job without an operator address says that nobody will be notified, in `migrate`'s output and in `status`.

use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::migrate;
use mailferry_tests::pipeline::{mailferry_in, user1_csv};

const USER: &str = "user1@example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_exactly_the_sources_and_nobody_notified_is_said() {
    let src = Dovecot::start_with(Options { separator: '.', prefix: "INBOX.".into(), ..Default::default() });
    let dst = Dovecot::start();
    src.doveadm(&["mailbox", "create", "-u", USER, "INBOX.Parent"]);
    src.doveadm(&["mailbox", "create", "-s", "-u", USER, "INBOX.Parent.Child"]);
    src.doveadm(&["mailbox", "create", "-u", USER, "INBOX.Unsubscribed"]);
    let subscribed = |d: &Dovecot| -> Vec<String> {
        let mut l: Vec<String> =
            d.doveadm(&["mailbox", "list", "-s", "-u", USER]).lines().map(|l| l.trim().to_string()).collect();
        l.sort();
        l
    };
    assert!(!subscribed(&src).contains(&"INBOX.Parent".to_string()), "{:?}", subscribed(&src));
    let dir = tempfile::tempdir().unwrap();
    let csv = user1_csv(dir.path(), src.port);
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("nobody will be notified when a pass completes"), "{out}");
    let listed = dst.doveadm(&["mailbox", "list", "-u", USER]);
    assert!(listed.contains("Parent/Child") && listed.contains("Unsubscribed"), "{listed}");
    let on_dst = subscribed(&dst);
    assert!(on_dst.contains(&"Parent/Child".to_string()), "{on_dst:?}");
    for not in ["Parent", "Unsubscribed"] {
        assert!(!on_dst.contains(&not.to_string()), "{not} subscribed on the destination: {on_dst:?}");
    }
    let (_, status, _) = mailferry_in(&state, &["status"]);
    assert!(status.contains("nobody is notified when a pass completes"), "{status}");
}
