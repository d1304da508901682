//! Writing messages to the destination: APPEND with flags and INTERNALDATE (RFC 3501 §6.3.11), pipelined in
//! windows. With LITERAL+ (RFC 7888; LITERAL- up to 4096 bytes) every command and literal of a window goes out
//! without waiting; otherwise each literal waits for the server's `+`, and the completions are still read in
//! bulk. APPENDUID (RFC 4315) is read from each completion. A refused message is an outcome, not an error.
//! With MULTIAPPEND (RFC 3502) a whole batch is one command and one transaction on the server; it is atomic, so
//! when the server refuses it the batch is sent again message by message to find out which one it refuses.

use super::ImapError;
use super::date::InternalDate;
use super::flag::{Flag, Flags};
use super::parse::code_number;
use super::response::Resp;
use super::session::{Session, quote};

/// A message to append. Flags and date are typed values, so nothing but valid `flag-list` and `date-time`
/// syntax can be written; the body only ever travels as a literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutMessage {
    pub flags: Vec<Flag>,
    pub internal_date: Option<InternalDate>,
    pub body: Vec<u8>,
}

/// ` (flags) "date"` of one message in an APPEND.
fn flags_and_date(m: &OutMessage) -> String {
    let date = m.internal_date.map(|d| format!(" \"{d}\"")).unwrap_or_default();
    format!(" ({}){date}", Flags::wire(&m.flags))
}

/// What became of one appended message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Appended {
    /// Stored; the new UID when the server reports APPENDUID.
    Stored { uid: Option<u32> },
    /// Refused by the server, with its words.
    Refused { text: String },
}

impl Session {
    fn non_sync(&self, len: usize) -> bool {
        self.has("LITERAL+") || (self.has("LITERAL-") && len <= 4096)
    }

    /// Append a batch: one MULTIAPPEND command when the server offers it (with non-synchronising literals),
    /// else [`Session::append_all`]. Returns one outcome per message.
    pub async fn append_batch(&mut self, wire: &str, messages: &[OutMessage]) -> Result<Vec<Appended>, ImapError> {
        if messages.len() < 2 || !self.has("MULTIAPPEND") || !messages.iter().all(|m| self.non_sync(m.body.len())) {
            return self.append_all(wire, messages).await;
        }
        let tag = self.tag();
        let head = format!("{tag} APPEND {}", quote(wire)?);
        self.write_parts(&[head.as_bytes()], false).await?;
        for m in messages {
            let part = format!("{} {{{}+}}\r\n", flags_and_date(m), m.body.len());
            self.write_parts(&[part.as_bytes(), &m.body], false).await?;
        }
        self.write_parts(&[b"\r\n"], true).await?;
        loop {
            match self.next().await? {
                Resp::Untagged(_) => {}
                Resp::Continue => {
                    return Err(ImapError::protocol("an unexpected continuation request during MULTIAPPEND"));
                }
                Resp::Tagged { tag: t, status, text, code } if t == tag => {
                    if status == super::response::Status::Ok {
                        let uids = code.as_deref().and_then(|c| appenduid_set(c, messages.len()));
                        return Ok(match uids {
                            Some(uids) => uids.into_iter().map(|uid| Appended::Stored { uid: Some(uid) }).collect(),
                            None => vec![Appended::Stored { uid: None }; messages.len()],
                        });
                    }
                    tracing::debug!(
                        reason = %text, messages = messages.len(), "multiappend refused; appending one by one"
                    );
                    return self.append_all(wire, messages).await;
                }
                Resp::Tagged { tag: t, .. } => {
                    return Err(ImapError::protocol(format!("completion for unknown tag {t} during APPEND")));
                }
            }
        }
    }

    /// Append every message to `wire` (a modified UTF-7 name), in order. Returns one outcome per message.
    pub async fn append_all(&mut self, wire: &str, messages: &[OutMessage]) -> Result<Vec<Appended>, ImapError> {
        let mailbox = quote(wire)?;
        let mut tags: Vec<String> = Vec::with_capacity(messages.len());
        let mut outcomes: Vec<Option<Appended>> = vec![None; messages.len()];
        for m in messages {
            let tag = self.tag();
            tags.push(tag.clone());
            let meta = flags_and_date(m);
            let len = m.body.len();
            if self.non_sync(len) {
                // Buffered: the whole window goes out with one flush below.
                let head = format!("{tag} APPEND {mailbox}{meta} {{{len}+}}\r\n");
                self.write_parts(&[head.as_bytes(), &m.body, b"\r\n"], false).await?;
                continue;
            }
            // Synchronising literal: wait for "+". Completions of earlier APPENDs may arrive first.
            self.write(format!("{tag} APPEND {mailbox}{meta} {{{len}}}\r\n").as_bytes()).await?;
            loop {
                match self.next().await? {
                    Resp::Continue => {
                        self.write_parts(&[&m.body, b"\r\n"], false).await?;
                        break;
                    }
                    Resp::Untagged(_) => {}
                    Resp::Tagged { tag: t, status, code, text } => {
                        let done = t == tag;
                        record(&tags, &mut outcomes, &t, status, code, text)?;
                        if done {
                            break; // refused before the literal was sent (e.g. too big)
                        }
                    }
                }
            }
        }
        self.write_parts(&[], true).await?;
        while outcomes.iter().any(Option::is_none) {
            match self.next().await? {
                Resp::Untagged(_) => {}
                Resp::Continue => return Err(ImapError::protocol("an unexpected continuation request after APPEND")),
                Resp::Tagged { tag, status, code, text } => record(&tags, &mut outcomes, &tag, status, code, text)?,
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }
}

/// Record the completion of one APPEND by its tag.
fn record(
    tags: &[String],
    outcomes: &mut [Option<Appended>],
    tag: &str,
    status: super::response::Status,
    code: Option<String>,
    text: String,
) -> Result<(), ImapError> {
    let i = tags
        .iter()
        .position(|t| t == tag)
        .ok_or_else(|| ImapError::protocol(format!("completion for unknown tag {tag}")))?;
    if outcomes[i].is_some() {
        return Err(ImapError::protocol(format!("two completions for tag {tag}")));
    }
    outcomes[i] = Some(match status {
        super::response::Status::Ok => Appended::Stored { uid: code.as_deref().and_then(appenduid) },
        _ => Appended::Refused { text: code.map_or(text.clone(), |c| format!("[{c}] {text}")) },
    });
    Ok(())
}

/// The new UIDs from a MULTIAPPEND's `APPENDUID <uidvalidity> <uid-set>` (RFC 4315 §3: in the order the
/// messages were given), when the set names exactly `count` UIDs; `None` otherwise (nothing is guessed).
fn appenduid_set(code: &str, count: usize) -> Option<Vec<u32>> {
    code_number(code, "APPENDUID")?;
    let set = code.split_whitespace().nth(2)?;
    let mut uids = Vec::with_capacity(count);
    for part in set.split(',') {
        let (a, b) = part.split_once(':').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        let (low, high) = (a.min(b), a.max(b));
        // UID 0 is no UID; more UIDs than messages is not a set for these messages (and is never expanded).
        if low == 0 || uids.len() + (high - low) as usize + 1 > count {
            return None;
        }
        uids.extend(low..=high);
    }
    (uids.len() == count).then_some(uids)
}

/// The new UID from `APPENDUID <uidvalidity> <uid>`.
fn appenduid(code: &str) -> Option<u32> {
    code_number(code, "APPENDUID")?;
    code.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::appenduid_set;

    #[test]
    fn a_multiappend_uid_set_gives_one_uid_per_message_or_none() {
        assert_eq!(appenduid_set("APPENDUID 1700000000 4:6", 3), Some(vec![4, 5, 6]));
        assert_eq!(appenduid_set("APPENDUID 1700000000 4,7:8", 3), Some(vec![4, 7, 8]));
        assert_eq!(appenduid_set("APPENDUID 1700000000 9", 1), Some(vec![9]));
        assert_eq!(appenduid_set("APPENDUID 1700000000 4:6", 2), None, "more UIDs than messages");
        assert_eq!(appenduid_set("APPENDUID 1700000000 4:5", 3), None, "fewer UIDs than messages");
        assert_eq!(appenduid_set("APPENDUID 1700000000 1:4294967295", 3), None, "never expanded past the count");
        assert_eq!(appenduid_set("APPENDUID 1700000000 0:2", 3), None, "UID 0 is no UID");
        assert_eq!(appenduid_set("APPENDUID 1700000000 a:b", 2), None);
        assert_eq!(appenduid_set("READ-WRITE", 2), None);
    }
}
