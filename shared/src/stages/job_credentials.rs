//! Job-level provider credentials uploaded beside a migration CSV (the AWS home, where files arrive in the
//! bucket): the upload's metadata names an object under `credentials/<tenant>/` (`google-service-account`,
//! `microsoft-app`); the upload stage reads it into the job's source defaults, where each mailbox seals it with its
//! own credentials, and deletes it with the CSV, so no clear-text key rests in the bucket. A tenant names only
//! its own credentials; a missing or unusable file refuses the upload, naming the metadata field, never quoting
//! the file. (`mailferry migrate` reads the same files from disk instead.)

use super::{Deps, StageError};
use crate::csv::SourceDefaults;
use crate::model::{Secret, TenantId};
use crate::oauth::{MicrosoftApp, ServiceAccount};

/// The credential objects an upload's metadata names (object keys).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CredentialObjects {
    /// Metadata `google-service-account`: a Google service-account key file (JSON).
    pub google_service_account: Option<String>,
    /// Metadata `microsoft-app`: a Microsoft app file (JSON: tenant, client_id, client_secret).
    pub microsoft_app: Option<String>,
}

impl CredentialObjects {
    fn named(&self) -> impl Iterator<Item = (&'static str, &String)> {
        let google = self.google_service_account.as_ref().map(|k| ("google-service-account", k));
        google.into_iter().chain(self.microsoft_app.as_ref().map(|k| ("microsoft-app", k)))
    }
}

/// Read the named objects into `defaults`. `Ok(Err(problem))`: the upload must be refused for this reason.
pub(crate) async fn resolve(
    deps: &Deps,
    tenant: &TenantId,
    objects: &CredentialObjects,
    defaults: &mut SourceDefaults,
) -> Result<Result<(), String>, StageError> {
    let own = own_prefix(tenant);
    for (field, key) in objects.named() {
        if !is_own(tenant, key) {
            return Ok(Err(format!("metadata {field}: the file must be under {own} (this tenant's credentials)")));
        }
        let Some(bytes) = deps.blobs.get(key).await.map_err(StageError::port("read credential file"))? else {
            return Ok(Err(format!("metadata {field}: there is no file {key}")));
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return Ok(Err(format!("metadata {field}: {key} is not a text (JSON) file")));
        };
        let text = Secret::new(text);
        let checked = match field {
            "google-service-account" => ServiceAccount::from_json(&text).map(|_| ()),
            _ => MicrosoftApp::from_json(&text).map(|_| ()),
        };
        if let Err(e) = checked {
            return Ok(Err(format!("metadata {field}: {key}: {e}")));
        }
        match field {
            "google-service-account" => defaults.google_service_account = Some(text),
            _ => defaults.microsoft_app = Some(text),
        }
    }
    Ok(Ok(()))
}

/// Where `tenant`'s credential files are.
fn own_prefix(tenant: &TenantId) -> String {
    format!("credentials/{tenant}/")
}

fn is_own(tenant: &TenantId, key: &str) -> bool {
    key.starts_with(&own_prefix(tenant)) && !key.contains("..")
}

/// Delete the named objects of `tenant` (with the CSV: whatever the upload's outcome, no clear-text key stays
/// behind); another tenant's object an upload names is never touched.
pub(crate) async fn delete(deps: &Deps, tenant: &TenantId, objects: &CredentialObjects) -> Result<(), StageError> {
    for (_, key) in objects.named().filter(|(_, key)| is_own(tenant, key)) {
        deps.blobs.delete(key).await.map_err(StageError::port("delete credential file"))?;
    }
    Ok(())
}
