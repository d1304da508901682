//! A migration whose source takes no password: each row carries an OAuth 2.0 access token (`auth=oauth2`), and
//! the source (Dovecot with its oauth2 passdb, which trusts the token's issuer key) is signed in to with XOAUTH2
//! for the pre-flight and for the copy. The copy is verified message by message, and the token appears in no
//! log, report or email mailferry wrote, nor in its output.

use chrono::Utc;
use mailferry::model::Secret;
use mailferry::oauth::sign_rs256;
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, OAuth2Keys, Options};
use mailferry_tests::pipeline::mailferry_in;
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
        oauth2: Some(OAuth2Keys { keys: dir.path().join("keys"), issuer: ISSUER.into() }),
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
