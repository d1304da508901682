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
use mailferry_tests::oauth_rig::{issuer_key, rsa_key};
use serde_json::json;
use std::path::Path;

const ISSUER: &str = "https://issuer.example.test";

/// The issuer's key (its public half where Dovecot looks for the default key) or a stranger's.
fn key(dir: &Path, name: &str, publish: bool) -> Secret<String> {
    let pem = if publish { std::fs::read_to_string(issuer_key(dir)).unwrap() } else { rsa_key(&dir.join(name)) };
    Secret::new(pem)
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
