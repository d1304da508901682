//! Fingerprints of destination messages, as a multiset, for resuming an open batch or re-scanning a folder
//! after a UIDVALIDITY change.

use crate::imap::{ImapError, Session};
use crate::model::Uid;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// SHA-256 of a whole message.
pub type Fingerprint = [u8; 32];

/// Fingerprint a message.
pub fn fingerprint(body: &[u8]) -> Fingerprint {
    Sha256::digest(body).into()
}

/// A multiset of fingerprints: `take` succeeds once per stored copy.
#[derive(Debug, Default)]
pub struct Present(HashMap<Fingerprint, u32>);

impl Present {
    /// True (and one copy consumed) when a message with this fingerprint is already on the destination.
    pub fn take(&mut self, f: &Fingerprint) -> bool {
        match self.0.get_mut(f) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Fingerprint every message of the destination folder `wire` with UID ≥ `from` (selects it read-only).
pub async fn destination_from(dst: &mut Session, wire: &str, from: Uid) -> Result<Present, ImapError> {
    let mut present = Present::default();
    let sel = dst.open(wire, true).await?;
    if sel.exists == 0 {
        return Ok(present);
    }
    let uids: Vec<Uid> = dst.metadata_from(from).await?.into_iter().map(|m| m.uid).collect();
    for chunk in uids.chunks(200) {
        let tag = dst.start_bodies(chunk).await?;
        while let Some(b) = dst.next_body(&tag).await? {
            *present.0.entry(fingerprint(&b.body)).or_default() += 1;
        }
    }
    tracing::debug!(folder = wire, from = from.get(), messages = uids.len(), "fingerprinted destination messages");
    Ok(present)
}
