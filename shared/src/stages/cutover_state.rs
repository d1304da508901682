//! The cutover assistant's state: one small object per job, `cutover/<job>.json`, in the blob store — what it
//! saw at each check and whether it watches the job. Read and written by the assistant (`cutover`), read by the
//! notifier's email, and ended by scheduling the final pass (`schedule`), which is why it is a module of its own.

use super::StageError;
use super::holds::HasBlobs;
use crate::model::JobId;
use crate::model::cutover::CutoverState;
use chrono::{DateTime, Utc};

fn state_key(job: &JobId) -> String {
    format!("cutover/{job}.json")
}

/// The job's cutover state (empty before the first check).
pub(crate) async fn load(deps: &impl HasBlobs, job: &JobId) -> Result<CutoverState, StageError> {
    match deps.blobs().get(&state_key(job)).await.map_err(StageError::port("read cutover state"))? {
        None => Ok(CutoverState::default()),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| StageError::BadMessage { what: "cutover state", detail: format!("{}: {e}", state_key(job)) }),
    }
}

/// Store the job's cutover state (pretty JSON, for an operator who looks at the bucket).
pub(crate) async fn save(deps: &impl HasBlobs, job: &JobId, state: &CutoverState) -> Result<(), StageError> {
    let bytes = serde_json::to_vec_pretty(state).unwrap_or_default();
    deps.blobs().put(&state_key(job), bytes, "application/json").await.map_err(StageError::port("save cutover state"))
}

/// Whether the assistant watches `job` (the embedded runner keeps running for it).
pub async fn watching(deps: &impl HasBlobs, job: &JobId) -> Result<bool, StageError> {
    Ok(load(deps, job).await?.watching())
}

/// The final pass was scheduled (by the operator or the assistant): the watch ends; a pending check finds
/// nothing to do.
pub(crate) async fn stop_watching(deps: &impl HasBlobs, job: &JobId, at: DateTime<Utc>) -> Result<(), StageError> {
    let mut state = load(deps, job).await?;
    if state.watching() {
        state.final_scheduled_at = Some(at);
        save(deps, job, &state).await?;
    }
    Ok(())
}
