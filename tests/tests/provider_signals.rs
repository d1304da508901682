//! The providers' own words, spoken by a fault-injecting proxy in front of a real Dovecot source: Microsoft's
//! throttling with a suggested back-off (short: waited out in the task; long: the task goes back on the queue
//! for then), Gmail's `[THROTTLED]` on successful answers (the copy slows down), a session ended with
//! `* BYE Session invalidated - AccessTokenExpired` (signed in again with a new token, never the refused one),
//! and the pre-flight's hints for an app that may not open a mailbox and for a user with IMAP switched off.
//! Every copy ends complete and equal, message by message.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::fault_proxy::{Fault, FaultProxy};
use mailferry_tests::oauth_rig::{migrate, provider_csv, service_account_file, signing_endpoint, trusting_source};
use mailferry_tests::pipeline::user1_csv;
use mailferry_tests::token_endpoint::EndpointOptions;
use mailferry_tests::verify;

const USER: &str = "user1@example.test";

/// Migrate `messages` in INBOX through a proxy playing `fault`, batches of 20; returns the log and the proxy.
async fn through(fault: Fault, messages: usize, more: &[&str]) -> (String, FaultProxy) {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 41, 0..messages).await;
    let proxy = FaultProxy::start(src.port, fault);
    let csv = user1_csv(dir.path(), proxy.port);
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &[&["--batch-messages", "20"], more].concat());
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert_eq!(code, 0, "{out}{err}\n{log}");
    assert!(out.contains(&format!("initial pass: 1/1 mailboxes, {messages} messages")), "{out}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, messages);
    (log, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsoft_throttling_is_waited_out_for_the_suggested_time() {
    let text = "Request is throttled. Suggested Backoff Time: 1500 milliseconds".to_string();
    let fault = Fault::RefuseFetch { every: 3, times: 2, text };
    let (log, proxy) = through(fault, 240, &["--small-folder", "0"]).await;
    assert_eq!(proxy.injected(), 2);
    let waits: Vec<&str> = log.lines().filter(|l| l.contains("throttled by the server; waiting")).collect();
    assert_eq!(waits.len(), 2, "{log}");
    assert!(waits.iter().all(|l| l.contains("wait_ms=1500")), "{waits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_suggested_back_off_sends_the_task_back_for_then() {
    let text = "Request is throttled. Suggested Backoff Time: 11000 milliseconds".to_string();
    let (log, proxy) = through(Fault::RefuseFetch { every: 2, times: 1, text }, 100, &[]).await;
    assert_eq!(proxy.injected(), 1);
    let deferred: Vec<&str> = log.lines().filter(|l| l.contains("deferred") && l.contains("wait_ms=")).collect();
    assert_eq!(deferred.len(), 1, "{log}");
    let wait_ms: u64 =
        deferred[0].split("wait_ms=").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!((11_000..12_000).contains(&wait_ms), "{}", deferred[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gmail_throttled_answers_slow_the_copy_down() {
    let (log, proxy) = through(Fault::MarkThrottled { times: 2 }, 120, &[]).await;
    assert_eq!(proxy.injected(), 0, "marks are counted apart: nothing was refused");
    let pauses: Vec<&str> = log.lines().filter(|l| l.contains("the source asks to slow down")).collect();
    assert_eq!(pauses.len(), 2, "{log}");
    assert!(pauses[0].contains("pause_ms=1000") && pauses[1].contains("pause_ms=2000"), "{pauses:?}");
}

/// Two sessions ended mid-folder by the provider's BYE: each time the copy signs in again with a token the
/// endpoint newly issued (the cached one, which the clock still thought good, is dropped), and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_for_its_token_signs_in_again_with_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = signing_endpoint(dir.path(), EndpointOptions::default());
    let src = trusting_source(dir.path(), &endpoint, 1, false);
    let dst = Dovecot::start();
    corpus::add_to_inbox(src.port, USER, 43, 0..200).await;
    let text = "Session invalidated - AccessTokenExpired".to_string();
    let proxy = FaultProxy::start(src.port, Fault::ByeOnFetch { nth: 2, text, sessions: 2 });
    let (key_file, _) = service_account_file(dir.path(), &endpoint.url("/token"));
    let csv = provider_csv(dir.path(), proxy.port, 1, "google");
    let state = dir.path().join("state");
    let args =
        ["--batch-messages", "20", "--small-folder", "0", "--google-service-account", key_file.to_str().unwrap()];
    let (code, out, err) = migrate(&state, &csv, dst.port, &args);
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default();
    assert_eq!(code, 0, "{out}{err}\n{log}");
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 200);
    let (ended, tokens) = (proxy.ended(), proxy.tokens());
    assert_eq!(ended.len(), 2, "{tokens:?}");
    for conn in ended {
        let refused = &tokens.iter().find(|(c, _)| *c == conn).expect("a token sign-in").1;
        assert!(tokens.iter().all(|(c, t)| *c <= conn || t != refused), "connection {conn}'s token was used again");
        assert!(tokens.iter().any(|(c, _)| *c > conn), "a sign-in after connection {conn} ended");
    }
    assert_eq!(log.matches("the session ended with its token").count(), 2, "{log}");
}

/// The pre-flight refuses the row and says what to do, in the words of the provider's refusal.
async fn preflight_hint(fault: Fault) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let proxy = FaultProxy::start(src.port, fault);
    let csv = user1_csv(dir.path(), proxy.port);
    let (code, out, err) = migrate(&dir.path().join("state"), &csv, dst.port, &[]);
    assert_eq!(code, 1, "a refused row: {out}{err}");
    assert!(out.contains(&format!("line 2: {USER}")), "{out}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_flight_says_what_to_grant_when_the_app_may_not_open_the_mailbox() {
    let answer = "BAD User is authenticated but not connected.".to_string();
    let out = preflight_hint(Fault::AfterSignIn { answer }).await;
    assert!(out.contains("User is authenticated but not connected"), "{out}");
    assert!(out.contains("give the app's service principal FullAccess on this mailbox"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pre_flight_says_to_turn_imap_on_for_a_user_without_it() {
    let answer = "NO [ALERT] Your account is not enabled for IMAP use. Please visit your Gmail settings page and \
                  enable your account for IMAP access. (Failure)"
        .to_string();
    let out = preflight_hint(Fault::SignIn { answer }).await;
    assert!(out.contains("not enabled for IMAP use"), "{out}");
    assert!(out.contains("turn IMAP on for this user"), "{out}");
}
