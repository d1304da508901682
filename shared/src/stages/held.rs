//! The rest of a migration file whose first rows ran as a trial job (the panel's "try a few mailboxes first"):
//! sealed at once (it holds passwords) under `held/<tenant>/<job>.json`, until the operator starts it as a job
//! of its own, or purged with the trial job's credentials (cancelled, expired, or its final pass over).

use super::{Deps, StageError};
use crate::model::{JobId, Secret, TenantId};
use crate::ports::Sealed;
use serde::{Deserialize, Serialize};

/// What is held for a trial job.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Held {
    /// The file name the rest is started under.
    pub file: String,
    /// Rows in it.
    pub rows: usize,
    sealed: String,
}

fn key(tenant: &TenantId, job: &JobId) -> String {
    format!("held/{tenant}/{job}.json")
}

fn context(job: &JobId) -> String {
    format!("held:{job}")
}

/// Hold `text` (the file's header and remaining rows) for trial job `job`, sealed.
pub async fn hold(
    deps: &Deps,
    tenant: &TenantId,
    job: &JobId,
    file: &str,
    rows: usize,
    text: Secret<String>,
) -> Result<(), StageError> {
    let sealed =
        deps.secrets.seal(&text, &context(job)).await.map_err(StageError::port("seal the rest of the file"))?;
    let held = Held { file: file.to_string(), rows, sealed: sealed.0 };
    let body = serde_json::to_vec(&held).unwrap_or_default();
    deps.blobs
        .put(&key(tenant, job), body, "application/json")
        .await
        .map_err(StageError::port("hold the rest of the file"))
}

/// What is held for `job`, if anything (without opening it).
pub async fn held(deps: &Deps, tenant: &TenantId, job: &JobId) -> Result<Option<Held>, StageError> {
    let bytes = deps.blobs.get(&key(tenant, job)).await.map_err(StageError::port("read the held rows"))?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Open what is held for `job`: its file name and text (it stays held until [`remove`]).
pub async fn open(deps: &Deps, tenant: &TenantId, job: &JobId) -> Result<Option<(String, Secret<String>)>, StageError> {
    let Some(h) = held(deps, tenant, job).await? else { return Ok(None) };
    let text =
        deps.secrets.open(&Sealed(h.sealed), &context(job)).await.map_err(StageError::port("open the held rows"))?;
    Ok(Some((h.file, text)))
}

/// Remove what is held for `job` (once it was started as a job of its own).
pub async fn remove(deps: &Deps, tenant: &TenantId, job: &JobId) -> Result<(), StageError> {
    deps.blobs.delete(&key(tenant, job)).await.map_err(StageError::port("remove the held rows"))
}

/// Remove whatever is held for `job` (its credentials are being purged).
pub(crate) async fn purge(deps: &Deps, job: &JobId) -> Result<(), StageError> {
    if let Some(j) = deps.store.job(job).await.map_err(StageError::port("read job"))? {
        remove(deps, &j.tenant, job).await?;
    }
    Ok(())
}
