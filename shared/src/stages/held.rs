//! A file held sealed for a job (it holds passwords) under `held/<tenant>/<job>.json`: the rest of a migration
//! file whose first rows ran as a trial job (the panel's "try a few mailboxes first"), with the provider
//! credential uploaded beside it, until the operator starts it as a job of its own; or an import file waiting
//! for "Create" (`import_review`). Purged with the job's credentials (cancelled, expired, or its final pass over).

use super::StageError;
use super::holds::{HasBlobs, HasSecrets, HasStore};
use crate::model::{JobId, Secret, TenantId};
use crate::ports::Sealed;
use serde::{Deserialize, Serialize};

/// What is held for a job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Held {
    /// The file name the rest is started under.
    pub file: String,
    /// Rows in it.
    pub rows: usize,
    sealed: Sealed,
    /// The provider credential uploaded with the file: its upload metadata field and the sealed file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credential: Option<(String, Sealed)>,
}

/// What is held for a job, opened.
pub struct Opened {
    pub file: String,
    pub text: Secret<String>,
    /// The provider credential: its metadata field (`google-service-account`, …) and the file.
    pub credential: Option<(String, Secret<String>)>,
}

fn key(tenant: &TenantId, job: &JobId) -> String {
    format!("held/{tenant}/{job}.json")
}

fn context(job: &JobId) -> String {
    format!("held:{job}")
}

/// Hold `text` (a file's header and rows) for `job`, sealed, with the provider `credential` uploaded beside it
/// (its metadata field and text).
pub async fn hold(
    deps: &(impl HasBlobs + HasSecrets),
    tenant: &TenantId,
    job: &JobId,
    (file, rows): (&str, usize),
    text: Secret<String>,
    credential: Option<(&str, &Secret<String>)>,
) -> Result<(), StageError> {
    let seal = |text| async move {
        deps.secrets().seal(text, &context(job)).await.map_err(StageError::port("seal the held file"))
    };
    let sealed = seal(&text).await?;
    let credential = match credential {
        Some((field, c)) => Some((field.to_string(), seal(c).await?)),
        None => None,
    };
    let held = Held { file: file.to_string(), rows, sealed, credential };
    let body = serde_json::to_vec(&held).unwrap_or_default();
    deps.blobs()
        .put(&key(tenant, job), body, "application/json")
        .await
        .map_err(StageError::port("hold the rest of the file"))
}

/// What is held for `job`, if anything (without opening it).
pub async fn held(deps: &impl HasBlobs, tenant: &TenantId, job: &JobId) -> Result<Option<Held>, StageError> {
    let bytes = deps.blobs().get(&key(tenant, job)).await.map_err(StageError::port("read the held rows"))?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Open what is held for `job` (it stays held until [`remove`]).
pub async fn open(
    deps: &(impl HasBlobs + HasSecrets),
    tenant: &TenantId,
    job: &JobId,
) -> Result<Option<Opened>, StageError> {
    let Some(h) = held(deps, tenant, job).await? else { return Ok(None) };
    let open = |sealed: Sealed| async move {
        deps.secrets().open(&sealed, &context(job)).await.map_err(StageError::port("open the held file"))
    };
    let text = open(h.sealed).await?;
    let credential = match h.credential {
        Some((field, sealed)) => Some((field, open(sealed).await?)),
        None => None,
    };
    Ok(Some(Opened { file: h.file, text, credential }))
}

/// Remove what is held for `job` (once it was started as a job of its own).
pub async fn remove(deps: &impl HasBlobs, tenant: &TenantId, job: &JobId) -> Result<(), StageError> {
    deps.blobs().delete(&key(tenant, job)).await.map_err(StageError::port("remove the held rows"))
}

/// Remove whatever is held for `job` (its credentials are being purged).
pub(crate) async fn purge(deps: &(impl HasStore + HasBlobs), job: &JobId) -> Result<(), StageError> {
    if let Some(j) = deps.store().job(job).await.map_err(StageError::port("read job"))? {
        remove(deps, &j.tenant, job).await?;
    }
    Ok(())
}
