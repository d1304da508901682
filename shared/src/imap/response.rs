//! Reading one response line into what it means (RFC 3501 §7): a tagged completion, an untagged response whose
//! state (EXISTS, response codes, CAPABILITY, a BYE's words, a provider's `[THROTTLED]`) is folded into the
//! session, or a continuation request; and what a tagged completion means for its command.

use super::parse::{Tokens, Value, code_number};
use super::{ImapError, Session, signals};

/// One classified response.
pub(crate) enum Resp {
    Tagged {
        tag: String,
        status: String,
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
                        "EXISTS" => sel.exists = n as u32,
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
    let status = t.next_value()?.and_then(|v| v.text(&buf)).unwrap_or_default().to_ascii_uppercase();
    let (code, text) = t.resp_text();
    note_code(s, code.as_deref());
    signals::note_text(s, &text);
    Ok(Resp::Tagged { tag, status, code, text })
}

/// What a command's tagged completion means: OK gives its response code; NO and BAD become errors naming the
/// command (a NO keeps the code's first word, e.g. `UNAVAILABLE`, which decides whether a retry can help).
pub(crate) fn completion(
    command: &'static str,
    status: &str,
    code: Option<String>,
    text: String,
) -> Result<Option<String>, ImapError> {
    match status {
        "OK" => Ok(code),
        "NO" => {
            Err(signals::refusal(command, text, code.map(|c| c.split_whitespace().next().unwrap_or("").to_string())))
        }
        _ => Err(ImapError::Bad { command, text }),
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
        if let Some(n) = code_number(code, "UIDVALIDITY") {
            sel.uid_validity = Some(n as u32);
        }
        if let Some(n) = code_number(code, "UIDNEXT") {
            sel.uid_next = Some(n as u32);
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
