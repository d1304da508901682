//! What each copied message was written with, per folder: its source UID, its destination UID (from APPENDUID,
//! RFC 4315; 0 when the destination did not say) and the flags stored. A later pass compares the source's flags
//! now with these and writes only the difference, so a change a user made on the destination is never reverted.
//!
//! Compact on purpose (a folder may hold 100,000 messages): a binary list, UIDs delta-coded as LEB128 varints, the
//! five system flags as one byte, keywords by length. About 3–4 bytes per message without keywords. Decoding is
//! bounded and checked: a damaged ledger is an error, never a panic or an unbounded allocation.

use crate::imap::{Flag, Keyword};
use crate::model::FolderKey;
use crate::ports::{Blobs, PortError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The format's first byte.
const VERSION: u8 = 1;
/// The most entries one ledger may hold (ten times the biggest folder we plan for).
const MAX_ENTRIES: usize = 2_000_000;
/// The most keywords kept per message.
const MAX_KEYWORDS: usize = 64;

/// One message as written: its destination UID (0: unknown) and its flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub dest_uid: u32,
    pub flags: Vec<Flag>,
}

/// A folder's ledger, by source UID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    pub entries: BTreeMap<u32, Written>,
}

/// Why a stored ledger cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("damaged ledger: {0}")]
pub struct LedgerError(&'static str);

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, LedgerError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at).ok_or(LedgerError("ends inside a number"))?;
        *at += 1;
        n |= u64::from(b & 0x7f).checked_shl(shift).ok_or(LedgerError("a number too large"))?;
        if b & 0x80 == 0 {
            return Ok(n);
        }
    }
    Err(LedgerError("a number too long"))
}

fn u32_of(n: u64) -> Result<u32, LedgerError> {
    u32::try_from(n).map_err(|_| LedgerError("a UID above 2^32"))
}

/// The system flags as bits, the keywords apart.
fn split(flags: &[Flag]) -> (u8, Vec<&Keyword>) {
    let mut bits = 0u8;
    let mut keywords = Vec::new();
    for f in flags {
        match f {
            Flag::Seen => bits |= 1,
            Flag::Answered => bits |= 2,
            Flag::Flagged => bits |= 4,
            Flag::Deleted => bits |= 8,
            Flag::Draft => bits |= 16,
            Flag::Keyword(k) => keywords.push(k),
        }
    }
    (bits, keywords)
}

fn join(bits: u8, keywords: Vec<Keyword>) -> Vec<Flag> {
    let system = [(1, Flag::Seen), (2, Flag::Answered), (4, Flag::Flagged), (8, Flag::Deleted), (16, Flag::Draft)];
    let mut flags: Vec<Flag> = system.into_iter().filter(|(b, _)| bits & b != 0).map(|(_, f)| f).collect();
    flags.extend(keywords.into_iter().map(Flag::Keyword));
    flags.sort();
    flags
}

impl Ledger {
    /// Record (or replace) what a message was written with.
    pub fn record(&mut self, source_uid: u32, dest_uid: u32, flags: &[Flag]) {
        let mut flags = flags.to_vec();
        flags.sort();
        flags.dedup();
        self.entries.insert(source_uid, Written { dest_uid, flags });
    }

    /// Take in `other`'s entries (newer ones win).
    pub fn merge(&mut self, other: Ledger) {
        self.entries.extend(other.entries);
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 4 + 8);
        out.push(VERSION);
        put_varint(&mut out, self.entries.len() as u64);
        let (mut last_src, mut last_dst) = (0u64, 0u64);
        for (src, w) in &self.entries {
            put_varint(&mut out, u64::from(*src) - last_src);
            // Destination UIDs mostly rise with the source's; a zigzag delta keeps the rest small too.
            let delta = i64::from(w.dest_uid) - last_dst as i64;
            put_varint(&mut out, ((delta << 1) ^ (delta >> 63)) as u64);
            let (bits, keywords) = split(&w.flags);
            // The keyword count in the top three bits; 7 there means "the count follows".
            let n = keywords.len().min(MAX_KEYWORDS);
            out.push(bits | ((n.min(7) as u8) << 5));
            if n >= 7 {
                put_varint(&mut out, n as u64);
            }
            for k in keywords.iter().take(MAX_KEYWORDS) {
                put_varint(&mut out, k.as_str().len() as u64);
                out.extend_from_slice(k.as_str().as_bytes());
            }
            (last_src, last_dst) = (u64::from(*src), u64::from(w.dest_uid));
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Ledger, LedgerError> {
        if bytes.is_empty() {
            return Ok(Ledger::default());
        }
        if bytes[0] != VERSION {
            return Err(LedgerError("an unknown version"));
        }
        let mut at = 1;
        let count = varint(bytes, &mut at)? as usize;
        // Every entry takes at least three bytes: a count beyond what the bytes can hold is a lie.
        if count > MAX_ENTRIES || count > bytes.len() / 3 + 1 {
            return Err(LedgerError("more entries than it can hold"));
        }
        let mut ledger = Ledger::default();
        let (mut src, mut dst) = (0u64, 0i64);
        for _ in 0..count {
            src = src.checked_add(varint(bytes, &mut at)?).ok_or(LedgerError("a UID overflows"))?;
            let z = varint(bytes, &mut at)?;
            dst = dst.checked_add(((z >> 1) as i64) ^ -((z & 1) as i64)).ok_or(LedgerError("a UID overflows"))?;
            let head = *bytes.get(at).ok_or(LedgerError("ends inside an entry"))?;
            at += 1;
            let mut n_keywords = usize::from(head >> 5);
            if n_keywords == 7 {
                n_keywords = varint(bytes, &mut at)? as usize;
            }
            if n_keywords > MAX_KEYWORDS {
                return Err(LedgerError("too many keywords"));
            }
            let mut keywords = Vec::with_capacity(n_keywords);
            for _ in 0..n_keywords {
                let len = varint(bytes, &mut at)? as usize;
                let end = at.checked_add(len).filter(|e| *e <= bytes.len()).ok_or(LedgerError("ends in a keyword"))?;
                let text = std::str::from_utf8(&bytes[at..end]).map_err(|_| LedgerError("a keyword not UTF-8"))?;
                keywords.push(Keyword::new(text).ok_or(LedgerError("a keyword that is not an atom"))?);
                at = end;
            }
            let dest_uid = u32::try_from(dst).map_err(|_| LedgerError("a destination UID out of range"))?;
            ledger.entries.insert(u32_of(src)?, Written { dest_uid, flags: join(head & 0x1f, keywords) });
        }
        if at != bytes.len() {
            return Err(LedgerError("bytes after the last entry"));
        }
        Ok(ledger)
    }
}

/// Where ledgers are kept: one object per folder in the job's object store (S3 on AWS, files embedded), under
/// `ledgers/<job>/<mailbox>/`. About 400 KB for a folder of 100,000 messages; one GET and one PUT per folder and
/// pass, plus one of each per 5,000 messages copied.
#[derive(Clone)]
pub struct LedgerStore(pub Arc<dyn Blobs>);

impl std::fmt::Debug for LedgerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerStore")
    }
}

impl LedgerStore {
    fn object(key: &FolderKey) -> String {
        let hash = Sha256::digest(key.folder.as_bytes());
        let name: String = hash.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("ledgers/{}/{}/{name}.bin", key.job, key.mailbox)
    }

    /// The folder's ledger (empty when there is none yet).
    pub async fn load(&self, key: &FolderKey) -> Result<Ledger, PortError> {
        let bytes = self.0.get(&Self::object(key)).await?.unwrap_or_default();
        Ledger::decode(&bytes).map_err(|e| PortError::corrupt(format!("ledger of {key}"), e))
    }

    pub async fn save(&self, key: &FolderKey, ledger: &Ledger) -> Result<(), PortError> {
        self.0.put(&Self::object(key), ledger.encode(), "application/octet-stream").await
    }
}

/// Write the tail into the ledger object once it holds this many messages (the tail rides in the checkpoint,
/// which must stay well under DynamoDB's 400 KB item).
const FLUSH_AT: usize = 5_000;

/// A folder copy's side of the ledger: the entries of this run's batches not yet in the ledger object (kept in
/// the checkpoint with every save), and the mod-sequence the source reported when the run opened the folder.
pub(super) struct Ledgered<'a> {
    store: Option<&'a LedgerStore>,
    tail: Ledger,
    pub modseq_now: Option<u64>,
}

impl<'a> Ledgered<'a> {
    /// Start a run on the folder `key`: `flag_pass`, a later pass over a folder copied before (its flags are due
    /// for comparison); `renumbered`, the source's UIDVALIDITY changed (the ledger's UIDs mean nothing now, so it
    /// starts over). A first run records the mod-sequence its flags are read at.
    pub async fn open(
        store: Option<&'a LedgerStore>,
        key: &FolderKey,
        cp: &mut crate::model::Checkpoint,
        (flag_pass, renumbered): (bool, bool),
        modseq_now: Option<u64>,
    ) -> Result<Ledgered<'a>, PortError> {
        let Some(s) = store else { return Ok(Ledgered { store, tail: Ledger::default(), modseq_now }) };
        if renumbered {
            s.save(key, &Ledger::default()).await?;
        }
        let tail = Ledger::from_text(&cp.ledger_tail).map_err(|e| PortError::corrupt(format!("ledger of {key}"), e))?;
        cp.flag_sync_due |= flag_pass;
        if !flag_pass && cp.modseq.is_none() && cp.last_uid.is_none() {
            cp.modseq = modseq_now;
        }
        Ok(Ledgered { store, tail, modseq_now })
    }

    /// A message stored (or found already there: `dest_uid` 0) with `flags`.
    pub fn record(&mut self, source_uid: u32, dest_uid: Option<u32>, flags: &[Flag]) {
        if self.store.is_some() {
            self.tail.record(source_uid, dest_uid.unwrap_or(0), flags);
        }
    }

    /// Before a checkpoint save: the tail into the checkpoint, or into the ledger object once it is long.
    pub async fn before_save(&mut self, key: &FolderKey, cp: &mut crate::model::Checkpoint) -> Result<(), PortError> {
        if self.tail.entries.len() >= FLUSH_AT {
            self.flush(key, cp).await?;
        }
        cp.ledger_tail = self.tail.to_text();
        Ok(())
    }

    /// The tail into the ledger object (read, merged, written); the checkpoint's copy emptied.
    pub async fn flush(&mut self, key: &FolderKey, cp: &mut crate::model::Checkpoint) -> Result<(), PortError> {
        if self.tail.entries.is_empty() {
            return Ok(());
        }
        match self.merged(key, cp).await? {
            Some(ledger) => self.save(key, &ledger).await,
            None => Ok(()),
        }
    }

    /// The whole ledger, the tail merged in (and emptied, with the checkpoint's copy): what a flag pass compares
    /// against, to be saved once after it. `None` when none is kept.
    pub async fn merged(
        &mut self,
        key: &FolderKey,
        cp: &mut crate::model::Checkpoint,
    ) -> Result<Option<Ledger>, PortError> {
        let Some(store) = self.store else { return Ok(None) };
        let mut ledger = store.load(key).await?;
        ledger.merge(std::mem::take(&mut self.tail));
        cp.ledger_tail.clear();
        Ok(Some(ledger))
    }

    pub async fn save(&self, key: &FolderKey, ledger: &Ledger) -> Result<(), PortError> {
        match self.store {
            Some(store) => store.save(key, ledger).await,
            None => Ok(()),
        }
    }
}

impl Ledger {
    /// The entries as kept in a checkpoint (`Checkpoint::ledger_tail`).
    pub fn to_text(&self) -> String {
        if self.entries.is_empty() { String::new() } else { B64.encode(self.encode()) }
    }

    pub fn from_text(text: &str) -> Result<Ledger, LedgerError> {
        Ledger::decode(&B64.decode(text).map_err(|_| LedgerError("not base64"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(s: &str) -> Flag {
        Flag::Keyword(Keyword::new(s).unwrap())
    }

    #[test]
    fn round_trips_and_stays_small() {
        let mut l = Ledger::default();
        for uid in 1..=100_000u32 {
            let flags = if uid % 10 == 0 { vec![Flag::Seen, kw("$Label1")] } else { vec![Flag::Seen] };
            l.record(uid, uid + 7, &flags);
        }
        l.record(100_005, 3, &[Flag::Flagged, Flag::Answered]);
        l.record(100_006, 0, &(0..9).map(|i| kw(&format!("k{i}"))).collect::<Vec<_>>());
        let bytes = l.encode();
        assert!(bytes.len() < 450_000, "{} bytes for 100,000 messages", bytes.len());
        assert_eq!(Ledger::decode(&bytes).unwrap(), l);
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let mut l = Ledger::default();
        l.record(5, 9, &[Flag::Seen, kw("work")]);
        let bytes = l.encode();
        for cut in 0..bytes.len() {
            assert!(Ledger::decode(&bytes[..cut]).is_err() || cut == 0, "cut at {cut}");
        }
        assert!(Ledger::decode(&[1, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err(), "a count beyond the bytes");
        assert!(Ledger::decode(&[9]).is_err());
        let mut bad = bytes.clone();
        bad.push(0);
        assert!(Ledger::decode(&bad).is_err());
        assert!(Ledger::decode(&[1, 1, 1, 2, 0x20, 2, b'a', b' ']).is_err(), "a keyword with a space");
    }
}
