//! Getting access tokens from a real token endpoint (npm oauth2-mock-server on 127.0.0.1): Google's
//! domain-wide delegation (a JWT assertion signed with the service account's key, `jwt-bearer` grant) and
//! Microsoft's app-only client credentials (with a client secret, or a certificate's client assertion). Each
//! assertion is checked here as the provider would: its signature verifies with the public key, and it carries the
//! right claims. Refusals keep the provider's error
//! code (what the operator must fix) and never quote a credential. A Google-style token then opens a mailbox on
//! Dovecot, which trusts the endpoint's key, over XOAUTH2.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::Utc;
use mailferry::imap::{self, BearerMechanism, BearerToken, Login};
use mailferry::model::Secret;
use mailferry::oauth::{ClientProof, GOOGLE_MAIL_SCOPE, MicrosoftApp, OAuthError, ServiceAccount};
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::dovecot::{Dovecot, OAuth2Keys, Options};
use mailferry_tests::token_endpoint::{EndpointOptions, TokenEndpoint};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A new RSA key (PKCS#8 PEM) and its public key, as files.
fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (private, public) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.pub.pem")));
    let run = |args: &[&str]| assert!(Command::new("openssl").args(args).status().unwrap().success(), "{args:?}");
    run(&["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private.to_str().unwrap()]);
    run(&["pkey", "-pubout", "-in", private.to_str().unwrap(), "-out", public.to_str().unwrap()]);
    (private, public)
}

fn service_account(private: &Path, token_uri: &str) -> ServiceAccount {
    let file = serde_json::json!({
        "type": "service_account", "client_email": "mailferry@acme-migration.iam.gserviceaccount.com",
        "private_key_id": "k1", "private_key": std::fs::read_to_string(private).unwrap(), "token_uri": token_uri,
    });
    ServiceAccount::from_json(&Secret::new(file.to_string())).unwrap()
}

/// Whether the JWT's signature verifies with the public key (openssl, independently of mailferry).
fn verifies(jwt: &str, public: &Path, dir: &Path) -> bool {
    let (input, signature) = jwt.rsplit_once('.').unwrap();
    std::fs::write(dir.join("input"), input).unwrap();
    std::fs::write(dir.join("signature"), B64URL.decode(signature).unwrap()).unwrap();
    Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(dir.join("signature"))
        .arg(dir.join("input"))
        .output()
        .unwrap()
        .status
        .success()
}

fn part(jwt: &str, i: usize) -> serde_json::Value {
    serde_json::from_slice(&B64URL.decode(jwt.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

#[tokio::test]
async fn google_delegation_sends_a_signed_assertion_with_the_right_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), "service-account");
    let endpoint = TokenEndpoint::start(EndpointOptions::default());
    let sa = service_account(&private, &endpoint.url("/token"));
    let now = Utc::now();
    let token = sa.token_for("ann@acme.example", GOOGLE_MAIL_SCOPE, now, None).await.unwrap();
    assert!(!token.token.expose().is_empty());
    assert_eq!((token.expires_at - now).num_seconds(), 3600);

    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
    let assertion = requests[0]["assertion"].as_str().unwrap();
    assert!(verifies(assertion, &public, dir.path()), "the assertion must verify with the service account's key");
    let (header, claims) = (part(assertion, 0), part(assertion, 1));
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str(), header["kid"].as_str()),
        (Some("RS256"), Some("JWT"), Some("k1"))
    );
    assert_eq!(claims["iss"], "mailferry@acme-migration.iam.gserviceaccount.com");
    assert_eq!(claims["sub"], "ann@acme.example");
    assert_eq!(claims["aud"], endpoint.url("/token"));
    assert_eq!(claims["scope"], GOOGLE_MAIL_SCOPE);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    let (_, other_public) = keypair(dir.path(), "someone-else");
    assert!(!verifies(assertion, &other_public, dir.path()), "the check itself can fail");
}

#[tokio::test]
async fn microsoft_app_only_uses_client_credentials_at_the_tenants_endpoint() {
    let path = "/contoso.onmicrosoft.com/oauth2/v2.0/token";
    let endpoint = TokenEndpoint::start(EndpointOptions { token_path: Some(path.into()), ..Default::default() });
    let app = MicrosoftApp {
        tenant: "contoso.onmicrosoft.com".into(),
        client_id: "6f1c-app".into(),
        proof: ClientProof::Secret(Secret::new("s3cr3t value&=".into())),
        authority: format!("http://127.0.0.1:{}", endpoint.port),
    };
    let token = app.token(Utc::now(), None).await.unwrap();
    assert!(!token.token.expose().is_empty());
    let r = &endpoint.requests()[0];
    assert_eq!((r["grant_type"].as_str(), r["client_id"].as_str()), (Some("client_credentials"), Some("6f1c-app")));
    assert_eq!(r["client_secret"], "s3cr3t value&=", "form-encoded and decoded intact");
    assert_eq!(r["scope"], "https://outlook.office365.com/.default");
}

/// An app that proves itself with a certificate sends a client assertion (RFC 7523 §2.2) instead of a secret: it
/// verifies with the certificate's public key, names the certificate by the same SHA-1 and SHA-256 thumbprints
/// openssl computes, and says who (`iss` = `sub` = the client id) and for which endpoint (`aud`), for ten minutes.
#[tokio::test]
async fn microsoft_app_with_a_certificate_sends_a_signed_client_assertion() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = keypair(dir.path(), "app");
    let cert = dir.path().join("app.crt");
    let run = |args: &[&str]| Command::new("openssl").args(args).output().unwrap();
    let key = private.to_str().unwrap();
    let made =
        run(&["req", "-x509", "-key", key, "-subj", "/CN=mailferry", "-days", "30", "-out", cert.to_str().unwrap()]);
    assert!(made.status.success(), "{made:?}");
    let path = "/contoso.onmicrosoft.com/oauth2/v2.0/token";
    let endpoint = TokenEndpoint::start(EndpointOptions { token_path: Some(path.into()), ..Default::default() });
    let file = serde_json::json!({"tenant": "contoso.onmicrosoft.com", "client_id": "6f1c-app",
        "certificate": std::fs::read_to_string(&cert).unwrap(), "private_key": std::fs::read_to_string(&private).unwrap(),
        "authority": format!("http://127.0.0.1:{}", endpoint.port)});
    let app = MicrosoftApp::from_json(&Secret::new(file.to_string())).unwrap();
    app.token(Utc::now(), None).await.unwrap();
    let r = &endpoint.requests()[0];
    assert_eq!((r["grant_type"].as_str(), r["client_id"].as_str()), (Some("client_credentials"), Some("6f1c-app")));
    assert!(r.get("client_secret").is_none(), "{r}");
    assert_eq!(r["client_assertion_type"], "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    let assertion = r["client_assertion"].as_str().unwrap();
    assert!(verifies(assertion, &public, dir.path()), "the assertion must verify with the certificate's key");
    let (header, claims) = (part(assertion, 0), part(assertion, 1));
    for (name, digest) in [("x5t", "-sha1"), ("x5t#S256", "-sha256")] {
        let out = run(&["x509", "-in", cert.to_str().unwrap(), "-noout", "-fingerprint", digest]);
        let hex: String = String::from_utf8_lossy(&out.stdout).split('=').nth(1).unwrap().trim().replace(':', "");
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        assert_eq!(header[name].as_str(), Some(B64URL.encode(bytes).as_str()), "{name}: {header}");
    }
    assert_eq!((claims["iss"].as_str(), claims["sub"].as_str()), (Some("6f1c-app"), Some("6f1c-app")));
    assert_eq!(claims["aud"], endpoint.url(path));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 600);
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 32), "{claims}");
    let half = serde_json::json!({"tenant": "contoso.onmicrosoft.com", "client_id": "6f1c-app",
        "certificate": std::fs::read_to_string(&cert).unwrap()});
    let e = MicrosoftApp::from_json(&Secret::new(half.to_string())).unwrap_err();
    assert!(e.to_string().contains("a certificate needs its private_key"), "{e}");
}

#[tokio::test]
async fn refusals_keep_the_providers_words_and_never_the_credential() {
    let dir = tempfile::tempdir().unwrap();
    let (private, _) = keypair(dir.path(), "service-account");
    for (fail, code) in [("unauthorized_client:401", "unauthorized_client"), ("invalid_grant", "invalid_grant")] {
        let endpoint = TokenEndpoint::start(EndpointOptions { fail: Some(fail.into()), ..Default::default() });
        let sa = service_account(&private, &endpoint.url("/token"));
        let e = sa.token_for("ann@acme.example", GOOGLE_MAIL_SCOPE, Utc::now(), None).await.unwrap_err();
        assert!(matches!(&e, OAuthError::Refused { error, .. } if error == code), "{e:?}");
        assert!(!e.is_retryable(), "a refusal is for the operator to fix: {e}");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("PRIVATE KEY") && !shown.contains(".eyJ"), "{shown}");
    }
    let nobody = format!("http://127.0.0.1:{}/token", mailferry_tests::free_port());
    let sa = service_account(&private, &nobody);
    let e = sa.token_for("ann@acme.example", GOOGLE_MAIL_SCOPE, Utc::now(), None).await.unwrap_err();
    assert!(e.is_retryable(), "nothing listening is worth trying again: {e}");
}

#[tokio::test]
async fn a_google_style_token_opens_the_mailbox_on_a_server_that_trusts_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (issuer_key, issuer_public) = keypair(dir.path(), "issuer");
    let (sa_key, _) = keypair(dir.path(), "service-account");
    let endpoint = TokenEndpoint::start(EndpointOptions { key: Some(issuer_key), ..Default::default() });
    let keys = dir.path().join("keys");
    std::fs::create_dir_all(keys.join("default/RS256")).unwrap();
    std::fs::copy(&issuer_public, keys.join("default/RS256/default")).unwrap();
    let d = Dovecot::start_with(Options {
        oauth2: Some(OAuth2Keys { keys, issuer: endpoint.issuer.clone(), domain_match: false }),
        ..Default::default()
    });
    let sa = service_account(&sa_key, &endpoint.url("/token"));
    let token = sa.token_for("user1@example.test", GOOGLE_MAIL_SCOPE, Utc::now(), None).await.unwrap();
    let login = Login::Bearer {
        user: "user1@example.test".into(),
        token: BearerToken::Fixed(token.token),
        mechanism: BearerMechanism::XOAuth2,
    };
    let mut s = imap::open(&plain_endpoint(d.port), &login).await.unwrap_or_else(|e| panic!("{e}\n{}", d.log()));
    assert_eq!(s.status("INBOX").await.unwrap().messages, Some(0));
    s.logout().await;
}
