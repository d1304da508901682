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
    // The endpoint's words go into reports and onto terminals.
    let text = |name: &str| json.get(name).and_then(|v| v.as_str()).map(|s| crate::text::printable(s, 300));
    // A token goes into a SASL exchange or a sealed store: it must be one, not anything the endpoint sent.
    let token = |name: &str| json.get(name).and_then(|v| v.as_str()).filter(|t| usable(t));
    if status == 200 && json.get("access_token").and_then(|v| v.as_str()).is_some() {
        let Some(access) = token("access_token") else {
            return Err(OAuthError::Endpoint { url: url.to_string(), detail: "an unusable access_token".into() });
        };
        let seconds = json.get("expires_in").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        let expires_at = now + chrono::Duration::seconds(seconds.unwrap_or(3600).clamp(0, 86_400));
        let refresh_token = token("refresh_token").map(|t| Secret::new(t.to_string()));
        return Ok(AccessToken { token: Secret::new(access.to_string()), expires_at, refresh_token });
    }
    let error = text("error").unwrap_or_else(|| format!("http {status}"));
    Err(OAuthError::Refused { url: url.to_string(), error, description: text("error_description") })
}

/// Whether a token the endpoint sent can be used: not empty, at most 16 KB, no control character.
fn usable(token: &str) -> bool {
    !token.is_empty() && token.len() <= 16 << 10 && !token.chars().any(char::is_control)
}
