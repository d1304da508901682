//! SASL with OAuth 2.0 bearer tokens (RFC 6750): XOAUTH2, the mechanism of Google and Microsoft, and
//! OAUTHBEARER (RFC 7628). A refused token is answered by the server with a challenge carrying a JSON error; the
//! client must answer that challenge (XOAUTH2: an empty line; OAUTHBEARER: a lone %x01, RFC 7628 §3.2.3) before
//! the tagged NO arrives, or the session hangs.

use super::response::{Resp, completion};
use super::{ImapError, Session};
use crate::model::Secret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::sync::Arc;
use std::time::Duration;

/// Which SASL mechanism carries the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerMechanism {
    /// `user=U^Aauth=Bearer T^A^A` (Google, Microsoft).
    XOAuth2,
    /// `n,a=U,^Aauth=Bearer T^A^A` (RFC 7628).
    OAuthBearer,
}

impl BearerMechanism {
    /// The mechanism's name, as in `AUTH=…` and `AUTHENTICATE …`.
    pub fn name(self) -> &'static str {
        match self {
            BearerMechanism::XOAuth2 => "XOAUTH2",
            BearerMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The client's first message, base64.
    fn initial_response(self, user: &str, token: &Secret<String>) -> Secret<String> {
        let raw = match self {
            BearerMechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose()),
            BearerMechanism::OAuthBearer => {
                format!("n,a={},\x01auth=Bearer {}\x01\x01", gs2_name(user), token.expose())
            }
        };
        Secret::new(B64.encode(raw))
    }

    /// What answers the server's error challenge.
    fn abort(self) -> &'static str {
        match self {
            BearerMechanism::XOAuth2 => "",
            BearerMechanism::OAuthBearer => "AQ==",
        }
    }
}

/// Where a sign-in's access token comes from: given once, or asked for at every sign-in (so that a session opened
/// again after a token ran out gets a fresh one).
#[derive(Clone, Debug)]
pub enum BearerToken {
    Fixed(Secret<String>),
    Minted(Arc<dyn TokenSource>),
}

/// Something that hands out a current access token and how long it stays valid (a cache in front of a token
/// endpoint). Errors say what the operator must do; a retryable one is a connection-level error.
#[async_trait::async_trait]
pub trait TokenSource: Send + Sync + std::fmt::Debug {
    async fn token(&self) -> Result<(Secret<String>, Option<Duration>), ImapError>;

    /// A server ended a session signed in with `token` because it expired: do not hand it out again (a source
    /// whose clock thought it current would otherwise give the same one to the next sign-in).
    async fn rejected(&self, _token: &Secret<String>) {}
}

impl BearerToken {
    async fn current(&self) -> Result<(Secret<String>, Option<Duration>), ImapError> {
        match self {
            BearerToken::Fixed(t) => Ok((t.clone(), None)),
            BearerToken::Minted(source) => source.token().await,
        }
    }
}

impl Session {
    /// Whether the access token this session signed in with ends soon: within a third of its life or a minute,
    /// whichever is less. Work stops at the next batch boundary and signs in again with a fresh token, before a
    /// provider ends the session (Microsoft's `BYE … AccessTokenExpired`). Never true for password sign-ins.
    pub fn sign_in_ends_soon(&self) -> bool {
        self.sign_in_renew_at().is_some_and(|at| tokio::time::Instant::now() >= at)
    }

    /// When to sign in again (see [`Session::sign_in_ends_soon`]); `None` for sign-ins that do not end.
    pub fn sign_in_renew_at(&self) -> Option<tokio::time::Instant> {
        self.signed_in
            .map(|(from, until)| until - (until.saturating_duration_since(from) / 3).min(Duration::from_secs(60)))
    }
}

/// A user name in a GS2 header: `,` and `=` escaped (RFC 5801 §4).
fn gs2_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// Log in with an OAuth 2.0 access token over `mechanism`, or over the other one when the server offers only
/// that. The user and the token may hold no control characters (they would end the SASL fields early); a server
/// offering neither is refused before anything is sent.
pub(crate) async fn bearer(
    s: &mut Session,
    user: &str,
    token: &BearerToken,
    mechanism: BearerMechanism,
) -> Result<(), ImapError> {
    let (current, lifetime) = token.current().await?;
    let issued = tokio::time::Instant::now();
    signed_in(s, user, &current, mechanism).await?;
    s.signed_in = lifetime.map(|l| (issued, issued + l));
    if let BearerToken::Minted(source) = token {
        s.signed_in_with = Some((source.clone(), current));
    }
    Ok(())
}

async fn signed_in(
    s: &mut Session,
    user: &str,
    token: &Secret<String>,
    mechanism: BearerMechanism,
) -> Result<(), ImapError> {
    if user.chars().chain(token.expose().chars()).any(|c| c.is_control()) {
        return Err(ImapError::Unsafe { what: "a control character in an OAuth user name or token" });
    }
    let other = match mechanism {
        BearerMechanism::XOAuth2 => BearerMechanism::OAuthBearer,
        BearerMechanism::OAuthBearer => BearerMechanism::XOAuth2,
    };
    let offered = (s.has(&format!("AUTH={}", mechanism.name())), s.has(&format!("AUTH={}", other.name())));
    let mechanism = match offered {
        (true, _) => mechanism,
        (false, true) => other,
        (false, false) => {
            return Err(ImapError::Unsupported {
                what: "OAuth 2.0 sign-in (the server offers neither AUTH=XOAUTH2 nor AUTH=OAUTHBEARER)".into(),
            });
        }
    };
    let response = mechanism.initial_response(user, token);
    let tag = s.tag();
    if s.has("SASL-IR") {
        s.write(format!("{tag} AUTHENTICATE {} {}\r\n", mechanism.name(), response.expose()).as_bytes()).await?;
    } else {
        s.write(format!("{tag} AUTHENTICATE {}\r\n", mechanism.name()).as_bytes()).await?;
        loop {
            match s.next().await? {
                Resp::Continue => break,
                Resp::Untagged(_) => continue,
                Resp::Tagged { status, code, text, .. } => {
                    return completion("AUTHENTICATE", status, code, text).map(|_| ());
                }
            }
        }
        s.write(format!("{}\r\n", response.expose()).as_bytes()).await?;
    }
    let mut challenged = false;
    loop {
        match s.next().await? {
            Resp::Untagged(_) => continue,
            // The error challenge: answered once, then the server's NO follows.
            Resp::Continue if !challenged => {
                challenged = true;
                s.write(format!("{}\r\n", mechanism.abort()).as_bytes()).await?;
            }
            Resp::Continue => return Err(ImapError::protocol("a second challenge during a bearer-token sign-in")),
            Resp::Tagged { tag: t, status, code, text } if t == tag => {
                return completion("AUTHENTICATE", status, code, text).map(|_| ());
            }
            Resp::Tagged { tag: t, .. } => {
                return Err(ImapError::protocol(format!("a completion for unknown tag {t} during AUTHENTICATE")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_responses_follow_each_mechanism() {
        let token = Secret::new("ya29.tok".to_string());
        let decode = |m: BearerMechanism, user: &str| {
            String::from_utf8(B64.decode(m.initial_response(user, &token).expose()).unwrap()).unwrap()
        };
        assert_eq!(
            decode(BearerMechanism::XOAuth2, "ann@example.com"),
            "user=ann@example.com\x01auth=Bearer ya29.tok\x01\x01"
        );
        assert_eq!(
            decode(BearerMechanism::OAuthBearer, "a,b=c@example.com"),
            "n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer ya29.tok\x01\x01"
        );
    }
}
