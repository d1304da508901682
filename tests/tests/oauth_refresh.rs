//! Rows that carry their own refresh token, redeemed with the job's OAuth client (`--oauth-client`), against a
//! token endpoint that rotates refresh tokens strictly (each answer brings a new one; a redeemed one is refused).
//! The pre-flight's sign-in rotates each row's token before the mailbox is sealed, the copy's sign-ins rotate it
//! again, and the final pass, days later in real life, still signs in: every rotated token was kept (sealed) for
//! the next sign-in. No refresh token or client secret appears in anything mailferry wrote.

use mailferry_tests::corpus;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::{assert_nowhere, fill_users, logins, migrate, signing_endpoint, trusting_source};
use mailferry_tests::pipeline::mailferry_in;
use mailferry_tests::token_endpoint::EndpointOptions;
use mailferry_tests::verify;

const USERS: [&str; 2] = ["user1@example.test", "user2@example.test"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_refresh_tokens_are_kept_for_every_later_sign_in_and_pass() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = signing_endpoint(dir.path(), EndpointOptions::default());
    let src = trusting_source(dir.path(), &endpoint, 2, false);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let counts = fill_users(&src, 2, 40, 120).await;
    let client = dir.path().join("client.json");
    let token_uri = endpoint.url("/token");
    let file =
        serde_json::json!({"client_id": "mf-client", "client_secret": "client-s3cret-value", "token_uri": token_uri});
    std::fs::write(&client, file.to_string()).unwrap();
    let csv = dir.path().join("refresh.csv");
    let mut text = String::from("destination,source_host,source_port,security,auth,oauth_refresh_token\n");
    for user in USERS {
        text.push_str(&format!("{user},127.0.0.1,{},plain,oauth2,rt.{user}.1\n", src.port));
    }
    std::fs::write(&csv, text).unwrap();
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &["--oauth-client", client.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}\n{}", std::fs::read_to_string(state.join("mailferry.log")).unwrap_or_default());
    for (user, n) in USERS.into_iter().zip(&counts) {
        assert_eq!(verify::assert_same(src.port, dst.port, user).await, *n);
    }
    // Each redemption used the token the one before it received (the endpoint refuses any other).
    let redeemed = |user: &str| -> Vec<String> {
        let rt = format!("rt.{user}.");
        let r = endpoint.requests();
        r.iter()
            .filter_map(|r| r["refresh_token"].as_str())
            .filter(|t| t.starts_with(&rt))
            .map(str::to_string)
            .collect()
    };
    for user in USERS {
        let used = redeemed(user);
        let expected: Vec<String> = (1..=used.len()).map(|n| format!("rt.{user}.{n}")).collect();
        assert!(used.len() >= 2 && used == expected, "{user}: {used:?}");
        let r = endpoint.requests();
        assert!(r.iter().filter(|r| r["grant_type"] == "refresh_token").all(|r| r["client_id"] == "mf-client"));
    }
    // New mail, then the final pass: it signs in with the newest kept token.
    corpus::add_to_inbox(src.port, USERS[0], 121, 0..5).await;
    let before = redeemed(USERS[0]).len();
    let job = out.split_whitespace().find(|w| w.starts_with("job-")).unwrap().trim_end_matches([':', ',']).to_string();
    let (code, out2, err2) = mailferry_in(&state, &["schedule", &job, "--pass", "final", "--at", "now"]);
    assert_eq!(code, 0, "{out2}{err2}");
    assert!(out2.contains("final pass: 2/2 mailboxes, 5 messages"), "{out2}");
    let after = redeemed(USERS[0]);
    assert!(after.len() > before && after.last() == Some(&format!("rt.{}.{}", USERS[0], after.len())), "{after:?}");
    assert!(logins(&src, USERS[0]).iter().filter(|l| l.contains("method=XOAUTH2")).count() >= 3);
    assert_eq!(verify::assert_same(src.port, dst.port, USERS[0]).await, counts[0] + 5);
    for secret in ["client-s3cret-value", "rt.user1@example.test"] {
        assert_nowhere(secret, &state, &format!("{out}{out2}"), &format!("{err}{err2}"));
    }
}
