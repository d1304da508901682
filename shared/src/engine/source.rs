//! The source side of a folder copy: message bodies fetched batch by batch and handed over a bounded channel,
//! so fetching the next batch overlaps appending the previous one while memory stays bounded.

use super::copy_settings::CopySettings;
use crate::imap::{ImapError, MessageMeta, Session};
use crate::model::Uid;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// One batch of messages with their bodies; `gone` were expunged from the source after they were listed.
pub struct Batch {
    pub messages: Vec<(MessageMeta, Vec<u8>)>,
    pub gone: Vec<MessageMeta>,
}

/// Cut sorted metadata into batches of at most `max_bytes` (a larger message travels alone) and `max_count`.
pub fn plan_batches(metas: Vec<MessageMeta>, max_bytes: u64, max_count: usize) -> Vec<Vec<MessageMeta>> {
    let mut out: Vec<Vec<MessageMeta>> = Vec::new();
    let mut bytes = 0;
    for m in metas {
        let start_new = match out.last() {
            None => true,
            Some(last) => last.len() >= max_count || (bytes + m.size > max_bytes && !last.is_empty()),
        };
        if start_new {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += m.size;
        if let Some(last) = out.last_mut() {
            last.push(m);
        }
    }
    out
}

/// Fetch each batch's bodies and send it; stops early when the receiver is gone (deadline reached), or when
/// `settings`' deadline or a stop request ends a pause the source asked for.
pub async fn produce(
    src: &mut Session,
    batches: Vec<Vec<MessageMeta>>,
    tx: mpsc::Sender<Result<Batch, ImapError>>,
    settings: &CopySettings,
) {
    for metas in batches {
        let result = fetch_batch(src, metas).await;
        let failed = result.is_err();
        if tx.send(result).await.is_err() || failed {
            return;
        }
        // Answers marked [THROTTLED] (Gmail, before it starts refusing): pause before the next FETCH.
        if let Some(pause) = src.throttle_pause() {
            tracing::info!(pause_ms = pause.as_millis() as u64, "the source asks to slow down; pausing");
            if !paused(pause, settings).await {
                return;
            }
        }
    }
}

/// Wait `pause` in short slices, ending early at the deadline or a stop request; whether the copy may go on.
async fn paused(pause: Duration, settings: &CopySettings) -> bool {
    let until = tokio::time::Instant::now() + pause;
    while !settings.must_stop() {
        let now = tokio::time::Instant::now();
        if now >= until {
            return true;
        }
        tokio::time::sleep((until - now).min(Duration::from_millis(250))).await;
    }
    false
}

async fn fetch_batch(src: &mut Session, metas: Vec<MessageMeta>) -> Result<Batch, ImapError> {
    let uids: Vec<Uid> = metas.iter().map(|m| m.uid).collect();
    // What the batch may cost in memory: twice what the listing announced, plus slack for servers whose sizes
    // are a little off. A server that sends more (or bodies nobody asked for) is not believed.
    let announced: u64 = metas.iter().map(|m| m.size).sum();
    let allowed = announced.saturating_mul(2).saturating_add(16 << 20);
    let tag = src.start_bodies(&uids).await?;
    let mut bodies: HashMap<Uid, Vec<u8>> = HashMap::with_capacity(uids.len());
    let mut received = 0u64;
    while let Some(b) = src.next_body(&tag).await? {
        if uids.binary_search(&b.uid).is_err() {
            continue; // unsolicited: not ours to keep
        }
        received = received.saturating_add(b.body.len() as u64);
        if received > allowed {
            return Err(ImapError::Inconsistent {
                detail: format!("bodies of {received} bytes for messages announced as {announced} bytes"),
            });
        }
        bodies.insert(b.uid, b.body);
    }
    let missing: Vec<Uid> = uids.iter().copied().filter(|u| !bodies.contains_key(u)).collect();
    if !missing.is_empty() {
        // An empty answer is not proof of absence: ask again whether those messages still exist.
        let still_there = src.uid_search(&missing).await?;
        if !still_there.is_empty() {
            return Err(ImapError::Inconsistent {
                detail: format!(
                    "{} message(s) exist but their bodies were not returned (first UID {})",
                    still_there.len(),
                    still_there[0]
                ),
            });
        }
    }
    let mut batch = Batch { messages: Vec::with_capacity(metas.len()), gone: Vec::new() };
    for m in metas {
        match bodies.remove(&m.uid) {
            Some(body) => batch.messages.push((m, body)),
            None => batch.gone.push(m),
        }
    }
    Ok(batch)
}
