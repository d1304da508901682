//! An access token and how it is read from a token endpoint's answer (RFC 6749 §5.1, errors §5.2).

use super::OAuthError;
use crate::model::Secret;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

/// A bearer token and when it stops working; and the new refresh token, when a refresh grant rotated it.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: Secret<String>,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: Option<Secret<String>>,
}

/// POST `form` to `url` and read the token, or the endpoint's refusal.
pub(super) async fn request(
    url: &str,
    form: String,
    ca_file: Option<&PathBuf>,
    now: DateTime<Utc>,
) -> Result<AccessToken, OAuthError> {
    let (status, body) = super::http::post_form(url, form, ca_file, Duration::from_secs(30)).await?;
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    // The endpoint's words go into reports and onto terminals: no control characters, at most 300 of them.
    let text = |name: &str| {
        let clean = |s: &str| s.chars().filter(|c| !c.is_control()).take(300).collect::<String>();
        json.get(name).and_then(|v| v.as_str()).map(clean)
    };
    if let Some(token) = json.get("access_token").and_then(|v| v.as_str()).filter(|_| status == 200) {
        if token.is_empty() || token.chars().any(|c| c.is_control()) {
            return Err(OAuthError::Endpoint { url: url.to_string(), detail: "an unusable access_token".into() });
        }
        let seconds = json.get("expires_in").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        let expires_at = now + chrono::Duration::seconds(seconds.unwrap_or(3600).clamp(0, 86_400));
        let usable = |t: &&str| !t.is_empty() && t.len() <= 4096 && !t.chars().any(|c| c.is_control());
        let refresh_token = json.get("refresh_token").and_then(|v| v.as_str()).filter(usable);
        let refresh_token = refresh_token.map(|t| Secret::new(t.to_string()));
        return Ok(AccessToken { token: Secret::new(token.to_string()), expires_at, refresh_token });
    }
    let error = text("error").unwrap_or_else(|| format!("http {status}"));
    Err(OAuthError::Refused { url: url.to_string(), error, description: text("error_description") })
}
