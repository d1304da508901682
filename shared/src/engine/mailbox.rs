//! Syncing a whole mailbox: list both sides, plan the folders, create what is missing, then copy the folders
//! over `parallel` pairs of connections. A folder whose copy fails with a retryable error is retried on fresh
//! connections, resuming from its checkpoint (the policy is `retries`).

use super::EngineError;
use super::folder::{FolderReport, Progress};
use super::retries::copy_with_retries;
pub use super::sessions::MailboxSync;
use super::sessions::open_and_plan;
use super::survey::open_mailbox;
use crate::imap::Session;
use crate::imap::plan::{FolderPlan, Plan};
use crate::ports::Checkpoints;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a mailbox sync did: the plan, each folder's report, and the folders that failed for good.
#[derive(Clone, Debug, Default)]
pub struct MailboxReport {
    pub plan: Plan,
    pub folders: Vec<FolderReport>,
    pub failed: Vec<(String, String)>,
    /// Folders a stop request left for the next run (not opened).
    pub not_started: Vec<String>,
}

/// List both sides and plan (nothing is changed): the dry run.
pub async fn plan_mailbox(cfg: &MailboxSync) -> Result<Plan, EngineError> {
    let (src, dst, _, p) = open_and_plan(cfg).await?;
    src.logout().await;
    dst.logout().await;
    Ok(p)
}

/// Copy one planned folder over a fresh pair of connections (a folder task): until done or `cfg.settings`'
/// deadline, resuming from the checkpoint.
pub async fn copy_one_folder(
    cfg: &MailboxSync,
    folder: &FolderPlan,
    checkpoints: &dyn Checkpoints,
    progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<FolderReport, EngineError> {
    let mut conns = None;
    // A folder task never waits for a crowded server: the queue brings it back later (see `stages::copy`).
    let report = copy_with_retries(cfg, folder, checkpoints, progress, &mut conns, &|| true).await;
    if let Some((src, dst)) = conns {
        src.logout().await;
        dst.logout().await;
    }
    report
}

/// Log in, plan, create the folders and survey them; a retryable failure (a dropped connection) starts over on
/// fresh connections, up to `cfg.attempts` times with exponential back-off.
async fn prepare_with_retries(
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
) -> Result<(Session, Session, Plan, Vec<FolderReport>, Vec<FolderPlan>), EngineError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = open_mailbox(cfg, checkpoints)
            .await
            .map(|o| (o.src, o.dst, o.plan, o.unchanged, o.pending.into_iter().map(|p| p.folder).collect()));
        match result {
            Err(e) if e.is_retryable() && attempt < cfg.attempts && !(attempt == 1 && e.is_setting_mistake()) => {
                let wait = Duration::from_millis(200 * 2u64.pow(attempt.min(6)));
                tracing::warn!(attempt, error = %e, wait_ms = wait.as_millis() as u64, "planning failed; retrying");
                tokio::time::sleep(wait).await;
            }
            other => return other,
        }
    }
}

/// Reports of the folders copied, and the folders that failed with why.
type Results = Mutex<(Vec<FolderReport>, Vec<(String, String)>)>;

fn record(results: &Results, folder: &FolderPlan, outcome: Result<FolderReport, EngineError>) {
    let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok(report) => r.0.push(report),
        Err(e) => r.1.push((folder.path.clone(), e.to_string())),
    }
}

/// Plan, create, and copy every folder. Folder failures are collected, not fatal to the others.
pub async fn sync_mailbox(
    cfg: &MailboxSync,
    checkpoints: Arc<dyn Checkpoints>,
    progress: Arc<dyn Fn(Progress<'_>) + Send + Sync>,
) -> Result<MailboxReport, EngineError> {
    // Plan and survey on one pair of connections; the first worker goes on with that pair at once and the others
    // (one per folder with new mail, at most `parallel`) log in while it copies. A login costs a process fork on
    // many servers, so none is made that the work does not need: a run with nothing new logs in once per side.
    let (src, dst, p, unchanged, pending) = prepare_with_retries(cfg, checkpoints.as_ref()).await?;
    tracing::info!(
        mailbox = %cfg.mailbox, folders = p.folders.len(), unchanged = unchanged.len(), to_copy = pending.len(),
        "mailbox surveyed"
    );
    let workers_wanted = pending.len().clamp(1, cfg.parallel.max(1));
    let mut first_conns = Some((src, dst));
    let queue = Arc::new(Mutex::new(pending.into_iter().rev().collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new((unchanged, Vec::new())));
    // Workers still at work: one the server refuses for too many connections hands its folder back and stops
    // while another goes on, so the mailbox settles at the connections the server allows.
    let active = Arc::new(AtomicUsize::new(workers_wanted));
    let workers = (0..workers_wanted).map(|i| {
        let (queue, results, checkpoints, progress, active) =
            (queue.clone(), results.clone(), checkpoints.clone(), progress.clone(), active.clone());
        let reuse = if i == 0 { first_conns.take() } else { None };
        async move {
            // Each worker keeps its pair of connections across folders; a failure drops them and the next attempt
            // reconnects.
            let mut conns: Option<(Session, Session)> = reuse;
            // A stop request leaves the folders not started in the queue: the next run copies them.
            while !cfg.settings.must_stop() {
                let Some(folder) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                let others = || active.load(Ordering::SeqCst) > 1;
                let outcome =
                    copy_with_retries(cfg, &folder, checkpoints.as_ref(), progress.as_ref(), &mut conns, &others).await;
                if matches!(&outcome, Err(e) if e.is_too_many_connections()) && others() {
                    tracing::info!(folder = %folder.path, "server crowded; another connection takes this folder");
                    queue.lock().unwrap_or_else(|e| e.into_inner()).push(folder);
                    break;
                }
                record(&results, &folder, outcome);
            }
            active.fetch_sub(1, Ordering::SeqCst);
            if let Some((src, dst)) = conns {
                src.logout().await;
                dst.logout().await;
            }
        }
    });
    futures::future::join_all(workers).await;
    // A folder handed back just as the last other worker left is copied here, on one connection pair.
    let mut conns = None;
    while !cfg.settings.must_stop() {
        let Some(folder) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
        let outcome = copy_with_retries(cfg, &folder, checkpoints.as_ref(), progress.as_ref(), &mut conns, &|| false);
        record(&results, &folder, outcome.await);
    }
    if let Some((src, dst)) = conns {
        src.logout().await;
        dst.logout().await;
    }
    let (mut folders, failed) = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    let not_started = queue.lock().unwrap_or_else(|e| e.into_inner()).drain(..).rev().map(|f| f.path).collect();
    folders.sort_by(|a: &FolderReport, b| (a.path != "INBOX", &a.path).cmp(&(b.path != "INBOX", &b.path)));
    Ok(MailboxReport { plan: p, folders, failed, not_started })
}
