//! Reading messages from the source: a cheap metadata pass (`UID FETCH n:* (UID FLAGS INTERNALDATE
//! RFC822.SIZE)`) and then bodies with `BODY.PEEK[]` (RFC 3501 §6.4.5: PEEK never sets \Seen), streamed one
//! response at a time so memory holds one message, not a whole chunk.

use super::ImapError;
use super::date::InternalDate;
use super::flag::Flag;
use super::parse::{Tokens, Value, fetch, take_range};
use super::response::{Resp, completion};
use super::session::Session;
use crate::model::Uid;

/// What the metadata pass knows of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMeta {
    pub uid: Uid,
    /// The flags that can be written back (validated; `\Recent` left out).
    pub flags: Vec<Flag>,
    /// Flags the source sent that are not valid to write back, as sent (for the report only).
    pub dropped_flags: Vec<String>,
    /// INTERNALDATE, parsed; `None` when the source sent something that is not a date (the copy then gets the
    /// destination's arrival time, and the report says so).
    pub internal_date: Option<InternalDate>,
    pub size: u64,
    /// Gmail sources only (`X-GM-EXT-1`): the message's `X-GM-MSGID`, the same in every folder, and its labels.
    pub gm_msgid: Option<u64>,
    pub labels: Vec<String>,
}

/// A message body as fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedBody {
    pub uid: Uid,
    pub body: Vec<u8>,
}

/// A compact UID set (`1:5,7,9:12`) for sorted UIDs.
pub fn uid_set(uids: &[Uid]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i].get();
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1].get() == end + 1 {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string())
        } else {
            out.push_str(&format!("{start}:{end}"))
        }
        i += 1;
    }
    out
}

/// The FETCH inside an untagged response, if it is one.
pub(crate) fn as_fetch(buf: &[u8]) -> Result<Option<super::parse::Fetch>, ImapError> {
    let mut t = Tokens::new(buf, 2);
    let Some(Value::Number(seq)) = t.next_value()? else { return Ok(None) };
    if !t.next_value()?.and_then(|v| v.text(buf)).is_some_and(|k| k.eq_ignore_ascii_case("FETCH")) {
        return Ok(None);
    }
    let Some(Value::List(items)) = t.next_value()? else { return Err(ImapError::protocol("FETCH without attributes")) };
    fetch(seq as u32, &items, buf).map(Some)
}

impl Session {
    /// Metadata of every message with UID ≥ `from`, sorted by UID. (`n:*` also matches the last message when n
    /// is above every UID, RFC 3501 §6.4.8, so the range is filtered here.)
    pub async fn metadata_from(&mut self, from: Uid) -> Result<Vec<MessageMeta>, ImapError> {
        let tag = self.send_metadata_from(from).await?;
        self.finish_metadata_from(&tag, from).await
    }

    /// Send (flush) the metadata FETCH; its answer is read by [`Session::finish_metadata_from`].
    pub(crate) async fn send_metadata_from(&mut self, from: Uid) -> Result<String, ImapError> {
        let tag = self.tag();
        tracing::trace!(tag = %tag, command = "UID FETCH", "imap command");
        // From Gmail also which message it is across folders and its labels (see `gmail`).
        let gmail = if self.has("X-GM-EXT-1") { " X-GM-MSGID X-GM-LABELS" } else { "" };
        let line = format!("{tag} UID FETCH {}:* (UID FLAGS INTERNALDATE RFC822.SIZE{gmail})\r\n", from.get());
        self.write(line.as_bytes()).await?;
        Ok(tag)
    }

    pub(crate) async fn finish_metadata_from(&mut self, tag: &str, from: Uid) -> Result<Vec<MessageMeta>, ImapError> {
        let (untagged, _) = self.finish(tag, "UID FETCH").await?;
        let mut out = Vec::new();
        for u in &untagged {
            let Some(f) = as_fetch(u)? else { continue };
            let (Some(uid), Some(flags), Some(date), Some(size)) = (f.uid, f.flags, f.internal_date, f.size) else {
                // A FETCH with only FLAGS is an unsolicited flag update; anything else incomplete is a broken answer.
                if f.uid.is_some() {
                    return Err(ImapError::Inconsistent {
                        detail: format!("metadata of UID {} is incomplete", f.uid.unwrap_or(0)),
                    });
                }
                continue;
            };
            let uid = Uid::new(uid).ok_or_else(|| ImapError::protocol("UID 0"))?;
            if uid >= from {
                let dropped_flags = flags.dropped.into_iter().map(|(raw, _)| raw).collect();
                let labels = f.gm_labels.unwrap_or_default();
                let (internal_date, gm_msgid) = (date, f.gm_msgid);
                out.push(MessageMeta { uid, flags: flags.kept, dropped_flags, internal_date, size, gm_msgid, labels });
            }
        }
        out.sort_by_key(|m| m.uid);
        out.dedup_by_key(|m| m.uid);
        Ok(out)
    }

    /// EXAMINE a folder and, pipelined behind it (RFC 3501 §5.5), fetch the metadata of its messages from UID
    /// `from` on: one round trip instead of two. If the EXAMINE fails the server has no folder selected (RFC 3501
    /// §6.3.1), so the FETCH fails too; its completion is drained and the EXAMINE's error returned.
    pub async fn examine_with_metadata(
        &mut self,
        wire_name: &str,
        from: Uid,
    ) -> Result<(super::Selected, Vec<MessageMeta>), ImapError> {
        let open_tag = self.send_open(wire_name, true, false).await?;
        let fetch_tag = self.send_metadata_from(from).await?;
        let selected = match self.finish_open(&open_tag, true).await {
            Ok(s) => s,
            Err(e) => {
                let _ = self.finish(&fetch_tag, "UID FETCH").await;
                return Err(e);
            }
        };
        let metas = self.finish_metadata_from(&fetch_tag, from).await?;
        Ok((selected, metas))
    }

    /// Which of `uids` still exist (`UID SEARCH UID set`), to tell an expunged message from a lost answer.
    pub async fn uid_search(&mut self, uids: &[Uid]) -> Result<Vec<u32>, ImapError> {
        let (untagged, _) = self.run("UID SEARCH", &format!("UID {}", uid_set(uids))).await?;
        let mut found = Vec::new();
        for u in &untagged {
            let mut t = Tokens::new(u, 2);
            if !t.next_value()?.and_then(|v| v.text(u)).is_some_and(|k| k.eq_ignore_ascii_case("SEARCH")) {
                continue;
            }
            while let Some(v) = t.next_value()? {
                if let Value::Number(n) = v {
                    found.push(n as u32);
                }
            }
        }
        Ok(found)
    }

    /// Start fetching bodies of `uids`; read them with [`Session::next_body`] until it returns `None`.
    pub async fn start_bodies(&mut self, uids: &[Uid]) -> Result<String, ImapError> {
        let tag = self.tag();
        self.write(format!("{tag} UID FETCH {} (UID BODY.PEEK[])\r\n", uid_set(uids)).as_bytes()).await?;
        Ok(tag)
    }

    /// The next body of the fetch started as `tag`, or `None` when the server completed it.
    pub async fn next_body(&mut self, tag: &str) -> Result<Option<FetchedBody>, ImapError> {
        loop {
            match self.next().await? {
                Resp::Untagged(buf) => {
                    let Some(f) = as_fetch(&buf)? else { continue };
                    let (Some(uid), Some(range)) = (f.uid, f.body) else { continue };
                    let uid = Uid::new(uid).ok_or_else(|| ImapError::protocol("UID 0"))?;
                    return Ok(Some(FetchedBody { uid, body: take_range(buf, range) }));
                }
                Resp::Tagged { tag: t, status, code, text } if t == tag => {
                    return completion("UID FETCH", status, code, text).map(|_| None);
                }
                Resp::Tagged { tag: t, .. } => {
                    return Err(ImapError::protocol(format!("completion for unknown tag {t} during UID FETCH")));
                }
                Resp::Continue => return Err(ImapError::protocol("a continuation request during UID FETCH")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets() {
        let u = |v: &[u32]| v.iter().map(|&n| Uid::new(n).unwrap()).collect::<Vec<_>>();
        assert_eq!(uid_set(&u(&[1, 2, 3, 5, 7, 8])), "1:3,5,7:8");
        assert_eq!(uid_set(&u(&[4])), "4");
        assert_eq!(uid_set(&[]), "");
    }
}
