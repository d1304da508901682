//! Reading one response line into what it means (RFC 3501 §7): a tagged completion, an untagged response whose
//! state (EXISTS, response codes, CAPABILITY, a BYE's words, a provider's `[THROTTLED]`) is folded into the
//! session, or a continuation request; and what a tagged completion means for its command.

use super::parse::{Tokens, Value, code_number};
use super::{ImapError, Session, signals};

/// A tagged completion's status (RFC 3501 §7.1). A word other than OK or NO counts as BAD: the command did not
/// succeed, and the server's answer is not trusted further.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

impl Status {
    fn of(word: &str) -> Status {
        match word.to_ascii_uppercase().as_str() {
            "OK" => Status::Ok,
            "NO" => Status::No,
            _ => Status::Bad,
        }
    }
}

/// One classified response.
pub(crate) enum Resp {
    Tagged {
        tag: String,
        status: Status,
        code: Option<String>,
        text: String,
    },
    /// An untagged response, kept whole (`* …`), with its literals inline.
    Untagged(Vec<u8>),
    Continue,
}

pub(super) fn classify(s: &mut Session, buf: Vec<u8>) -> Result<Resp, ImapError> {
    if buf.starts_with(b"+") {
        return Ok(Resp::Continue);
    }
    if buf.starts_with(b"* ") {
        let mut t = Tokens::new(&buf, 2);
        let first = t.next_value()?;
        match first {
            Some(Value::Atom(word)) => match word.to_ascii_uppercase().as_str() {
                "OK" | "NO" | "BAD" | "PREAUTH" => {
                    let (code, text) = t.resp_text();
                    note_code(s, code.as_deref());
                    signals::note_text(s, &text);
                }
                "BYE" => {
                    let (_, text) = t.resp_text();
                    // A BYE before LOGOUT's completion is normal; the caller sees the closed stream next, and
                    // these words with it.
                    tracing::debug!(text = %text, "server said bye");
                    s.bye = Some(text);
                }
                "CAPABILITY" => {
                    let rest = t.rest();
                    s.capabilities = rest.split_whitespace().map(|c| c.to_ascii_uppercase()).collect();
                    s.capabilities_seen = true;
                }
                _ => {}
            },
            Some(Value::Number(n)) => {
                let kind = t.next_value()?.and_then(|v| v.text(&buf)).unwrap_or_default().to_ascii_uppercase();
                if let Some(sel) = s.selected.as_mut() {
                    match kind.as_str() {
                        // A count beyond 32 bits is no count: never cut down to one.
                        "EXISTS" => sel.exists = u32::try_from(n).unwrap_or(sel.exists),
                        "EXPUNGE" => sel.exists = sel.exists.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        return Ok(Resp::Untagged(buf));
    }
    let mut t = Tokens::new(&buf, 0);
    let tag =
        t.next_value()?.and_then(|v| v.text(&buf)).ok_or_else(|| ImapError::protocol("an empty response line"))?;
    let status = Status::of(&t.next_value()?.and_then(|v| v.text(&buf)).unwrap_or_default());
    let (code, text) = t.resp_text();
    note_code(s, code.as_deref());
    signals::note_text(s, &text);
    Ok(Resp::Tagged { tag, status, code, text })
}

/// What a command's tagged completion means: OK gives its response code; NO and BAD become errors naming the
/// command (a NO keeps the code's first word, e.g. `UNAVAILABLE`, which decides whether a retry can help).
pub(crate) fn completion(
    command: &'static str,
    status: Status,
    code: Option<String>,
    text: String,
) -> Result<Option<String>, ImapError> {
    match status {
        Status::Ok => Ok(code),
        Status::No => {
            Err(signals::refusal(command, text, code.map(|c| c.split_whitespace().next().unwrap_or("").to_string())))
        }
        Status::Bad => Err(ImapError::Bad { command, text }),
    }
}

/// Fold a response code into the session: capabilities, the open folder's UIDVALIDITY/UIDNEXT/HIGHESTMODSEQ and
/// READ-ONLY, and a provider's `[THROTTLED]`.
pub(super) fn note_code(s: &mut Session, code: Option<&str>) {
    let Some(code) = code else { return };
    let upper = code.to_ascii_uppercase();
    if let Some(caps) = upper.strip_prefix("CAPABILITY ") {
        s.capabilities = caps.split_whitespace().map(str::to_string).collect();
        s.capabilities_seen = true;
    }
    if let Some(sel) = s.selected.as_mut() {
        // Beyond 32 bits or 0 is no UIDVALIDITY / UIDNEXT (never cut down to one).
        let uid32 = |name| code_number(code, name).and_then(|n| u32::try_from(n).ok());
        if let Some(v) = uid32("UIDVALIDITY") {
            sel.uid_validity = crate::model::UidValidity::new(v);
        }
        if let Some(n) = uid32("UIDNEXT") {
            sel.uid_next = crate::model::Uid::new(n);
        }
        if let Some(n) = code_number(code, "HIGHESTMODSEQ") {
            sel.highest_modseq = Some(n);
        }
        if upper == "READ-ONLY" {
            sel.read_only = true;
        }
    }
    if upper == "THROTTLED" {
        s.slow_down.seen = true;
    }
}
