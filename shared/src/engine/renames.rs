//! Folders renamed on the source between passes. RENAME keeps a folder's messages and UIDs, and servers keep
//! its UIDVALIDITY (RFC 3501 §6.3.5 lets them; Dovecot, Cyrus and Courier do): a folder that is new to the
//! mailbox's plan, with no usable checkpoint, whose UIDVALIDITY is that of exactly one folder that vanished from
//! the source since the last pass, is that folder under its new name. Instead of copying it all again under the
//! new name beside the old copy, the destination folder is renamed too and its checkpoint and ledger move
//! along; the copy then finds only what is new.
//!
//! Crash-safe in this order: destination RENAME, ledger, checkpoint under the new name, old checkpoint reset.
//! A repeat finds the destination renamed already (and moves the checkpoint), or the new name with its
//! checkpoint (nothing to do). A folder whose destination copy is missing is not followed: it is copied anew.

use super::EngineError;
use super::sessions::{MailboxSync, mailbox_error};
use crate::imap::Session;
use crate::imap::plan::{FolderPlan, Listing, Plan, dest_of_path};
use crate::model::{Checkpoint, FolderKey};
use crate::ports::Checkpoints;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A source folder found under a new name (source paths, as reports show them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Renamed {
    pub from: String,
    pub to: String,
}

fn key_of(cfg: &MailboxSync, path: &str) -> FolderKey {
    FolderKey { job: cfg.job.clone(), mailbox: cfg.mailbox.clone(), folder: path.to_string() }
}

async fn checkpoints_of(
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
    paths: &[String],
) -> Result<Vec<Option<Checkpoint>>, EngineError> {
    futures::future::try_join_all(paths.iter().map(|p| async move {
        checkpoints.load(&key_of(cfg, p)).await.map_err(|source| EngineError::Checkpoint { folder: p.clone(), source })
    }))
    .await
}

/// Find the planned folders that are known folders renamed, and follow each on the destination (see the module
/// docs). `listings`: the source's and the destination's, as planned from (the destination's is updated).
pub(super) async fn follow_renames(
    (src, dst): (&mut Session, &mut Session),
    plan: &Plan,
    (source, dest): (&Listing, &mut Listing),
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
) -> Result<Vec<Renamed>, EngineError> {
    let vanished: Vec<String> = cfg
        .known_folders
        .iter()
        .filter(|k| *k != "INBOX" && !plan.folders.iter().any(|f| &f.path == *k))
        .cloned()
        .collect();
    if vanished.is_empty() {
        return Ok(Vec::new());
    }
    let old: Vec<(String, Checkpoint)> = vanished
        .iter()
        .cloned()
        .zip(checkpoints_of(cfg, checkpoints, &vanished).await?)
        .filter_map(|(p, cp)| cp.filter(|c| c.uid_validity.is_some()).map(|c| (p, c)))
        .collect();
    let paths: Vec<String> = plan.folders.iter().map(|f| f.path.clone()).collect();
    let fresh: Vec<&FolderPlan> = plan
        .folders
        .iter()
        .zip(checkpoints_of(cfg, checkpoints, &paths).await?)
        .filter(|(f, cp)| f.path != "INBOX" && cp.as_ref().is_none_or(|c| c.uid_validity.is_none()))
        .map(|(f, _)| f)
        .collect();
    if old.is_empty() || fresh.is_empty() {
        return Ok(Vec::new());
    }
    let wires: Vec<String> = fresh.iter().map(|f| f.source_wire.clone()).collect();
    let statuses = src.status_many(&wires).await.map_err(mailbox_error)?;
    let mut renamed = Vec::new();
    for (f, st) in fresh.into_iter().zip(statuses) {
        let same: Vec<&(String, Checkpoint)> =
            old.iter().filter(|(_, cp)| cp.uid_validity == st.uid_validity).collect();
        let [(from, cp)] = same.as_slice() else { continue };
        if renamed.iter().any(|r: &Renamed| &r.from == from) {
            continue;
        }
        if follow(dst, (from, f), (source, dest), cfg, checkpoints, cp).await? {
            tracing::info!(
                mailbox = %cfg.mailbox, from = %from, to = %f.path, "folder renamed on the source; followed"
            );
            renamed.push(Renamed { from: from.clone(), to: f.path.clone() });
        }
    }
    Ok(renamed)
}

/// Rename the destination folder of `from` to `to`'s and move the checkpoint and ledger. `false`: the old
/// destination folder is not there (and the new one neither), so nothing is moved and `to` is copied anew.
async fn follow(
    dst: &mut Session,
    (from, to): (&str, &FolderPlan),
    (source, dest): (&Listing, &mut Listing),
    cfg: &MailboxSync,
    checkpoints: &dyn Checkpoints,
    cp: &Checkpoint,
) -> Result<bool, EngineError> {
    let has = |l: &Listing, name: &str| l.entries.iter().any(|e| e.name == name);
    let Some(old_dest) = dest_of_path(from, source, dest) else { return Ok(false) };
    if !has(dest, &to.dest) {
        if !has(dest, &old_dest.dest) {
            return Ok(false);
        }
        dst.rename(&old_dest.dest_wire, &to.dest_wire).await.map_err(mailbox_error)?;
        if dest.subscribed.remove(&old_dest.dest) {
            dst.unsubscribe(&old_dest.dest_wire).await.map_err(mailbox_error)?;
        }
        if let Some(e) = dest.entries.iter_mut().find(|e| e.name == old_dest.dest) {
            (e.name, e.wire) = (to.dest.clone(), to.dest_wire.clone());
        }
    }
    let (old_key, new_key) = (key_of(cfg, from), key_of(cfg, &to.path));
    if let Some(ledgers) = &cfg.ledgers {
        let moving = async { ledgers.save(&new_key, &ledgers.load(&old_key).await?).await };
        moving.await.map_err(|source| EngineError::Checkpoint { folder: to.path.clone(), source })?;
    }
    put(checkpoints, cfg, &new_key, cp).await?;
    put(checkpoints, cfg, &old_key, &Checkpoint::default()).await?;
    Ok(true)
}

/// Write `cp` as `key`'s checkpoint under a short lease of our own.
async fn put(
    checkpoints: &dyn Checkpoints,
    cfg: &MailboxSync,
    key: &FolderKey,
    cp: &Checkpoint,
) -> Result<(), EngineError> {
    let fail = |source| EngineError::Checkpoint { folder: key.folder.clone(), source };
    let claim = checkpoints.acquire(key, &cfg.settings.owner, Duration::from_secs(60)).await.map_err(fail)?;
    checkpoints.save(key, claim.lease.fence, cp).await.map_err(fail)?;
    checkpoints.release(key, claim.lease.fence).await.map_err(fail)
}
