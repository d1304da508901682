//! Signed session cookies and CSRF tokens for the control panel. The cookie holds who signed in, for which
//! tenants, until when, and a random nonce, signed with HMAC-SHA256 under a key of the deployment (a file in the
//! state directory on one machine): nothing is stored server-side, and a cookie changed by one bit is refused.
//! The CSRF token of a session is an HMAC of its nonce under the same key, sent in every form and checked on
//! every POST (with `SameSite=Strict` as a second wall).

use crate::model::TenantId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use ring::hmac;
use serde::{Deserialize, Serialize};

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// The cookie's name.
pub const COOKIE: &str = "mf_session";

/// The key sessions are signed with.
#[derive(Clone)]
pub struct SessionKey(hmac::Key);

impl SessionKey {
    /// A key from 32 or more secret bytes.
    pub fn new(secret: &[u8]) -> SessionKey {
        SessionKey(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    fn sign(&self, data: &[u8]) -> String {
        B64.encode(hmac::sign(&self.0, data).as_ref())
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(…)")
    }
}

/// A signed-in operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub email: String,
    pub tenants: Vec<TenantId>,
    pub expires: DateTime<Utc>,
    pub nonce: String,
}

impl Session {
    /// A new session for `email` acting for `tenants`, from `now`.
    pub fn start(email: &str, tenants: Vec<TenantId>, now: DateTime<Utc>) -> Session {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        Session { email: email.to_string(), tenants, expires: now + chrono::Duration::hours(SESSION_HOURS), nonce }
    }

    /// The cookie value: the session as base64url JSON, a dot, its signature.
    pub fn to_cookie(&self, key: &SessionKey) -> String {
        let body = B64.encode(serde_json::to_vec(self).unwrap_or_default());
        let mac = key.sign(body.as_bytes());
        format!("{body}.{mac}")
    }

    /// The session a cookie value carries, if its signature holds and it has not expired.
    pub fn from_cookie(value: &str, key: &SessionKey, now: DateTime<Utc>) -> Option<Session> {
        let (body, mac) = value.split_once('.')?;
        let mac = B64.decode(mac).ok()?;
        hmac::verify(&key.0, body.as_bytes(), &mac).ok()?;
        let session: Session = serde_json::from_slice(&B64.decode(body).ok()?).ok()?;
        (session.expires > now).then_some(session)
    }

    /// This session's CSRF token.
    pub fn csrf(&self, key: &SessionKey) -> String {
        key.sign(format!("csrf:{}", self.nonce).as_bytes())
    }

    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_ok(&self, key: &SessionKey, token: &str) -> bool {
        let Ok(mac) = B64.decode(token) else { return false };
        hmac::verify(&key.0, format!("csrf:{}", self.nonce).as_bytes(), &mac).is_ok()
    }

    /// Whether the operator acts for `tenant`.
    pub fn may_see(&self, tenant: &TenantId) -> bool {
        self.tenants.contains(tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_signed_and_expire() {
        let (key, other) = (SessionKey::new(&[7; 32]), SessionKey::new(&[8; 32]));
        let now = Utc::now();
        let s = Session::start("ops@acme.test", vec![TenantId::new("acme").unwrap()], now);
        let cookie = s.to_cookie(&key);
        assert_eq!(Session::from_cookie(&cookie, &key, now), Some(s.clone()));
        assert_eq!(Session::from_cookie(&cookie, &other, now), None, "another key");
        assert_eq!(Session::from_cookie(&cookie, &key, now + chrono::Duration::hours(13)), None, "expired");
        let forged = Session { tenants: vec![TenantId::new("other").unwrap()], ..s.clone() }.to_cookie(&other);
        let spliced = format!("{}.{}", forged.split_once('.').unwrap().0, cookie.split_once('.').unwrap().1);
        assert_eq!(Session::from_cookie(&spliced, &key, now), None, "a changed body");
        assert!(s.csrf_ok(&key, &s.csrf(&key)) && !s.csrf_ok(&key, "x") && !s.csrf_ok(&other, &s.csrf(&key)));
    }
}
