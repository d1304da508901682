//! Migrations whose source takes no password, signed in to with XOAUTH2 for the pre-flight and for the copy
//! (the source is Dovecot with its oauth2 passdb, trusting the token issuer's key): rows that carry an access
//! token each (`auth=oauth2`); a Google-style job whose one service-account key (`--google-service-account`)
//! mints each mailbox's token at a real token endpoint (domain-wide delegation); a Microsoft-style job whose app
//! (`--microsoft-app`) gets one app-only token (its preset leaving out the folders that are not mail); and a folder
//! that outlives three tokens. Every copy is verified message by message, and no token, key or secret appears in
//! any log, report or email mailferry wrote, nor in its output.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::Utc;
use mailferry::model::Secret;
use mailferry::oauth::sign_rs256;
use mailferry_tests::dovecot::{Dovecot, OAuth2Keys, Options};
use mailferry_tests::oauth_rig::{
    assert_nowhere, fill_users, issuer_key, logins, microsoft_endpoint, migrate, provider_csv, service_account_file,
};
use mailferry_tests::token_endpoint::{EndpointOptions, TokenEndpoint};
use mailferry_tests::verify;
use serde_json::json;
use std::path::Path;

const USERS: [&str; 2] = ["user1@example.test", "user2@example.test"];

/// A source of `users` mailboxes that trusts tokens from `issuer` signed with the key under `dir`.
fn source(dir: &Path, users: u32, issuer: &str, domain_match: bool) -> Dovecot {
    let oauth2 = Some(OAuth2Keys { keys: dir.join("keys"), issuer: issuer.into(), domain_match });
    Dovecot::start_with(Options { users, oauth2, ..Default::default() })
}

/// Every login of mailferry's (all after the test's own, which come first) used XOAUTH2, at least `n` of them
/// per user.
fn signed_in_with_tokens(src: &Dovecot, users: &[&str], n: usize) {
    for user in users {
        let l = logins(src, user);
        let ours = l.iter().skip_while(|l| !l.contains("method=XOAUTH2"));
        assert!(ours.clone().count() >= n && ours.clone().all(|l| l.contains("method=XOAUTH2")), "{user}: {l:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_per_row_migrates_the_mailbox_and_stays_secret() {
    let dir = tempfile::tempdir().unwrap();
    let key = Secret::new(std::fs::read_to_string(issuer_key(dir.path())).unwrap());
    let issuer = "https://accounts.example.test";
    let (src, dst) = (source(dir.path(), 1, issuer, false), Dovecot::start());
    let n = fill_users(&src, 1, 120, 11).await[0];
    let now = Utc::now().timestamp();
    let claims = json!({"iss": issuer, "sub": USERS[0], "email": USERS[0], "iat": now, "exp": now + 3600});
    let token = sign_rs256(&claims, &key, None, &[]).unwrap();
    let csv = dir.path().join("batch.csv");
    let header = "destination,source_host,source_port,security,source_user,auth,oauth_provider,oauth_token";
    let row = format!("{},127.0.0.1,{},plain,{},oauth2,gmail,{}", USERS[0], src.port, USERS[0], token.expose());
    std::fs::write(&csv, format!("{header}\n{row}\n")).unwrap();
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &["--notify", "ops@example.test"]);
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    assert!(out.contains(&format!("initial pass: 1/1 mailboxes, {n} messages")), "{out}");
    // Read before the verifier logs in with the password: the pre-flight's and the copy's sign-ins.
    signed_in_with_tokens(&src, &USERS[..1], 2);
    assert_eq!(verify::assert_same(src.port, dst.port, USERS[0]).await, n);
    assert_nowhere(token.expose(), &state, &out, &err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_google_service_account_migrates_every_mailbox_with_its_own_token() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = TokenEndpoint::start(EndpointOptions { key: Some(issuer_key(dir.path())), ..Default::default() });
    let src = source(dir.path(), 2, &endpoint.issuer, false);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let counts = fill_users(&src, 2, 60, 30).await;
    let (key_file, sa_pem) = service_account_file(dir.path(), &endpoint.url("/token"));
    let csv = provider_csv(dir.path(), src.port, 2, "google");
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &["--google-service-account", key_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    let total: usize = counts.iter().sum();
    assert!(out.contains(&format!("initial pass: 2/2 mailboxes, {total} messages")), "{out}");
    signed_in_with_tokens(&src, &USERS, 2);
    // One jwt-bearer grant per sign-in, each asserting the mailbox it is for.
    let subjects: Vec<String> = endpoint
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(r["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
            let payload = r["assertion"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
            let claims: serde_json::Value = serde_json::from_slice(&B64URL.decode(payload).unwrap()).unwrap();
            claims["sub"].as_str().unwrap().to_string()
        })
        .collect();
    for user in USERS {
        assert!(subjects.iter().any(|s| s == user), "no token asked for {user}: {subjects:?}");
    }
    for (user, n) in USERS.into_iter().zip(counts) {
        assert_eq!(verify::assert_same(src.port, dst.port, user).await, n);
    }
    let key_body: String = sa_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_nowhere(&key_body[40..100], &state, &out, &err);
    assert_nowhere("PRIVATE KEY", &state, &out, &err);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegation_not_granted_is_refused_at_the_pre_flight_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let fail = Some("unauthorized_client:401".to_string());
    let endpoint = TokenEndpoint::start(EndpointOptions { fail, ..Default::default() });
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let (key_file, _) = service_account_file(dir.path(), &endpoint.url("/token"));
    let csv = provider_csv(dir.path(), src.port, 1, "google");
    let args = ["--google-service-account", key_file.to_str().unwrap()];
    let (code, out, err) = migrate(&dir.path().join("state"), &csv, dst.port, &args);
    assert_eq!(code, 1, "a refused row: {out}{err}");
    assert!(out.contains("line 2: user1@example.test") && out.contains("unauthorized_client"), "{out}");
    assert!(out.contains("add the service account's client ID to domain-wide delegation"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_app_migrates_every_mailbox_with_its_app_only_token() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = microsoft_endpoint(dir.path());
    let src = source(dir.path(), 2, &endpoint.issuer, true);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let counts = fill_users(&src, 2, 50, 50).await;
    // Microsoft 365's folders that are not mail: the preset leaves them out.
    let not_mail = ["Sync Issues", "Sync Issues/Conflicts", "Conversation History", "Outbox"];
    let mut s = mailferry_tests::corpus::login(src.port, USERS[0], "pass").await;
    for folder in not_mail {
        s.create(folder).await.unwrap();
        let m = mailferry_tests::corpus::Spec { seed: 9, messages: 1, large: vec![] }.message(0, 0);
        s.append_all(folder, &[m.into()]).await.unwrap();
    }
    s.logout().await;
    let app_file = dir.path().join("app.json");
    let app = json!({"tenant": "example.test", "client_id": "0f6e-migration", "client_secret": "app-s3cret-value",
                     "authority": format!("http://127.0.0.1:{}", endpoint.port)});
    std::fs::write(&app_file, app.to_string()).unwrap();
    let csv = provider_csv(dir.path(), src.port, 2, "microsoft");
    let state = dir.path().join("state");
    let (code, out, err) = migrate(&state, &csv, dst.port, &["--microsoft-app", app_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    signed_in_with_tokens(&src, &USERS, 2);
    let requests = endpoint.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let (grant, client) = (r["grant_type"].as_str(), r["client_id"].as_str());
        assert_eq!((grant, client), (Some("client_credentials"), Some("0f6e-migration")));
        assert_eq!(r["scope"], "https://outlook.office365.com/.default");
    }
    assert_eq!(verify::assert_same(src.port, dst.port, USERS[1]).await, counts[1]);
    let mut source = verify::digest(src.port, USERS[0], "pass").await;
    let dest = verify::digest(dst.port, USERS[0], "pass").await;
    for folder in not_mail {
        assert!(source.remove(folder).is_some_and(|m| !m.is_empty()) && !dest.contains_key(folder), "{folder}");
    }
    let diffs = verify::compare(&source, &dest, |p| p.to_string());
    assert!(diffs.is_empty() && verify::total(&dest) == counts[0], "{diffs:?}");
    assert_nowhere("app-s3cret-value", &state, &out, &err);
}

/// Tokens that live 3 seconds, a folder that takes longer than three of them (2,400 messages in batches of 10
/// across 20 ms of round-trip time, on a folder task of its own): the copy stops at a batch boundary before each
/// token ends, signs in again with a fresh one and goes on from the checkpoint; everything arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_outlives_three_tokens_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    let key = Some(issuer_key(dir.path()));
    let endpoint = TokenEndpoint::start(EndpointOptions { key, expires_in: Some(3), ..Default::default() });
    let (src, dst) = (source(dir.path(), 1, &endpoint.issuer, false), Dovecot::start());
    mailferry_tests::corpus::add_to_inbox(src.port, USERS[0], 77, 0..2400).await;
    let far = mailferry_tests::delay_proxy::DelayProxy::start(src.port, std::time::Duration::from_millis(10));
    let (key_file, _) = service_account_file(dir.path(), &endpoint.url("/token"));
    let csv = provider_csv(dir.path(), far.port, 1, "google");
    let state = dir.path().join("state");
    let args =
        ["--batch-messages", "10", "--small-folder", "0", "--google-service-account", key_file.to_str().unwrap()];
    let (code, out, err) = migrate(&state, &csv, dst.port, &args);
    assert_eq!(code, 0, "{out}{err}");
    let copy_logins = logins(&src, USERS[0]).iter().filter(|l| l.contains("method=XOAUTH2")).count();
    let grants = endpoint.requests().len();
    assert_eq!(verify::assert_same(src.port, dst.port, USERS[0]).await, 2400);
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap();
    let again = log.matches("signing in again with a fresh token").count();
    assert!(again >= 2, "the folder needed at least three tokens; it signed in again {again} times\n{log}");
    assert!(grants >= 4 && copy_logins >= 4, "{grants} token grants, {copy_logins} sign-ins (pre-flight and copy)");
}
