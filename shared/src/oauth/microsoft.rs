//! Microsoft 365 app-only access: an Entra app with `IMAP.AccessAsApp` (admin consent) and FullAccess on each
//! mailbox for its service principal gets one token for all mailboxes with the client-credentials grant at
//! `{authority}/{tenant}/oauth2/v2.0/token`; each mailbox then signs in with XOAUTH2 naming itself as the user.

use super::token::{AccessToken, request};
use super::{OAuthError, form};
use crate::model::Secret;
use chrono::{DateTime, Utc};
use std::path::PathBuf;

/// The scope of IMAP access for an app.
pub const MICROSOFT_IMAP_SCOPE: &str = "https://outlook.office365.com/.default";

/// The app's credentials (the client secret form; a certificate is the other).
#[derive(Clone, Debug)]
pub struct MicrosoftApp {
    pub tenant: String,
    pub client_id: String,
    pub client_secret: Secret<String>,
    /// `https://login.microsoftonline.com` unless a sovereign cloud needs another.
    pub authority: String,
}

impl MicrosoftApp {
    /// Read the app file's JSON: `tenant`, `client_id`, `client_secret`, optional `authority`. Refuses what is
    /// not one, without quoting it.
    pub fn from_json(text: &Secret<String>) -> Result<MicrosoftApp, OAuthError> {
        let bad = |why: &str| OAuthError::Credential(format!("not a Microsoft app file: {why}"));
        let v: serde_json::Value = serde_json::from_str(text.expose()).map_err(|_| bad("not JSON"))?;
        let field = |name: &str| v.get(name).and_then(|f| f.as_str()).map(str::trim).filter(|s| !s.is_empty());
        let tenant = field("tenant").or_else(|| field("tenant_id")).ok_or_else(|| bad("no tenant"))?;
        if !tenant.chars().all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)) {
            return Err(bad("the tenant is not a tenant ID or domain"));
        }
        Ok(MicrosoftApp {
            tenant: tenant.to_string(),
            client_id: field("client_id").ok_or_else(|| bad("no client_id"))?.to_string(),
            client_secret: Secret::new(field("client_secret").ok_or_else(|| bad("no client_secret"))?.to_string()),
            authority: field("authority").unwrap_or("https://login.microsoftonline.com").to_string(),
        })
    }

    /// The tenant's token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority.trim_end_matches('/'), self.tenant)
    }

    /// An app-only access token.
    pub async fn token(&self, now: DateTime<Utc>, ca_file: Option<&PathBuf>) -> Result<AccessToken, OAuthError> {
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("scope", MICROSOFT_IMAP_SCOPE),
        ]);
        request(&self.token_url(), body, ca_file, now).await
    }
}
