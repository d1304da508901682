//! Bearer-token sign-in against a real server: Dovecot's oauth2 passdb validates JWTs locally against a public
//! key, as Google's and Microsoft's IMAP servers validate their access tokens. A token mailferry signs with RS256
//! opens the mailbox over XOAUTH2 and over OAUTHBEARER; a token for another user, an expired one, or one signed
//! with another key is refused (the server's error challenge answered, so the refusal arrives instead of a hang),
//! and no refusal quotes the token.

use mailferry::imap::{self, BearerMechanism, BearerToken, ImapError, Login};
use mailferry::model::Secret;
use mailferry::oauth::sign_rs256;
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::dovecot::{Dovecot, OAuth2Keys, Options};
use serde_json::json;
use std::path::Path;
use std::process::Command;

const ISSUER: &str = "https://issuer.example.test";

/// A new RSA key: its PKCS#8 PEM, and its public key written where Dovecot looks for the default key.
fn key(dir: &Path, name: &str, publish: bool) -> Secret<String> {
    let private = dir.join(format!("{name}.pem"));
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&private)
        .status()
        .unwrap();
    assert!(ok.success(), "openssl genpkey");
    if publish {
        let public = dir.join("keys/default/RS256");
        std::fs::create_dir_all(&public).unwrap();
        let ok = Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(public.join("default"))
            .status()
            .unwrap();
        assert!(ok.success(), "openssl pkey -pubout");
    }
    Secret::new(std::fs::read_to_string(private).unwrap())
}

fn token(key: &Secret<String>, email: &str, expires_in: i64) -> Secret<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "sub": email, "email": email, "iat": now, "exp": now + expires_in});
    sign_rs256(&claims, key, None, &[]).unwrap()
}

fn server(dir: &Path) -> Dovecot {
    let oauth2 = Some(OAuth2Keys { keys: dir.join("keys"), issuer: ISSUER.into(), domain_match: false });
    Dovecot::start_with(Options { oauth2, ..Default::default() })
}

async fn sign_in(d: &Dovecot, user: &str, token: &Secret<String>, mechanism: BearerMechanism) -> Result<(), ImapError> {
    let login = Login::Bearer { user: user.into(), token: BearerToken::Fixed(token.clone()), mechanism };
    let mut s = imap::open(&plain_endpoint(d.port), &login).await?;
    let st = s.status("INBOX").await?;
    assert_eq!(st.messages, Some(0), "the signed-in session reads the user's INBOX");
    s.logout().await;
    Ok(())
}

#[tokio::test]
async fn a_signed_token_opens_the_mailbox_over_both_mechanisms() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "issuer", true);
    let d = server(dir.path());
    let t = token(&k, "user1@example.test", 600);
    for mechanism in [BearerMechanism::XOAuth2, BearerMechanism::OAuthBearer] {
        sign_in(&d, "user1@example.test", &t, mechanism)
            .await
            .unwrap_or_else(|e| panic!("{mechanism:?}: {e}\n{}", d.log()));
    }
}

#[tokio::test]
async fn wrong_expired_or_foreign_tokens_are_refused_without_quoting_them() {
    let dir = tempfile::tempdir().unwrap();
    let k = key(dir.path(), "issuer", true);
    let other = key(dir.path(), "stranger", false);
    let cases = [
        ("a token for another user", token(&k, "user2@example.test", 600)),
        ("an expired token", token(&k, "user1@example.test", -600)),
        ("a token signed with another key", token(&other, "user1@example.test", 600)),
    ];
    for (what, t) in cases {
        for mechanism in [BearerMechanism::XOAuth2, BearerMechanism::OAuthBearer] {
            // Each refusal on its own server: Dovecot delays every failed login after the first per client address.
            let d = server(dir.path());
            let e = sign_in(&d, "user1@example.test", &t, mechanism).await.expect_err(what);
            assert!(matches!(e, ImapError::Auth { .. }), "{what} over {mechanism:?}: {e:?}");
            assert!(!e.to_string().contains(t.expose()) && !format!("{e:?}").contains(t.expose()), "{what}: {e}");
        }
    }
}
