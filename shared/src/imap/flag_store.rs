//! Flags of messages already copied: read them from the source (all of them, or with CONDSTORE only those whose
//! mod-sequence moved, RFC 7162 §3.1.4 `CHANGEDSINCE`) and change them on the destination by difference
//! (`UID STORE +FLAGS.SILENT` / `-FLAGS.SILENT`, RFC 3501 §6.4.6), never by replacing the whole set.

use super::fetch::{as_fetch, uid_set};
use super::flag::{Flag, Flags};
use super::{ImapError, Session};
use crate::model::Uid;

/// UIDs per UID STORE command: keeps command lines short however scattered the UIDs are.
const STORE_CHUNK: usize = 500;

impl Session {
    /// The flags of every message with a UID up to `last` in the selected folder (only those whose mod-sequence is
    /// above `changed_since`, when given: the server must have announced CONDSTORE). Sorted by UID.
    pub async fn flags_until(
        &mut self,
        last: Uid,
        changed_since: Option<u64>,
    ) -> Result<Vec<(Uid, Vec<Flag>)>, ImapError> {
        let since = changed_since.map(|m| format!(" (CHANGEDSINCE {m})")).unwrap_or_default();
        let (untagged, _) = self.run("UID FETCH", &format!("1:{} (UID FLAGS){since}", last.get())).await?;
        let mut out = Vec::new();
        for u in &untagged {
            let Some(f) = as_fetch(u)? else { continue };
            let (Some(uid), Some(flags)) = (f.uid.and_then(Uid::new), f.flags) else { continue };
            if uid <= last {
                out.push((uid, flags.kept));
            }
        }
        out.sort_by_key(|(u, _)| *u);
        out.dedup_by_key(|(u, _)| *u);
        Ok(out)
    }

    /// Add (`add`) or remove `flags` on the messages `uids` of the folder selected read-write.
    pub async fn store_flags(&mut self, uids: &[Uid], add: bool, flags: &[Flag]) -> Result<(), ImapError> {
        if uids.is_empty() || flags.is_empty() {
            return Ok(());
        }
        let (sign, list) = (if add { '+' } else { '-' }, Flags::wire(flags));
        for chunk in uids.chunks(STORE_CHUNK) {
            self.run("UID STORE", &format!("{} {sign}FLAGS.SILENT ({list})", uid_set(chunk))).await?;
        }
        Ok(())
    }
}
