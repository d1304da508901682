//! Helpers for OAuth migrations in tests: RSA keys made with openssl, an issuer key a Dovecot trusts
//! (`DIR/keys/default/RS256/default`), a Google service-account key file, a provider CSV, `migrate` with the
//! usual arguments, and what a test checks afterwards (logins in the server's log, text files mailferry wrote).

use crate::dovecot::{Dovecot, OAuth2Keys, Options};
use crate::token_endpoint::{EndpointOptions, TokenEndpoint};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A new 2048-bit RSA key at `path` (PKCS#8 PEM); returns the PEM.
pub fn rsa_key(path: &Path) -> String {
    let ok = Command::new("openssl")
        .args(["genpkey", "-quiet", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(path)
        .status()
        .expect("run openssl");
    assert!(ok.success(), "openssl genpkey");
    std::fs::read_to_string(path).unwrap()
}

/// An issuer key at `DIR/issuer.pem` whose public half a Dovecot started with `keys: DIR/keys` trusts.
pub fn issuer_key(dir: &Path) -> PathBuf {
    let private = dir.join("issuer.pem");
    rsa_key(&private);
    let keys = dir.join("keys/default/RS256");
    std::fs::create_dir_all(&keys).unwrap();
    let ok = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(keys.join("default"))
        .status()
        .unwrap();
    assert!(ok.success(), "openssl pkey -pubout");
    private
}

/// A source of `users` mailboxes (password `pass` too) that trusts `endpoint`'s tokens, signed with the issuer
/// key under `dir` (see [`issuer_key`]); with `domain_match`, a token for any address of the user's domain.
pub fn trusting_source(dir: &Path, endpoint: &TokenEndpoint, users: u32, domain_match: bool) -> Dovecot {
    let oauth2 = Some(OAuth2Keys { keys: dir.join("keys"), issuer: endpoint.issuer.clone(), domain_match });
    Dovecot::start_with(Options { users, oauth2, ..Default::default() })
}

/// A token endpoint signing with a new issuer key under `dir`, with `options` otherwise.
pub fn signing_endpoint(dir: &Path, options: EndpointOptions) -> TokenEndpoint {
    TokenEndpoint::start(EndpointOptions { key: Some(issuer_key(dir)), ..options })
}

/// Microsoft's shape of endpoint: the tenant's path, and one token for the app (its `email` claim), valid for
/// every mailbox of the domain (use with `domain_match`).
pub fn microsoft_endpoint(dir: &Path) -> TokenEndpoint {
    signing_endpoint(
        dir,
        EndpointOptions {
            token_path: Some("/example.test/oauth2/v2.0/token".into()),
            email: Some("migration-app@example.test".into()),
            ..Default::default()
        },
    )
}

/// A Google service-account key file for `token_uri`; returns the file and its private key's PEM.
pub fn service_account_file(dir: &Path, token_uri: &str) -> (PathBuf, String) {
    let pem = rsa_key(&dir.join("sa.pem"));
    let file = dir.join("service-account.json");
    let sa = serde_json::json!({"type": "service_account", "client_email": "migrator@acme.iam.gserviceaccount.com",
                                "private_key_id": "k1", "private_key": pem, "token_uri": token_uri});
    std::fs::write(&file, sa.to_string()).unwrap();
    (file, pem)
}

/// Fill `user1…userN` on `src` with `per` messages each (seeds from `seed`); the counts.
pub async fn fill_users(src: &Dovecot, users: u32, per: usize, seed: u64) -> Vec<usize> {
    let mut counts = Vec::new();
    for n in 1..=users {
        let mut s = crate::corpus::login(src.port, &format!("user{n}@example.test"), "pass").await;
        let spec = crate::corpus::Spec { seed: seed + u64::from(n), messages: per, large: vec![] };
        counts.push(crate::corpus::fill(&mut s, &spec, 0..usize::MAX).await);
        s.logout().await;
    }
    counts
}

/// A migration CSV of `user1…userN` on 127.0.0.1:`port` (plain) with `auth`.
pub fn provider_csv(dir: &Path, port: u16, users: u32, auth: &str) -> PathBuf {
    let mut csv = String::from("destination,source_host,source_port,security,auth\n");
    for n in 1..=users {
        csv.push_str(&format!("user{n}@example.test,127.0.0.1,{port},plain,{auth}\n"));
    }
    let path = dir.join(format!("{auth}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

/// `mailferry migrate CSV` into the Dovecot on `dst_port` (master user admin), with `more` arguments.
pub fn migrate(state: &Path, csv: &Path, dst_port: u16, more: &[&str]) -> (i32, String, String) {
    let dest = format!("imap://admin@127.0.0.1:{dst_port}");
    let base =
        ["migrate", csv.to_str().unwrap(), "--dest", &dest, "--domain", "example.test", "--allow-private-sources"];
    crate::pipeline::mailferry_in(state, &[&base[..], more].concat())
}

/// Log lines of `user`'s logins on `d` so far.
pub fn logins(d: &Dovecot, user: &str) -> Vec<String> {
    let needle = format!("Login: user=<{user}>");
    d.log().lines().filter(|l| l.contains(&needle)).map(str::to_string).collect()
}

/// Every file under `dir` that is text mailferry wrote (logs, reports, emails): not the sealed store or the key.
pub fn written_text(dir: &Path) -> Vec<(String, String)> {
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

/// Assert that `secret` is in none of the output nor any file mailferry wrote under `state`.
pub fn assert_nowhere(secret: &str, state: &Path, out: &str, err: &str) {
    assert!(!out.contains(secret) && !err.contains(secret), "a secret in mailferry's output");
    let files = written_text(state);
    assert!(files.iter().any(|(p, _)| p.ends_with("mailferry.log")), "the log was written");
    for (path, text) in files {
        assert!(!text.contains(secret), "a secret is in {path}");
    }
}
