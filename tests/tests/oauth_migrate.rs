//! Migrations whose source takes no password, signed in to with XOAUTH2 for the pre-flight and for the copy
//! (the source is Dovecot with its oauth2 passdb, trusting the token issuer's key): rows that carry an access
//! token each (`auth=oauth2`), and a Google-style job whose rows say `auth=google` and whose one service-account
//! key (`--google-service-account`) mints each mailbox's token at a real token endpoint (domain-wide delegation).
//! Every copy is verified message by message, and no token or key appears in any log, report or email mailferry
//! wrote, nor in its output.

use chrono::Utc;
use mailferry::model::Secret;
use mailferry::oauth::sign_rs256;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, OAuth2Keys, Options};
use mailferry_tests::pipeline::mailferry_in;
use mailferry_tests::token_endpoint::{EndpointOptions, TokenEndpoint};
use mailferry_tests::verify;
use serde_json::json;
use std::path::Path;
use std::process::Command;

const ISSUER: &str = "https://accounts.example.test";

/// An RSA key whose public half the server trusts for `ISSUER`'s tokens.
fn issuer_key(dir: &Path) -> Secret<String> {
    let private = dir.join("issuer.pem");
    let keys = dir.join("keys/default/RS256");
    std::fs::create_dir_all(&keys).unwrap();
    let run = |args: &[&str]| assert!(Command::new("openssl").args(args).status().unwrap().success(), "{args:?}");
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private.to_str().unwrap()]);
    run(&["pkey", "-pubout", "-in", private.to_str().unwrap(), "-out", keys.join("default").to_str().unwrap()]);
    Secret::new(std::fs::read_to_string(private).unwrap())
}

/// Every file under `dir` that is text mailferry wrote (logs, reports, emails), not the sealed store or the key.
fn written_text(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            out.extend(written_text(&p));
        } else if !name.starts_with("state.sqlite") && name != "key" {
            out.push((p.display().to_string(), String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_per_row_migrates_the_mailbox_and_stays_secret() {
    let dir = tempfile::tempdir().unwrap();
    let key = issuer_key(dir.path());
    let src = Dovecot::start_with(Options {
        oauth2: Some(OAuth2Keys { keys: dir.path().join("keys"), issuer: ISSUER.into(), domain_match: false }),
        ..Default::default()
    });
    let dst = Dovecot::start();
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 12, messages: 120, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let now = Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "sub": "user1@example.test", "email": "user1@example.test", "iat": now, "exp": now + 3600});
    let token = sign_rs256(&claims, &key, None, &[]).unwrap();

    let csv = dir.path().join("batch.csv");
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,source_user,auth,oauth_provider,oauth_token\n\
             user1@example.test,127.0.0.1,{},plain,user1@example.test,oauth2,gmail,{}\n",
            src.port,
            token.expose()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let args = ["migrate", csv.to_str().unwrap(), "--dest", &dest, "--domain", "example.test"];
    let (code, out, err) =
        mailferry_in(&state, &[&args[..], &["--allow-private-sources", "--notify", "ops@example.test"]].concat());
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    assert!(out.contains(&format!("initial pass: 1/1 mailboxes, {n} messages")), "{out}");
    // Read before the verifier logs in with the password: the fill's login, then mailferry's (pre-flight, copy).
    let log = src.log();
    let logins: Vec<&str> = log.lines().filter(|l| l.contains("Login: user=<user1@example.test>")).collect();
    assert!(logins.len() >= 3, "the fill, the pre-flight and the copy logged in: {logins:?}");
    assert!(logins[1..].iter().all(|l| l.contains("method=XOAUTH2")), "mailferry signed in with the token: {logins:?}");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, n);

    let secret = token.expose();
    assert!(!out.contains(secret) && !err.contains(secret), "the token in mailferry's output");
    let files = written_text(&state);
    assert!(files.iter().any(|(p, _)| p.ends_with("mailferry.log")), "the log was written");
    for (path, text) in files {
        assert!(!text.contains(secret), "the token is in {path}");
    }
}

/// Log lines of `user`'s logins on `d` so far.
fn logins(d: &Dovecot, user: &str) -> Vec<String> {
    let needle = format!("Login: user=<{user}>");
    d.log().lines().filter(|l| l.contains(&needle)).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_google_service_account_migrates_every_mailbox_with_its_own_token() {
    let dir = tempfile::tempdir().unwrap();
    issuer_key(dir.path());
    let endpoint =
        TokenEndpoint::start(EndpointOptions { key: Some(dir.path().join("issuer.pem")), ..Default::default() });
    let src = Dovecot::start_with(Options {
        users: 2,
        oauth2: Some(OAuth2Keys {
            keys: dir.path().join("keys"),
            issuer: endpoint.issuer.clone(),
            domain_match: false,
        }),
        ..Default::default()
    });
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let mut counts = Vec::new();
    for (n, user) in ["user1@example.test", "user2@example.test"].iter().enumerate() {
        let mut s = corpus::login(src.port, user, "pass").await;
        counts.push(
            corpus::fill(&mut s, &Spec { seed: 30 + n as u64, messages: 60, large: vec![] }, 0..usize::MAX).await,
        );
        s.logout().await;
    }
    let sa_pem = dir.path().join("sa.pem");
    let run = |args: &[&str]| assert!(Command::new("openssl").args(args).status().unwrap().success(), "{args:?}");
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", sa_pem.to_str().unwrap()]);
    let sa_key = std::fs::read_to_string(&sa_pem).unwrap();
    let key_file = dir.path().join("service-account.json");
    let sa = json!({"type": "service_account", "client_email": "migrator@acme.iam.gserviceaccount.com",
                    "private_key_id": "k1", "private_key": sa_key, "token_uri": endpoint.url("/token")});
    std::fs::write(&key_file, sa.to_string()).unwrap();
    let csv = dir.path().join("google.csv");
    let row = |u: &str| format!("{u},127.0.0.1,{},plain,{u},google\n", src.port);
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,source_user,auth\n{}{}",
            row("user1@example.test"),
            row("user2@example.test")
        ),
    )
    .unwrap();

    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry_in(
        &state,
        &[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            &dest,
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--google-service-account",
            key_file.to_str().unwrap(),
            "--notify",
            "ops@example.test",
        ],
    );
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    let total: usize = counts.iter().sum();
    assert!(out.contains(&format!("initial pass: 2/2 mailboxes, {total} messages")), "{out}");
    for user in ["user1@example.test", "user2@example.test"] {
        let l = logins(&src, user);
        assert!(l.len() >= 3 && l[1..].iter().all(|l| l.contains("method=XOAUTH2")), "{user}: {l:?}");
    }
    // One jwt-bearer grant per sign-in, each asserting the mailbox it is for.
    let subjects: Vec<String> = endpoint
        .requests()
        .iter()
        .map(|r| {
            assert_eq!(r["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
            let payload = r["assertion"].as_str().unwrap().split('.').nth(1).unwrap().to_string();
            use base64::Engine;
            let claims: serde_json::Value =
                serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap())
                    .unwrap();
            claims["sub"].as_str().unwrap().to_string()
        })
        .collect();
    for user in ["user1@example.test", "user2@example.test"] {
        assert!(subjects.iter().any(|s| s == user), "no token asked for {user}: {subjects:?}");
    }
    for (user, n) in ["user1@example.test", "user2@example.test"].into_iter().zip(counts) {
        assert_eq!(verify::assert_same(src.port, dst.port, user).await, n);
    }
    let key_body: String = sa_key.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("");
    let probe = &key_body[40..100];
    assert!(!out.contains(probe) && !err.contains(probe), "the key in mailferry's output");
    for (path, text) in written_text(&state) {
        assert!(!text.contains(probe) && !text.contains("PRIVATE KEY"), "the service-account key is in {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delegation_not_granted_is_refused_at_the_pre_flight_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint =
        TokenEndpoint::start(EndpointOptions { fail: Some("unauthorized_client:401".into()), ..Default::default() });
    let src = Dovecot::start();
    let dst = Dovecot::start();
    let sa_pem = dir.path().join("sa.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", sa_pem.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(ok.success());
    let key_file = dir.path().join("service-account.json");
    let sa = json!({"type": "service_account", "client_email": "migrator@acme.iam.gserviceaccount.com",
                    "private_key": std::fs::read_to_string(&sa_pem).unwrap(), "token_uri": endpoint.url("/token")});
    std::fs::write(&key_file, sa.to_string()).unwrap();
    let csv = dir.path().join("google.csv");
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,auth\nuser1@example.test,127.0.0.1,{},plain,google\n",
            src.port
        ),
    )
    .unwrap();
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry_in(
        &dir.path().join("state"),
        &[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            &dest,
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--google-service-account",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "a refused row: {out}{err}");
    assert!(out.contains("line 2: user1@example.test") && out.contains("unauthorized_client"), "{out}");
    assert!(out.contains("add the service account's client ID to domain-wide delegation"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microsoft_app_migrates_every_mailbox_with_its_app_only_token() {
    let dir = tempfile::tempdir().unwrap();
    issuer_key(dir.path());
    let path = "/example.test/oauth2/v2.0/token";
    let endpoint = TokenEndpoint::start(EndpointOptions {
        key: Some(dir.path().join("issuer.pem")),
        token_path: Some(path.into()),
        email: Some("migration-app@example.test".into()),
        ..Default::default()
    });
    let src = Dovecot::start_with(Options {
        users: 2,
        oauth2: Some(OAuth2Keys { keys: dir.path().join("keys"), issuer: endpoint.issuer.clone(), domain_match: true }),
        ..Default::default()
    });
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let mut counts = Vec::new();
    for (n, user) in ["user1@example.test", "user2@example.test"].iter().enumerate() {
        let mut s = corpus::login(src.port, user, "pass").await;
        counts.push(
            corpus::fill(&mut s, &Spec { seed: 50 + n as u64, messages: 50, large: vec![] }, 0..usize::MAX).await,
        );
        s.logout().await;
    }
    let app_file = dir.path().join("app.json");
    let app = json!({"tenant": "example.test", "client_id": "0f6e-migration", "client_secret": "app-s3cret-value",
                     "authority": format!("http://127.0.0.1:{}", endpoint.port)});
    std::fs::write(&app_file, app.to_string()).unwrap();
    let csv = dir.path().join("m365.csv");
    let row = |u: &str| format!("{u},127.0.0.1,{},plain,microsoft\n", src.port);
    std::fs::write(
        &csv,
        format!(
            "destination,source_host,source_port,security,auth\n{}{}",
            row("user1@example.test"),
            row("user2@example.test")
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry_in(
        &state,
        &[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            &dest,
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--microsoft-app",
            app_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}\n{}", src.log());
    for user in ["user1@example.test", "user2@example.test"] {
        let l = logins(&src, user);
        assert!(l.len() >= 3 && l[1..].iter().all(|l| l.contains("method=XOAUTH2")), "{user}: {l:?}");
    }
    let requests = endpoint.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(
            (r["grant_type"].as_str(), r["client_id"].as_str()),
            (Some("client_credentials"), Some("0f6e-migration"))
        );
        assert_eq!(r["scope"], "https://outlook.office365.com/.default");
    }
    for (user, n) in ["user1@example.test", "user2@example.test"].into_iter().zip(counts) {
        assert_eq!(verify::assert_same(src.port, dst.port, user).await, n);
    }
    assert!(!out.contains("app-s3cret-value") && !err.contains("app-s3cret-value"));
    for (path, text) in written_text(&state) {
        assert!(!text.contains("app-s3cret-value"), "the client secret is in {path}");
    }
}

/// Tokens that live 3 seconds, a folder that takes longer than three of them (2,400 messages in batches of 10
/// across 20 ms of round-trip time, on a folder task of its own): the copy stops at a batch boundary before each
/// token ends, signs in again with a fresh one and goes on from the checkpoint; everything arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_outlives_three_tokens_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    issuer_key(dir.path());
    let endpoint = TokenEndpoint::start(EndpointOptions {
        key: Some(dir.path().join("issuer.pem")),
        expires_in: Some(3),
        ..Default::default()
    });
    let src = Dovecot::start_with(Options {
        oauth2: Some(OAuth2Keys {
            keys: dir.path().join("keys"),
            issuer: endpoint.issuer.clone(),
            domain_match: false,
        }),
        ..Default::default()
    });
    let dst = Dovecot::start();
    corpus::add_to_inbox(src.port, "user1@example.test", 77, 0..2400).await;
    let far = mailferry_tests::delay_proxy::DelayProxy::start(src.port, std::time::Duration::from_millis(10));
    let sa_pem = dir.path().join("sa.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", sa_pem.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(ok.success());
    let key_file = dir.path().join("service-account.json");
    let sa = json!({"type": "service_account", "client_email": "migrator@acme.iam.gserviceaccount.com",
                    "private_key": std::fs::read_to_string(&sa_pem).unwrap(), "token_uri": endpoint.url("/token")});
    std::fs::write(&key_file, sa.to_string()).unwrap();
    let csv = dir.path().join("google.csv");
    let header = "destination,source_host,source_port,security,auth";
    std::fs::write(&csv, format!("{header}\nuser1@example.test,127.0.0.1,{},plain,google\n", far.port)).unwrap();
    let state = dir.path().join("state");
    let dest = format!("imap://admin@127.0.0.1:{}", dst.port);
    let (code, out, err) = mailferry_in(
        &state,
        &[
            "migrate",
            csv.to_str().unwrap(),
            "--dest",
            &dest,
            "--domain",
            "example.test",
            "--allow-private-sources",
            "--batch-messages",
            "10",
            "--small-folder",
            "0",
            "--google-service-account",
            key_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verify::assert_same(src.port, dst.port, "user1@example.test").await, 2400);
    let copy_logins = logins(&src, "user1@example.test").iter().filter(|l| l.contains("method=XOAUTH2")).count();
    let grants = endpoint.requests().len();
    let log = std::fs::read_to_string(state.join("mailferry.log")).unwrap();
    let again = log.matches("signing in again with a fresh token").count();
    assert!(again >= 2, "the folder needed at least three tokens; it signed in again {again} times\n{log}");
    assert!(grants >= 4 && copy_logins >= 4, "{grants} token grants, {copy_logins} sign-ins (pre-flight and copy)");
}
