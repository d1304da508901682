//! The flag pass of a folder copied before: the source's flags now against the ledger's (what each message was
//! written with), and only the difference written to the destination (`+FLAGS` what the source added, `-FLAGS`
//! what it removed), so whatever a user changed on the destination meanwhile stays: a message flagged there and
//! read on the source ends flagged and read. With CONDSTORE and a mod-sequence from the last pass, only the
//! messages whose mod-sequence moved are read (RFC 7162 `CHANGEDSINCE`); otherwise every message's flags
//! (`UID FETCH 1:n (UID FLAGS)`), which also shows the messages expunged on the source: they stay on the
//! destination (nothing is deleted without being asked) and are counted.

use super::ledger::Ledger;
use crate::imap::plan::FolderPlan;
use crate::imap::{Flag, ImapError, Session};
use crate::model::Uid;
use std::collections::{BTreeMap, HashSet};

/// What a flag pass found and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagChanges {
    /// Messages whose flags changed on the source, changed on the destination.
    pub changed: u64,
    /// Messages gone from the source since the last pass (left on the destination).
    pub expunged: u64,
    /// Messages whose flags changed but whose destination UID is unknown (the destination gave no APPENDUID).
    pub unmapped: u64,
}

/// Compare and apply; the ledger takes the new flags (and loses the expunged messages). `changed_since`: the
/// mod-sequence of the ledger's flags, used when the source announced CONDSTORE.
pub(super) async fn sync_flags(
    src: &mut Session,
    dst: &mut Session,
    plan: &FolderPlan,
    ledger: &mut Ledger,
    changed_since: Option<u64>,
) -> Result<FlagChanges, ImapError> {
    let mut found = FlagChanges::default();
    let Some(last) = ledger.entries.keys().next_back().and_then(|u| Uid::new(*u)) else { return Ok(found) };
    let since = changed_since.filter(|_| src.has("CONDSTORE"));
    let now = src.flags_until(last, since).await?;
    // Destination UIDs by the change to make, so each distinct change is one UID STORE per 500 messages.
    let mut changes: BTreeMap<(Vec<Flag>, Vec<Flag>), Vec<Uid>> = BTreeMap::new();
    for (uid, flags) in &now {
        let Some(written) = ledger.entries.get_mut(&uid.get()) else { continue }; // not one we copied
        let mut flags = flags.clone();
        flags.sort();
        flags.dedup();
        if flags == written.flags {
            continue;
        }
        let added: Vec<Flag> = flags.iter().filter(|f| !written.flags.contains(f)).cloned().collect();
        let removed: Vec<Flag> = written.flags.iter().filter(|f| !flags.contains(f)).cloned().collect();
        match Uid::new(written.dest_uid) {
            Some(dest) => {
                changes.entry((added, removed)).or_default().push(dest);
                found.changed += 1;
            }
            None => found.unmapped += 1,
        }
        written.flags = flags;
    }
    if since.is_none() {
        let present: HashSet<u32> = now.iter().map(|(u, _)| u.get()).collect();
        let gone: Vec<u32> = ledger.entries.keys().filter(|u| !present.contains(u)).copied().collect();
        found.expunged = gone.len() as u64;
        for uid in gone {
            ledger.entries.remove(&uid);
        }
    }
    if !changes.is_empty() {
        dst.open(&plan.dest_wire, false).await?;
        for ((added, removed), mut uids) in changes {
            uids.sort();
            dst.store_flags(&uids, true, &added).await?;
            dst.store_flags(&uids, false, &removed).await?;
        }
    }
    if found != FlagChanges::default() {
        tracing::info!(
            folder = %plan.path, changed = found.changed, expunged = found.expunged, unmapped = found.unmapped,
            condstore = since.is_some(), "flags carried over"
        );
    }
    Ok(found)
}
