//! Syncing a whole mailbox: list both sides, plan the folders, create what is missing, then copy the folders
//! over `parallel` pairs of connections. A folder whose copy fails with a retryable error is retried on fresh
//! connections with back-off, resuming from its checkpoint.

use super::EngineError;
use super::folder::{CopySettings, FolderReport, FolderTask, Progress, copy_folder};
use crate::imap::plan::{Filters, Listing, Plan, plan};
use crate::imap::{self, Endpoint, ImapError, Login, Session};
use crate::model::{FolderKey, JobId};
use crate::ports::Checkpoints;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything needed to sync one mailbox.
#[derive(Clone, Debug)]
pub struct MailboxSync {
    pub source: Endpoint,
    pub source_login: Login,
    pub dest: Endpoint,
    pub dest_login: Login,
    /// Checkpoint keys: job and mailbox (the destination address).
    pub job: JobId,
    pub mailbox: String,
    pub filters: Filters,
    /// Folders copied at once (each over its own pair of connections).
    pub parallel: usize,
    /// Attempts per folder for retryable errors.
    pub attempts: u32,
    pub settings: CopySettings,
}

/// What a mailbox sync did: the plan, each folder's report, and the folders that failed for good.
#[derive(Clone, Debug, Default)]
pub struct MailboxReport {
    pub plan: Plan,
    pub folders: Vec<FolderReport>,
    pub failed: Vec<(String, String)>,
}

async fn listing(s: &mut Session) -> Result<Listing, ImapError> {
    let (prefix, delimiter) = s.personal_namespace().await?;
    let entries = s.list_all().await?;
    let subscribed = s.list_subscribed().await?.into_iter().map(|e| e.name).collect();
    Ok(Listing { prefix, delimiter, entries, subscribed })
}

/// Log in to both sides at once.
async fn connect(cfg: &MailboxSync) -> Result<(Session, Session), ImapError> {
    let (src, dst) = tokio::join!(imap::open(&cfg.source, &cfg.source_login), imap::open(&cfg.dest, &cfg.dest_login));
    Ok((src?, dst?))
}

/// A mailbox-level failure (not tied to one folder).
fn mailbox_error(source: ImapError) -> EngineError {
    EngineError::Imap { folder: String::new(), source }
}

/// Connect, list both sides and plan; the connections and the destination's listing are handed back.
async fn open_and_plan(cfg: &MailboxSync) -> Result<(Session, Session, Listing, Plan), EngineError> {
    let (mut src, mut dst) = connect(cfg).await.map_err(mailbox_error)?;
    let source_listing = listing(&mut src).await.map_err(mailbox_error)?;
    let dest_listing = listing(&mut dst).await.map_err(mailbox_error)?;
    let p = plan(&source_listing, &dest_listing, &cfg.filters);
    Ok((src, dst, dest_listing, p))
}

/// List both sides and plan (nothing is changed): the dry run.
pub async fn plan_mailbox(cfg: &MailboxSync) -> Result<Plan, EngineError> {
    let (src, dst, _, p) = open_and_plan(cfg).await?;
    src.logout().await;
    dst.logout().await;
    Ok(p)
}

/// Create the destination folders the plan needs (parents first) and subscribe as the source was (folders the
/// destination already subscribes are left alone).
async fn apply(dst: &mut Session, p: &Plan, dest: &Listing) -> Result<(), ImapError> {
    for (_, wire) in &p.parents {
        dst.create(wire).await?;
    }
    for f in &p.folders {
        if f.create {
            dst.create(&f.dest_wire).await?;
        }
        if (f.subscribe || f.create) && !dest.subscribed.contains(&f.dest) {
            dst.subscribe(&f.dest_wire).await?;
        }
    }
    Ok(())
}

/// How many workers the pending work deserves: one per folder with new UIDs (source STATUS against the
/// checkpoint), at least one, at most `parallel`. Every changed folder ends in a commit (and fsync) on the
/// destination, which parallel workers overlap; an unchanged folder costs two STATUS commands, not a login.
/// Also returns the folders found changed, which then skip their own "nothing new" check.
async fn pool_size(
    src: &mut Session,
    p: &Plan,
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
) -> Result<(usize, BTreeSet<String>), EngineError> {
    let max = cfg.parallel.max(1).min(p.folders.len().max(1));
    if max == 1 {
        return Ok((1, BTreeSet::new()));
    }
    let wires: Vec<String> = p.folders.iter().map(|f| f.source_wire.clone()).collect();
    let statuses = src.status_many(&wires).await.map_err(mailbox_error)?;
    let mut changed = BTreeSet::new();
    for (f, st) in p.folders.iter().zip(statuses) {
        let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: f.path.clone() };
        let cp = checkpoints
            .load(&key)
            .await
            .map_err(|source| EngineError::Checkpoint { folder: f.path.clone(), source })?;
        let done = cp
            .filter(|c| c.uid_validity.map(|v| v.get()) == st.uid_validity)
            .and_then(|c| c.last_uid)
            .map_or(0, |u| u.get());
        if st.uid_next.unwrap_or(0) > done.saturating_add(1) {
            changed.insert(f.path.clone());
        }
    }
    Ok((changed.len().clamp(1, max), changed))
}

/// Plan, create, and copy every folder. Folder failures are collected, not fatal to the others.
pub async fn sync_mailbox(
    cfg: &MailboxSync,
    checkpoints: Arc<dyn Checkpoints>,
    progress: Arc<dyn Fn(Progress<'_>) + Send + Sync>,
) -> Result<MailboxReport, EngineError> {
    // Plan on one pair of connections while the other workers' pairs connect (logins are the slow part of a
    // short delta pass); spares the pending work does not need are closed again.
    let planning = async {
        let (mut src, mut dst, dest_listing, p) = open_and_plan(cfg).await?;
        apply(&mut dst, &p, &dest_listing).await.map_err(mailbox_error)?;
        let wanted = pool_size(&mut src, &p, cfg, checkpoints.as_ref()).await?;
        Ok::<_, EngineError>((p, wanted, src, dst))
    };
    let spare = || async { connect(cfg).await.ok() };
    let (planned, spares) =
        tokio::join!(planning, futures::future::join_all((1..cfg.parallel.max(1)).map(|_| spare())));
    let (p, (workers_wanted, changed), src, dst) = planned?;
    let changed = Arc::new(changed);
    let mut spares: Vec<Option<(Session, Session)>> = spares;
    while spares.len() > workers_wanted.saturating_sub(1) {
        if let Some(Some((s, d))) = spares.pop() {
            s.logout().await;
            d.logout().await;
        }
    }
    let mut first_conns = Some((src, dst));

    let queue = Arc::new(Mutex::new(p.folders.clone().into_iter().rev().collect::<Vec<_>>()));
    let results = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let workers = (0..workers_wanted).map(|i| {
        let (queue, results, checkpoints, progress) = (queue.clone(), results.clone(), checkpoints.clone(), progress.clone());
        let changed = changed.clone();
        let reuse = if i == 0 { first_conns.take() } else { spares.get_mut(i - 1).and_then(Option::take) };
        async move {
            // Each worker keeps its pair of connections across folders; a failure drops them and the next attempt
            // reconnects.
            let mut conns: Option<(Session, Session)> = reuse;
            loop {
                let Some(folder) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else { break };
                let key = FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: folder.path.clone() };
                let imap_err = |source| EngineError::Imap { folder: folder.path.clone(), source };
                // What earlier runs copied, so a run whose first attempt failed half-way still reports all it copied.
                let before = checkpoints.load(&key).await.ok().flatten().map_or(0, |c| c.copied);
                let mut attempt = 0;
                let outcome = loop {
                    attempt += 1;
                    let result = async {
                        if conns.is_none() {
                            conns = Some(connect(cfg).await.map_err(imap_err)?);
                        }
                        let (src, dst) = conns.as_mut().expect("connected");
                        let task = FolderTask { key: &key, plan: &folder, known_changed: changed.contains(&folder.path) };
                        copy_folder(src, dst, checkpoints.as_ref(), &task, &cfg.settings, progress.as_ref()).await
                    }
                    .await;
                    match result {
                        Ok(mut report) => {
                            report.copied = report.copied.max(report.total_copied.saturating_sub(before));
                            break Ok(report);
                        }
                        Err(e) => {
                            conns = None;
                            if e.is_retryable() && !e.is_fenced() && attempt < cfg.attempts {
                                let wait = Duration::from_millis(200 * 2u64.pow(attempt.min(6)));
                                tracing::warn!(folder = %folder.path, attempt, error = %e, wait_ms = wait.as_millis() as u64, "folder copy failed; retrying from the checkpoint");
                                tokio::time::sleep(wait).await;
                            } else {
                                break Err(e);
                            }
                        }
                    }
                };
                let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
                match outcome {
                    Ok(report) => r.0.push(report),
                    Err(e) => r.1.push((folder.path.clone(), e.to_string())),
                }
            }
            if let Some((src, dst)) = conns {
                src.logout().await;
                dst.logout().await;
            }
        }
    });
    futures::future::join_all(workers).await;
    let (mut folders, failed) = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    folders.sort_by(|a: &FolderReport, b| (a.path != "INBOX", &a.path).cmp(&(b.path != "INBOX", &b.path)));
    Ok(MailboxReport { plan: p, folders, failed })
}
