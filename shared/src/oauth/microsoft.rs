//! Microsoft 365 app-only access: an Entra app with `IMAP.AccessAsApp` (admin consent) and FullAccess on each
//! mailbox for its service principal gets one token for all mailboxes with the client-credentials grant at
//! `{authority}/{tenant}/oauth2/v2.0/token`; each mailbox then signs in with XOAUTH2 naming itself as the user.
//! The app proves itself with a client secret or with a certificate: a client assertion (RFC 7523 §2.2), a JWT
//! signed with the certificate's private key whose header names the certificate by its thumbprints.

use super::token::{AccessToken, request};
use super::{OAuthError, form, sign_rs256};
use crate::model::Secret;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64URL};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::path::PathBuf;

/// The scope of IMAP access for an app.
pub const MICROSOFT_IMAP_SCOPE: &str = "https://outlook.office365.com/.default";

/// How the app proves who it is.
#[derive(Clone, Debug)]
pub enum ClientProof {
    /// A client secret (the app's "Certificates & secrets" page).
    Secret(Secret<String>),
    /// A certificate uploaded to the app, and its private key (PKCS#8 PEM) that signs each client assertion.
    Certificate { certificate_der: Vec<u8>, private_key: Secret<String> },
}

/// The app's credentials.
#[derive(Clone, Debug)]
pub struct MicrosoftApp {
    pub tenant: String,
    pub client_id: String,
    pub proof: ClientProof,
    /// `https://login.microsoftonline.com` unless a sovereign cloud needs another.
    pub authority: String,
}

impl MicrosoftApp {
    /// Read the app file's JSON: `tenant`, `client_id`, then `client_secret` or `certificate` + `private_key`
    /// (PEM), optional `authority`. Refuses what is not one, without quoting it.
    pub fn from_json(text: &Secret<String>) -> Result<MicrosoftApp, OAuthError> {
        let bad = |why: &str| OAuthError::Credential(format!("not a Microsoft app file: {why}"));
        let v: serde_json::Value = serde_json::from_str(text.expose()).map_err(|_| bad("not JSON"))?;
        let field = |name: &str| v.get(name).and_then(|f| f.as_str()).map(str::trim).filter(|s| !s.is_empty());
        let tenant = field("tenant").or_else(|| field("tenant_id")).ok_or_else(|| bad("no tenant"))?;
        if !tenant.chars().all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)) {
            return Err(bad("the tenant is not a tenant ID or domain"));
        }
        let proof = match (field("client_secret"), field("certificate"), field("private_key")) {
            (Some(secret), None, None) => ClientProof::Secret(Secret::new(secret.to_string())),
            (None, Some(cert), Some(key)) => {
                let certificate_der =
                    certificate_der(cert).ok_or_else(|| bad("certificate is not a PEM certificate"))?;
                let private_key = Secret::new(key.to_string());
                // Sign once now so that a key that cannot sign is refused when the file is read, not at a copy.
                sign_rs256(&json!({}), &private_key, None, &[])?;
                ClientProof::Certificate { certificate_der, private_key }
            }
            (None, Some(_), None) => return Err(bad("a certificate needs its private_key")),
            (None, None, _) => return Err(bad("no client_secret, nor certificate and private_key")),
            (Some(_), ..) => return Err(bad("give a client_secret or a certificate, not both")),
        };
        Ok(MicrosoftApp {
            tenant: tenant.to_string(),
            client_id: field("client_id").ok_or_else(|| bad("no client_id"))?.to_string(),
            proof,
            authority: field("authority").unwrap_or("https://login.microsoftonline.com").to_string(),
        })
    }

    /// The tenant's token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority.trim_end_matches('/'), self.tenant)
    }

    /// The client assertion for a certificate: `aud` the token endpoint, `iss` = `sub` = the client id, a fresh
    /// `jti`, valid ten minutes; the header's `x5t` (SHA-1) and `x5t#S256` thumbprints name the certificate.
    pub fn client_assertion(
        &self,
        certificate_der: &[u8],
        private_key: &Secret<String>,
        now: DateTime<Utc>,
    ) -> Result<Secret<String>, OAuthError> {
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate_der);
        let sha256 = ring::digest::digest(&ring::digest::SHA256, certificate_der);
        let (x5t, x5t256) = (B64URL.encode(sha1), B64URL.encode(sha256));
        let iat = now.timestamp();
        let claims = json!({"aud": self.token_url(), "iss": self.client_id, "sub": self.client_id,
                            "jti": uuid::Uuid::new_v4().to_string(), "nbf": iat, "iat": iat, "exp": iat + 600});
        Ok(sign_rs256(&claims, private_key, None, &[("x5t", &x5t), ("x5t#S256", &x5t256)])?)
    }

    /// An app-only access token.
    pub async fn token(&self, now: DateTime<Utc>, ca_file: Option<&PathBuf>) -> Result<AccessToken, OAuthError> {
        let assertion;
        let mut pairs =
            vec![("grant_type", "client_credentials"), ("client_id", &self.client_id), ("scope", MICROSOFT_IMAP_SCOPE)];
        match &self.proof {
            ClientProof::Secret(secret) => pairs.push(("client_secret", secret.expose())),
            ClientProof::Certificate { certificate_der, private_key } => {
                assertion = self.client_assertion(certificate_der, private_key, now)?;
                pairs.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                pairs.push(("client_assertion", assertion.expose()));
            }
        }
        request(&self.token_url(), form(&pairs), ca_file, now).await
    }
}

/// The DER bytes of the first `-----BEGIN CERTIFICATE-----` block of `pem`.
fn certificate_der(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let end = pem[start..].find("-----END CERTIFICATE-----")? + start;
    let body: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}
