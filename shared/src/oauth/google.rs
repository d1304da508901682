//! Google Workspace with domain-wide delegation: one service-account key for the whole domain. For each mailbox a
//! JWT (RS256; `iss` = the service account, `sub` = the mailbox, `aud` = the key file's `token_uri`, `scope`,
//! `iat`, `exp` one hour later) is exchanged at `token_uri` with the `jwt-bearer` grant (RFC 7523).

use super::token::{AccessToken, request};
use super::{OAuthError, form, sign_rs256};
use crate::model::Secret;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::path::PathBuf;

/// Full IMAP access (Gmail's `https://mail.google.com/`); `…/auth/gmail.imap_admin` also works under delegation.
pub const GOOGLE_MAIL_SCOPE: &str = "https://mail.google.com/";

/// The service-account key file Google hands out (only what the grant needs).
#[derive(Clone, Debug)]
pub struct ServiceAccount {
    pub client_email: String,
    pub private_key: Secret<String>,
    pub private_key_id: Option<String>,
    pub token_uri: String,
}

impl ServiceAccount {
    /// Read the key file's JSON. Refuses what is not a service-account key, without quoting it.
    pub fn from_json(text: &Secret<String>) -> Result<ServiceAccount, OAuthError> {
        let bad = |why: &str| OAuthError::Credential(format!("not a Google service-account key: {why}"));
        let v: serde_json::Value = serde_json::from_str(text.expose()).map_err(|_| bad("not JSON"))?;
        let field = |name: &str| v.get(name).and_then(|f| f.as_str()).filter(|s| !s.is_empty());
        if field("type").is_some_and(|t| t != "service_account") {
            return Err(bad("its type is not service_account"));
        }
        Ok(ServiceAccount {
            client_email: field("client_email").ok_or_else(|| bad("no client_email"))?.to_string(),
            private_key: Secret::new(field("private_key").ok_or_else(|| bad("no private_key"))?.to_string()),
            private_key_id: field("private_key_id").map(str::to_string),
            token_uri: field("token_uri").unwrap_or("https://oauth2.googleapis.com/token").to_string(),
        })
    }

    /// The signed assertion for `mailbox` (valid one hour from `now`).
    pub fn assertion(&self, mailbox: &str, scope: &str, now: DateTime<Utc>) -> Result<Secret<String>, OAuthError> {
        let iat = now.timestamp();
        let claims = json!({"iss": self.client_email, "sub": mailbox, "aud": self.token_uri, "scope": scope,
                            "iat": iat, "exp": iat + 3600});
        Ok(sign_rs256(&claims, &self.private_key, self.private_key_id.as_deref(), &[])?)
    }

    /// An access token for `mailbox`.
    pub async fn token_for(
        &self,
        mailbox: &str,
        scope: &str,
        now: DateTime<Utc>,
        ca_file: Option<&PathBuf>,
    ) -> Result<AccessToken, OAuthError> {
        let assertion = self.assertion(mailbox, scope, now)?;
        let body =
            form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion.expose())]);
        request(&self.token_uri, body, ca_file, now).await
    }
}
