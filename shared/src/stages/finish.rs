//! Completion, counted exactly once: a folder task's end is added once per folder; the add that brings a
//! mailbox's `done` to its `folders` finishes the mailbox (and sends the next waiting mailbox of the job); the add
//! that brings the pass's `done` to its `mailboxes` finishes the pass: the job moves on, credentials are purged
//! after the final pass, and one "pass complete" event goes to the notifier.

use super::counter;
use super::holds::{HasBlobs, HasClock, HasCounters, HasEvents, HasSchedules, HasStore, HasTasks};
use super::{PassEvent, StageError, Task, mailbox_scope, pass_scope, schedule};
use crate::model::{EmailAddress, JobId, JobStatus, Pass};
use std::collections::BTreeMap;
use std::time::Duration;

/// What one folder contributed to its pass.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FolderTotals {
    pub copied: u64,
    pub bytes: u64,
    pub skipped: u64,
    pub failed: bool,
    /// What the source and destination folders held at the end (`None` when the copy failed before).
    pub counts: Option<(u32, u32)>,
}

/// Where a mailbox's folders' end counts are kept for a pass: counters `source:<path>` and `destination:<path>`,
/// added once per folder (the mailbox page shows them).
pub(crate) fn folder_counts_scope(job: &JobId, pass: Pass, address: &EmailAddress) -> String {
    format!("{}/folders", mailbox_scope(job, pass, address))
}

fn get(m: &BTreeMap<String, i64>, name: &str) -> i64 {
    m.get(name).copied().unwrap_or(0)
}

/// A folder of `address` is finished for this pass (copied, or failed for good).
pub(crate) async fn folder_finished(
    deps: &(impl HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    job: &JobId,
    pass: Pass,
    address: &EmailAddress,
    folder: &str,
    t: FolderTotals,
) -> Result<(), StageError> {
    if let Some((source, destination)) = t.counts {
        let names = [format!("source:{folder}"), format!("destination:{folder}")];
        let deltas = [(names[0].as_str(), i64::from(source)), (names[1].as_str(), i64::from(destination))];
        let scope = folder_counts_scope(job, pass, address);
        deps.counters()
            .add_once(&scope, &format!("folder:{folder}"), &deltas)
            .await
            .map_err(StageError::port("count folder"))?;
    }
    let scope = mailbox_scope(job, pass, address);
    let deltas = [
        (counter::DONE, 1),
        (counter::COPIED, t.copied as i64),
        (counter::BYTES, t.bytes as i64),
        (counter::SKIPPED, t.skipped as i64),
        (counter::FAILED, i64::from(t.failed)),
    ];
    let after = deps
        .counters()
        .add_once(&scope, &format!("folder:{folder}"), &deltas)
        .await
        .map_err(StageError::port("count folder"))?;
    match after {
        Some(after) if get(&after, counter::DONE) == get(&after, counter::FOLDERS) => {
            mailbox_finished(deps, job, pass, address, &after).await
        }
        _ => Ok(()),
    }
}

/// Every folder of `address` is finished: count the mailbox once into the pass and start the next one.
pub(crate) async fn mailbox_finished(
    deps: &(impl HasStore + HasCounters + HasTasks + HasEvents + HasBlobs + HasSchedules + HasClock),
    job: &JobId,
    pass: Pass,
    address: &EmailAddress,
    totals: &BTreeMap<String, i64>,
) -> Result<(), StageError> {
    let now = deps.clock().now().timestamp_millis();
    deps.counters()
        .add_once(&mailbox_scope(job, pass, address), "finished", &[(counter::FINISHED_MS, now)])
        .await
        .map_err(StageError::port("count mailbox"))?;
    let scope = pass_scope(job, pass);
    let deltas = [
        (counter::DONE, 1),
        (counter::COPIED, get(totals, counter::COPIED)),
        (counter::BYTES, get(totals, counter::BYTES)),
        (counter::SKIPPED, get(totals, counter::SKIPPED)),
        (counter::FAILED, i64::from(get(totals, counter::FAILED) > 0)),
    ];
    let Some(after) = deps
        .counters()
        .add_once(&scope, &format!("mailbox:{address}"), &deltas)
        .await
        .map_err(StageError::port("count mailbox"))?
    else {
        return Ok(());
    };
    let (done, of) = (get(&after, counter::DONE), get(&after, counter::MAILBOXES));
    tracing::info!(job = %job, pass = %pass, mailbox = %address, done, of, "mailbox finished");
    // The next waiting mailbox, if any: `started` counts the mailboxes sent so far.
    let started =
        deps.counters().add(&scope, &[(counter::STARTED, 1)]).await.map_err(StageError::port("count mailbox"))?;
    let next = get(&started, counter::STARTED) as usize;
    if next <= get(&after, counter::MAILBOXES) as usize {
        let ready = super::ready_mailboxes(deps, job, pass).await?;
        if let Some(m) = ready.get(next - 1) {
            let body = Task::Mailbox { job: job.clone(), pass, mailbox: m.clone() }.to_body();
            deps.tasks().send(&[body], Duration::ZERO).await.map_err(StageError::port("send mailbox task"))?;
        }
    }
    if get(&after, counter::DONE) == get(&after, counter::MAILBOXES) {
        pass_finished(deps, job, pass).await?;
    }
    Ok(())
}

/// Every mailbox of the pass is finished (claimed once): move the job on, purge credentials after the final
/// pass, and tell the notifier.
pub(crate) async fn pass_finished(
    deps: &(impl HasStore + HasCounters + HasEvents + HasBlobs + HasSchedules + HasClock),
    job: &JobId,
    pass: Pass,
) -> Result<(), StageError> {
    let scope = pass_scope(job, pass);
    let now = deps.clock().now().timestamp_millis();
    let claimed = deps.counters().add_once(&scope, counter::COMPLETE, &[(counter::FINISHED_MS, now)]).await;
    if claimed.map_err(StageError::port("finish pass"))?.is_none() {
        return Ok(());
    }
    // A later pass leaves the job where it was: before or after its final pass.
    let after_final = pass == Pass::Final || super::final_done(deps, job).await?;
    let to = if after_final { JobStatus::Complete } else { JobStatus::InitialDone };
    deps.store().transition_job(job, JobStatus::Running, to).await.map_err(StageError::port("finish pass"))?;
    if after_final {
        let purged = deps.store().purge_credentials(job).await.map_err(StageError::port("purge credentials"))?;
        super::held::purge(deps, job).await?;
        let expiry = super::end::expiry_name(job);
        deps.schedules().cancel(&expiry).await.map_err(StageError::port("remove schedule"))?;
        tracing::info!(job = %job, mailboxes = purged, "credentials purged");
    }
    deps.schedules().cancel(&schedule::schedule_name(job, pass)).await.map_err(StageError::port("remove schedule"))?;
    if !after_final
        && matches!(pass, Pass::Initial | Pass::CatchUp(_))
        && let Some(j) = deps.store().job(job).await.map_err(StageError::port("read job"))?
        && let Some(at) = schedule::next_catch_up(deps, &j).await?
    {
        tracing::info!(job = %job, at = %at, "next catch-up pass scheduled");
    }
    let event = serde_json::to_string(&PassEvent { job: job.clone(), pass, cutover: false }).unwrap_or_default();
    deps.events().send(&[event], Duration::ZERO).await.map_err(StageError::port("send pass event"))?;
    tracing::info!(job = %job, pass = %pass, "pass complete");
    Ok(())
}
