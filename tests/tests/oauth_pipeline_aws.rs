//! Provider migrations through the AWS flavour (moto + Dovecot, the bridge playing the Lambda service): the
//! operator puts the job's credential file under `credentials/<tenant>/`, then the CSV with `auth=google` or
//! `auth=microsoft` whose upload metadata names that file. The upload function reads the file into the job (sealed
//! with each mailbox) and deletes it; the pre-flight and the copy function mint every token themselves at a real
//! token endpoint and sign in with XOAUTH2. The Google job's tokens live 3 seconds, so its big folder is copied
//! across at least three of them. Afterwards: every mailbox equal message by message; no key, secret or token in
//! the table, the bucket, the emails sent or anything logged at TRACE level.

use mailferry::model::Pass;
use mailferry_tests::aws_stack::Stack;
use mailferry_tests::delay_proxy::DelayProxy;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::{
    fill_users, issuer_key, logins, microsoft_endpoint, service_account_file, trusting_source,
};
use mailferry_tests::token_endpoint::{EndpointOptions, TokenEndpoint};
use mailferry_tests::{corpus, logs, moto, pipeline, verify};
use std::path::Path;
use std::time::Duration;

const USERS: [&str; 2] = ["user1@example.test", "user2@example.test"];
/// How every JWT begins (`{"alg":`): an access token or a signed assertion, never to be stored or logged.
const JWT: &str = "eyJhbGciOi";

/// The source (trusting `endpoint`'s tokens), the destination and a stack on moto writing into it.
async fn homes(dir: &Path, endpoint: &TokenEndpoint, domain_match: bool) -> (Dovecot, Dovecot, Stack) {
    let src = trusting_source(dir, endpoint, 2, domain_match);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let stack = Stack::start(dst.port).await;
    pipeline::own(&stack.bridge.deployment.deps, "acme", "example.test").await;
    (src, dst, stack)
}

/// Put the credential file and then the CSV (rows for both users on `port`, `auth`) naming it in its metadata.
async fn upload(stack: &Stack, port: u16, auth: &str, meta: &str, file: &[u8]) {
    let object = format!("credentials/acme/{auth}.json");
    let put = stack.s3.put_object().bucket(&stack.bucket);
    put.key(&object).body(file.to_vec().into()).send().await.unwrap();
    let mut csv = String::from("destination,source_host,source_port,security,auth\n");
    for user in USERS {
        csv.push_str(&format!("{user},127.0.0.1,{port},plain,{auth}\n"));
    }
    let start = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    let put = stack.s3.put_object().bucket(&stack.bucket).key(format!("migrations/acme/{auth}.csv"));
    let put = put.metadata("start-at", start).metadata("operator-email", "ops@example.test").metadata(meta, &object);
    put.body(csv.into_bytes().into()).send().await.unwrap();
}

/// Nothing stored, sent or logged contains any of `secrets`.
async fn assert_nowhere(stack: &Stack, secrets: &[&str]) {
    let mut places = stack.everything_stored().await;
    places.push(moto::sent_emails().await.to_string());
    places.push(logs::capture().text());
    for secret in secrets {
        for place in &places {
            assert!(!place.contains(secret), "a secret ({}…) in {}…", &secret[..8], &place[..place.len().min(200)]);
        }
    }
}

/// Every mailbox equal; mailferry signed in with XOAUTH2 only (the password logins are the test's fills).
async fn assert_migrated(src: &Dovecot, dst: &Dovecot, counts: &[usize], fills: [usize; 2]) {
    for ((user, n), fills) in USERS.into_iter().zip(counts).zip(fills) {
        let l = logins(src, user);
        let tokens = l.iter().filter(|l| l.contains("method=XOAUTH2")).count();
        assert!(tokens >= 2 && tokens + fills == l.len(), "{user}: {l:?}");
        assert_eq!(verify::assert_same(src.port, dst.port, user).await, *n);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_google_job_uploaded_to_s3_migrates_with_a_folder_outliving_three_tokens() {
    let logs = logs::capture();
    let dir = tempfile::tempdir().unwrap();
    let key = Some(issuer_key(dir.path()));
    let endpoint = TokenEndpoint::start(EndpointOptions { key, expires_in: Some(3), ..Default::default() });
    let (src, dst, mut stack) = homes(dir.path(), &endpoint, false).await;
    let mut counts = fill_users(&src, 2, 30, 90).await;
    corpus::add_to_inbox(src.port, USERS[0], 91, 0..2400).await;
    counts[0] += 2400;
    // Batches of 10 across 20 ms of round trip, the big INBOX as a folder task of its own: longer than 3 tokens.
    let far = DelayProxy::start(src.port, Duration::from_millis(10));
    stack.bridge.copy.deps.settings.copy.batch_max = 10;
    stack.bridge.copy.deps.settings.connections.small_folder = 100;
    let (key_file, pem) = service_account_file(dir.path(), &endpoint.url("/token"));
    upload(&stack, far.port, "google", "google-service-account", &std::fs::read(key_file).unwrap()).await;
    stack.bridge.run_until_notified(Pass::Initial).await;
    assert_migrated(&src, &dst, &counts, [2, 1]).await;
    let again = logs.text().matches("signing in again with a fresh token").count();
    assert!(again >= 2, "the big folder needed at least three tokens; it signed in again {again} times");
    let grants = endpoint.requests();
    assert!(grants.iter().all(|r| r["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"));
    assert!(stack.s3.get_object().bucket(&stack.bucket).key("credentials/acme/google.json").send().await.is_err());
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_nowhere(&stack, &[&body[40..100], "PRIVATE KEY", JWT]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_job_uploaded_to_s3_migrates_with_its_app_only_token() {
    logs::capture();
    let dir = tempfile::tempdir().unwrap();
    let endpoint = microsoft_endpoint(dir.path());
    let (src, dst, stack) = homes(dir.path(), &endpoint, true).await;
    let counts = fill_users(&src, 2, 40, 95).await;
    let app = serde_json::json!({"tenant": "example.test", "client_id": "0f6e-migration",
        "client_secret": "app-s3cret-value-aws", "authority": format!("http://127.0.0.1:{}", endpoint.port)});
    upload(&stack, src.port, "microsoft", "microsoft-app", app.to_string().as_bytes()).await;
    stack.bridge.run_until_notified(Pass::Initial).await;
    assert_migrated(&src, &dst, &counts, [1, 1]).await;
    for r in endpoint.requests() {
        assert_eq!(
            (r["grant_type"].as_str(), r["client_id"].as_str()),
            (Some("client_credentials"), Some("0f6e-migration"))
        );
    }
    assert_nowhere(&stack, &["app-s3cret-value-aws", JWT]).await;
}
