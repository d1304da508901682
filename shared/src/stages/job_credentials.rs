//! Job-level provider credentials uploaded beside a migration CSV (the AWS home, where files arrive in the
//! bucket): the upload's metadata names an object under `credentials/<tenant>/` (`google-service-account`,
//! `microsoft-app`, `oauth-client`); the upload stage reads it into the job's source defaults, where each mailbox
//! seals it with its own credentials, and deletes it with the CSV, so no clear-text key rests in the bucket. A
//! tenant names only its own credentials; a missing or unusable file refuses the upload, naming the metadata
//! field, never quoting the file. (`mailferry migrate` reads the same files from disk instead; the panel puts
//! the file it was given where this stage reads it.)

use super::StageError;
use super::holds::HasBlobs;
use crate::csv::SourceDefaults;
use crate::model::{Secret, TenantId};
use crate::oauth::{MicrosoftApp, RefreshGrant, ServiceAccount};

/// The credential objects an upload's metadata names (object keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialObjects {
    /// Metadata `google-service-account`: a Google service-account key file (JSON).
    pub google_service_account: Option<String>,
    /// Metadata `microsoft-app`: a Microsoft app file (JSON: tenant, client_id, client_secret or certificate +
    /// private_key).
    pub microsoft_app: Option<String>,
    /// Metadata `oauth-client`: the OAuth client of the rows' refresh tokens (JSON: client_id, client_secret,
    /// token_uri).
    pub oauth_client: Option<String>,
}

/// Which credential a named object is.
#[derive(Clone, Copy)]
enum Kind {
    Google,
    Microsoft,
    Client,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Google, Kind::Microsoft, Kind::Client];

    /// The kind metadata field `field` names.
    fn of(field: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.field() == field)
    }

    /// The metadata field that names it.
    fn field(self) -> &'static str {
        match self {
            Kind::Google => "google-service-account",
            Kind::Microsoft => "microsoft-app",
            Kind::Client => "oauth-client",
        }
    }

    /// Check the file is one, and put it where the rows find it.
    fn apply(self, text: Secret<String>, defaults: &mut SourceDefaults) -> Result<(), crate::oauth::OAuthError> {
        match self {
            Kind::Google => ServiceAccount::from_json(&text).map(|_| defaults.google_service_account = Some(text)),
            Kind::Microsoft => MicrosoftApp::from_json(&text).map(|_| defaults.microsoft_app = Some(text)),
            Kind::Client => RefreshGrant::check_client(&text).map(|_| defaults.oauth_client = Some(text)),
        }
    }
}

/// Put credential `text`, named by upload metadata `field`, where a file's rows find it, checked as the upload
/// stage checks it (for reading a file before the stage does, such as splitting a trial off it).
pub fn apply_credential(field: &str, text: Secret<String>, defaults: &mut SourceDefaults) -> Result<(), String> {
    let kind = Kind::of(field).ok_or_else(|| format!("{field} is not a kind of provider credential"))?;
    kind.apply(text, defaults).map_err(|e| format!("{field}: {e}"))
}

/// The metadata field `name` if it names a kind of provider credential (`google-service-account`,
/// `microsoft-app`, `oauth-client`), as a form or a request may give it.
pub fn credential_field(name: &str) -> Option<&'static str> {
    Kind::of(name).map(Kind::field)
}

/// The most a credential file may hold (a service-account key is about 2.4 KB).
pub const MAX_CREDENTIAL_FILE: usize = 64 << 10;

impl CredentialObjects {
    /// The one object `key`, named by metadata `field` (`google-service-account`, `microsoft-app`,
    /// `oauth-client`); `None` for another field.
    pub fn one(field: &str, key: String) -> Option<Self> {
        let mut o = CredentialObjects::default();
        match Kind::of(field)? {
            Kind::Google => o.google_service_account = Some(key),
            Kind::Microsoft => o.microsoft_app = Some(key),
            Kind::Client => o.oauth_client = Some(key),
        }
        Some(o)
    }

    fn named(&self) -> impl Iterator<Item = (Kind, &String)> {
        let google = self.google_service_account.as_ref().map(|k| (Kind::Google, k));
        let microsoft = self.microsoft_app.as_ref().map(|k| (Kind::Microsoft, k));
        google.into_iter().chain(microsoft).chain(self.oauth_client.as_ref().map(|k| (Kind::Client, k)))
    }
}

/// Read the named objects into `defaults`. `Ok(Err(problem))`: the upload must be refused for this reason.
pub(crate) async fn resolve(
    deps: &impl HasBlobs,
    tenant: &TenantId,
    objects: &CredentialObjects,
    defaults: &mut SourceDefaults,
) -> Result<Result<(), String>, StageError> {
    let own = own_prefix(tenant);
    for (kind, key) in objects.named() {
        let field = kind.field();
        if !is_own(tenant, key) {
            return Ok(Err(format!("metadata {field}: the file must be under {own} (this tenant's credentials)")));
        }
        let Some(bytes) = deps.blobs().get(key).await.map_err(StageError::port("read credential file"))? else {
            return Ok(Err(format!("metadata {field}: there is no file {key}")));
        };
        if bytes.len() > MAX_CREDENTIAL_FILE {
            return Ok(Err(format!(
                "metadata {field}: {key} is larger than a credential file ({MAX_CREDENTIAL_FILE} bytes)"
            )));
        }
        let Ok(text) = String::from_utf8(bytes) else {
            return Ok(Err(format!("metadata {field}: {key} is not a text (JSON) file")));
        };
        if let Err(e) = kind.apply(Secret::new(text), defaults) {
            return Ok(Err(format!("metadata {field}: {key}: {e}")));
        }
    }
    Ok(Ok(()))
}

/// Where `tenant`'s credential files are.
fn own_prefix(tenant: &TenantId) -> String {
    format!("credentials/{tenant}/")
}

/// Whether `key` (from the upload's metadata: untrusted) is a plain object key under `tenant`'s credentials. Only
/// such a key is ever quoted in a report or deleted.
fn is_own(tenant: &TenantId, key: &str) -> bool {
    key.len() <= 1024
        && key.starts_with(&own_prefix(tenant))
        && !key.contains("..")
        && !key.chars().any(|c| c.is_control())
}

/// Delete the named objects of `tenant` (with the CSV: whatever the upload's outcome, no clear-text key stays
/// behind); another tenant's object an upload names is never touched.
pub(crate) async fn delete(
    deps: &impl HasBlobs,
    tenant: &TenantId,
    objects: &CredentialObjects,
) -> Result<(), StageError> {
    for (_, key) in objects.named().filter(|(_, key)| is_own(tenant, key)) {
        deps.blobs().delete(key).await.map_err(StageError::port("delete credential file"))?;
    }
    Ok(())
}
