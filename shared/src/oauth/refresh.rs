//! A mailbox's own OAuth 2.0 grant for the odd row that has one: a refresh token (RFC 6749 §6) redeemed with the
//! job's OAuth client (its id, secret and token endpoint, given once per job). What is sealed with the mailbox is
//! both together, one JSON object, so the copy can get access tokens without the job's file; when the endpoint
//! rotates the refresh token, the new one replaces it (sealed again) for every later sign-in and pass.

use super::token::{AccessToken, request};
use super::{OAuthError, form};
use crate::model::Secret;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::path::PathBuf;

/// A refresh token and the client it was issued to.
#[derive(Clone, Debug)]
pub struct RefreshGrant {
    pub client_id: String,
    pub client_secret: Secret<String>,
    pub token_uri: String,
    pub refresh_token: Secret<String>,
}

/// Read `client_id`, `client_secret`, `token_uri` of a client file (or a sealed grant), without quoting it.
fn client(v: &Value) -> Result<(String, Secret<String>, String), OAuthError> {
    let bad = |why: &str| OAuthError::Credential(format!("not an OAuth client file: {why}"));
    let field = |name: &str| v.get(name).and_then(|f| f.as_str()).map(str::trim).filter(|s| !s.is_empty());
    let token_uri = field("token_uri").ok_or_else(|| bad("no token_uri"))?;
    if !(token_uri.starts_with("https://") || token_uri.starts_with("http://")) {
        return Err(bad("token_uri is not an http(s) URL"));
    }
    Ok((
        field("client_id").ok_or_else(|| bad("no client_id"))?.to_string(),
        Secret::new(field("client_secret").ok_or_else(|| bad("no client_secret"))?.to_string()),
        token_uri.to_string(),
    ))
}

impl RefreshGrant {
    /// Check a job's OAuth client file: `{"client_id": …, "client_secret": …, "token_uri": …}`.
    pub fn check_client(text: &Secret<String>) -> Result<(), OAuthError> {
        let v: Value = serde_json::from_str(text.expose())
            .map_err(|_| OAuthError::Credential("not an OAuth client file: not JSON".into()))?;
        client(&v).map(|_| ())
    }

    /// The grant of a row: the job's client file and the row's refresh token.
    pub fn new(client_file: &Secret<String>, refresh_token: Secret<String>) -> Result<RefreshGrant, OAuthError> {
        let v: Value = serde_json::from_str(client_file.expose())
            .map_err(|_| OAuthError::Credential("not an OAuth client file: not JSON".into()))?;
        let (client_id, client_secret, token_uri) = client(&v)?;
        if refresh_token.expose().chars().any(char::is_control) {
            return Err(OAuthError::Credential("the refresh token holds a control character".into()));
        }
        Ok(RefreshGrant { client_id, client_secret, token_uri, refresh_token })
    }

    /// Read a sealed grant (see [`RefreshGrant::to_json`]).
    pub fn from_json(text: &Secret<String>) -> Result<RefreshGrant, OAuthError> {
        let v: Value = serde_json::from_str(text.expose())
            .map_err(|_| OAuthError::Credential("not a refresh grant: not JSON".into()))?;
        let token = v.get("refresh_token").and_then(Value::as_str).filter(|t| !t.is_empty());
        let token = token.ok_or_else(|| OAuthError::Credential("not a refresh grant: no refresh_token".into()))?;
        let (client_id, client_secret, token_uri) = client(&v)?;
        Ok(RefreshGrant { client_id, client_secret, token_uri, refresh_token: Secret::new(token.to_string()) })
    }

    /// What is sealed with the mailbox.
    pub fn to_json(&self) -> Secret<String> {
        let v = json!({"client_id": self.client_id, "client_secret": self.client_secret.expose(),
                       "token_uri": self.token_uri, "refresh_token": self.refresh_token.expose()});
        Secret::new(v.to_string())
    }

    /// An access token; its `refresh_token`, when the endpoint sent a different one, is the rotated grant's.
    pub async fn token(&self, now: DateTime<Utc>, ca_file: Option<&PathBuf>) -> Result<AccessToken, OAuthError> {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", self.refresh_token.expose()),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
        ]);
        let mut t = request(&self.token_uri, body, ca_file, now).await?;
        t.refresh_token = t.refresh_token.filter(|r| r.expose() != self.refresh_token.expose());
        Ok(t)
    }
}
