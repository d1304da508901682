//! Parsing responses (RFC 3501 §7, formal syntax §9) into typed values: a small tokenizer ([`Tokens`]) for atoms,
//! numbers, quoted strings, literals, NIL and parenthesised lists, with limits on nesting and sizes, and the FETCH
//! response ([`fetch`]: UID, FLAGS, INTERNALDATE, RFC822.SIZE, the body, X-GM-LABELS). The other untagged
//! responses (LIST, STATUS, QUOTA, SEARCH …) are read token by token where they are asked for; an untagged
//! response of another kind is passed over there, never taken for the one expected.

use super::ImapError;
use super::date::InternalDate;
use super::flag::Flags;
use std::ops::Range;

/// One token or list of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Atom(String),
    Number(u64),
    /// A quoted string, unescaped.
    Str(Vec<u8>),
    /// A literal: its byte range in the response buffer (not copied).
    Literal(Range<usize>),
    List(Vec<Value>),
    Nil,
}

impl Value {
    /// The bytes of a string-like value (atom, quoted, literal); `None` for NIL, numbers and lists.
    pub fn bytes<'a>(&'a self, buf: &'a [u8]) -> Option<&'a [u8]> {
        match self {
            Value::Atom(a) => Some(a.as_bytes()),
            Value::Str(s) => Some(s),
            Value::Literal(r) => buf.get(r.clone()),
            _ => None,
        }
    }

    /// Text of a string-like value, lossily.
    pub fn text(&self, buf: &[u8]) -> Option<String> {
        self.bytes(buf).map(|b| String::from_utf8_lossy(b).into_owned())
    }

    fn number(&self) -> Option<u64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// Tokenizer over one response buffer.
pub struct Tokens<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Lists open around the current position, and values made so far (see [`MAX_DEPTH`], [`MAX_VALUES`]).
    depth: usize,
    values: usize,
}

/// Deepest nesting of parenthesised lists accepted (real responses nest a few levels; `((((…` a million deep
/// would overflow the stack).
pub const MAX_DEPTH: usize = 32;
/// Most values in one response (a body is one value; a listing line a handful): a response made of millions of
/// tiny literals or atoms cannot turn its bytes into gigabytes of values.
pub const MAX_VALUES: usize = 1 << 20;

impl<'a> Tokens<'a> {
    pub fn new(buf: &'a [u8], pos: usize) -> Self {
        Tokens { buf, pos, depth: 0, values: 0 }
    }

    fn skip_spaces(&mut self) {
        while self.pos < self.buf.len() && self.buf[self.pos] == b' ' {
            self.pos += 1;
        }
    }

    /// The rest of the line as text (for resp-text), consuming it.
    pub fn rest(&mut self) -> String {
        self.skip_spaces();
        let end = self.buf[self.pos..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map_or(self.buf.len(), |p| self.pos + p);
        let s = String::from_utf8_lossy(&self.buf[self.pos..end]).into_owned();
        self.pos = end;
        s
    }

    /// `[code] text` after a status word: the code (without brackets) and the text.
    pub fn resp_text(&mut self) -> (Option<String>, String) {
        self.skip_spaces();
        if self.buf.get(self.pos) == Some(&b'[')
            && let Some(close) = self.buf[self.pos..].iter().position(|&b| b == b']')
        {
            let code = String::from_utf8_lossy(&self.buf[self.pos + 1..self.pos + close]).into_owned();
            self.pos += close + 1;
            return (Some(code), self.rest());
        }
        (None, self.rest())
    }

    /// The next value, or `None` at the end of the line.
    pub fn next_value(&mut self) -> Result<Option<Value>, ImapError> {
        self.skip_spaces();
        let Some(&b) = self.buf.get(self.pos) else { return Ok(None) };
        if !matches!(b, b'\r' | b'\n' | b')') {
            self.values += 1;
            if self.values > MAX_VALUES {
                return Err(ImapError::protocol(format!("a response of more than {MAX_VALUES} values")));
            }
        }
        match b {
            b'\r' | b'\n' | b')' => Ok(None),
            b'(' => {
                if self.depth >= MAX_DEPTH {
                    return Err(ImapError::protocol(format!("lists nested more than {MAX_DEPTH} deep")));
                }
                self.pos += 1;
                self.depth += 1;
                let mut items = Vec::new();
                while let Some(v) = self.next_value()? {
                    items.push(v);
                }
                self.depth -= 1;
                self.skip_spaces();
                if self.buf.get(self.pos) != Some(&b')') {
                    return Err(ImapError::protocol("a list without its closing parenthesis"));
                }
                self.pos += 1;
                Ok(Some(Value::List(items)))
            }
            b'"' => self.quoted().map(Some),
            b'{' => self.literal().map(Some),
            _ => Ok(Some(self.atom())),
        }
    }

    fn quoted(&mut self) -> Result<Value, ImapError> {
        self.pos += 1;
        let mut out = Vec::new();
        while let Some(&b) = self.buf.get(self.pos) {
            self.pos += 1;
            match b {
                b'"' => return Ok(Value::Str(out)),
                b'\\' => {
                    let &next = self
                        .buf
                        .get(self.pos)
                        .ok_or_else(|| ImapError::protocol("a quoted string ending in a backslash"))?;
                    out.push(next);
                    self.pos += 1;
                }
                b'\r' | b'\n' => break,
                _ => out.push(b),
            }
        }
        Err(ImapError::protocol("an unterminated quoted string"))
    }

    fn literal(&mut self) -> Result<Value, ImapError> {
        let close = self.buf[self.pos..]
            .iter()
            .position(|&b| b == b'}')
            .ok_or_else(|| ImapError::protocol("a literal marker without '}'"))?;
        let inner = &self.buf[self.pos + 1..self.pos + close];
        let len = literal_digits(inner.strip_suffix(b"+").unwrap_or(inner))
            .ok_or_else(|| ImapError::protocol("a literal marker without a valid length"))?;
        let mut start = self.pos + close + 1;
        if self.buf.get(start) == Some(&b'\r') {
            start += 1;
        }
        if self.buf.get(start) != Some(&b'\n') {
            return Err(ImapError::protocol("a literal marker not at the end of a line"));
        }
        start += 1;
        let end = start.checked_add(len).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| ImapError::protocol("a literal shorter than announced"))?;
        self.pos = end;
        Ok(Value::Literal(start..end))
    }

    fn atom(&mut self) -> Value {
        let start = self.pos;
        while let Some(&b) = self.buf.get(self.pos) {
            match b {
                b' ' | b'(' | b')' | b'\r' | b'\n' | b'"' => break,
                b'[' => {
                    // A section such as BODY[HEADER.FIELDS (SUBJECT)] is one token, spaces included.
                    match self.buf[self.pos..].iter().position(|&c| c == b']') {
                        Some(close) => self.pos += close + 1,
                        None => self.pos = self.buf.len(),
                    }
                }
                _ => self.pos += 1,
            }
        }
        let s = String::from_utf8_lossy(&self.buf[start..self.pos]).into_owned();
        if s.eq_ignore_ascii_case("NIL") {
            Value::Nil
        } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map(Value::Number).unwrap_or(Value::Atom(s))
        } else {
            Value::Atom(s)
        }
    }
}

/// A literal's length (RFC 3501 §9 `number`): ASCII digits only (no sign, no space), at most 10 of them (a
/// `number` is 32-bit), checked. `None` for anything else, so no marker can wrap an addition or ask for 2^64 bytes.
pub(crate) fn literal_digits(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
    u32::try_from(n).ok().and_then(|n| usize::try_from(n).ok())
}

/// What one FETCH response carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetch {
    pub seq: u32,
    pub uid: Option<u32>,
    /// FLAGS, validated: only atoms and system flags are kept (a literal or a quoted string in FLAGS is dropped).
    pub flags: Option<Flags>,
    /// INTERNALDATE when present: parsed, or `None` inside when it was not a quoted `date-time`.
    pub internal_date: Option<Option<InternalDate>>,
    pub size: Option<u64>,
    pub modseq: Option<u64>,
    /// `BODY[]` as a range of the response buffer.
    pub body: Option<Range<usize>>,
    /// Gmail's `X-GM-MSGID` (64-bit, the same in every folder) and `X-GM-LABELS` (decoded; at most
    /// [`MAX_LABELS`], each at most 1,000 characters; what is not a label is left out).
    pub gm_msgid: Option<u64>,
    pub gm_labels: Option<Vec<String>>,
}

/// The most labels kept for one message (Gmail allows about 10,000 labels per account, rarely many per message).
pub const MAX_LABELS: usize = 500;

/// Parse the attribute list of `* n FETCH (...)`.
pub fn fetch(seq: u32, list: &[Value], buf: &[u8]) -> Result<Fetch, ImapError> {
    let mut f = Fetch { seq, ..Default::default() };
    let mut it = list.iter();
    while let Some(key) = it.next() {
        let Value::Atom(key) = key else { return Err(ImapError::protocol("a FETCH item name that is not an atom")) };
        let value = it.next().ok_or_else(|| ImapError::protocol(format!("FETCH item {key} without a value")))?;
        match key.to_ascii_uppercase().as_str() {
            "UID" => f.uid = value.number().map(|n| n as u32),
            "RFC822.SIZE" => f.size = value.number(),
            "INTERNALDATE" => {
                let parsed = match value {
                    Value::Str(s) => std::str::from_utf8(s).ok().and_then(InternalDate::parse),
                    _ => None,
                };
                f.internal_date = Some(parsed);
            }
            "FLAGS" => {
                let Value::List(items) = value else { return Err(ImapError::protocol("FLAGS is not a list")) };
                // Only atoms can be flags; anything else is kept as a marker so Flags drops and reports it.
                let raw = items.iter().map(|v| match v {
                    Value::Atom(a) => a.clone(),
                    other => other.text(buf).unwrap_or_else(|| format!("{other:?}")).chars().take(80).collect(),
                });
                f.flags = Some(Flags::from_raw(raw));
            }
            "MODSEQ" => f.modseq = if let Value::List(v) = value { v.first().and_then(Value::number) } else { None },
            "X-GM-MSGID" => f.gm_msgid = value.number(),
            "X-GM-LABELS" => f.gm_labels = Some(labels(value, buf)),
            "BODY[]" | "RFC822" => {
                f.body = match value {
                    Value::Literal(r) => Some(r.clone()),
                    Value::Nil => None,
                    _ => return Err(ImapError::protocol("BODY[] is neither a literal nor NIL")),
                }
            }
            _ => {}
        }
    }
    Ok(f)
}

/// The labels of an `X-GM-LABELS` list: atoms as they are (`\Inbox`), strings decoded from modified UTF-7.
fn labels(value: &Value, buf: &[u8]) -> Vec<String> {
    let Value::List(items) = value else { return Vec::new() };
    let label = |v: &Value| match v {
        Value::Atom(a) => Some(a.clone()),
        Value::Str(_) | Value::Literal(_) => v.bytes(buf).and_then(|b| super::utf7::decode(b).ok()),
        _ => None,
    };
    let ok = |l: &String| !l.is_empty() && l.chars().count() <= 1000 && !l.chars().any(char::is_control);
    items.iter().filter_map(label).filter(ok).take(MAX_LABELS).collect()
}

/// Take a byte range out of a buffer without a second allocation (the buffer is consumed).
pub fn take_range(mut buf: Vec<u8>, range: Range<usize>) -> Vec<u8> {
    buf.truncate(range.end);
    buf.drain(..range.start);
    buf
}

/// A number inside a response code, e.g. `code_number("UIDVALIDITY 3857529045", "UIDVALIDITY")`.
pub fn code_number(code: &str, name: &str) -> Option<u64> {
    let mut parts = code.split_whitespace();
    if !parts.next()?.eq_ignore_ascii_case(name) {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(s: &[u8]) -> Vec<Value> {
        let mut t = Tokens::new(s, 0);
        let mut out = Vec::new();
        while let Some(v) = t.next_value().unwrap() {
            out.push(v);
        }
        out
    }

    #[test]
    fn tokens() {
        let buf = b"* 3 FETCH (UID 7 FLAGS (\\Seen $Label1) INTERNALDATE \" 7-Jul-2024 02:44:25 +0200\" BODY[] \
         {5}\r\nhello)\r\n";
        let v = values(buf);
        assert_eq!(v[0], Value::Atom("*".into()));
        assert_eq!(v[1], Value::Number(3));
        let Value::List(items) = &v[3] else { panic!() };
        let f = fetch(3, items, buf).unwrap();
        assert_eq!(f.uid, Some(7));
        assert_eq!(Flags::wire(&f.flags.unwrap().kept), "\\Seen $Label1");
        assert_eq!(f.internal_date.unwrap().unwrap().to_string(), "07-Jul-2024 02:44:25 +0200");
        assert_eq!(&buf[f.body.clone().unwrap()], b"hello");
        assert_eq!(take_range(buf.to_vec(), f.body.unwrap()), b"hello");
    }

    /// Gmail's extension items: the 64-bit message id, and labels as atoms or modified UTF-7 strings; a label with
    /// a control character, or one that does not decode, is left out rather than trusted.
    #[test]
    fn gmail_message_ids_and_labels() {
        let buf = b"* 1 FETCH (UID 4 X-GM-MSGID 1278455344230334865 X-GM-LABELS (\\Inbox \"Caf&AOk-/2024\" Work \
         \"bad\\\"\" {4}\r\nx\r\ny \"&Jjo\"))\r\n";
        let v = values(buf);
        let Value::List(items) = &v[3] else { panic!("{v:?}") };
        let f = fetch(1, items, buf).unwrap();
        assert_eq!(f.gm_msgid, Some(1_278_455_344_230_334_865));
        assert_eq!(f.gm_labels.unwrap(), ["\\Inbox", "Café/2024", "Work", "bad\""]);
    }

    #[test]
    fn sections_quotes_and_codes() {
        let v = values(b"BODY[HEADER.FIELDS (A B)] \"a \\\"q\\\" \\\\\" NIL 12\r\n");
        assert_eq!(
            v,
            [
                Value::Atom("BODY[HEADER.FIELDS (A B)]".into()),
                Value::Str(b"a \"q\" \\".to_vec()),
                Value::Nil,
                Value::Number(12)
            ]
        );
        let mut t = Tokens::new(b"[UIDVALIDITY 42] UIDs valid\r\n", 0);
        assert_eq!(t.resp_text(), (Some("UIDVALIDITY 42".into()), "UIDs valid".into()));
        assert_eq!(code_number("UIDVALIDITY 42", "uidvalidity"), Some(42));
        assert!(Tokens::new(b"(a b\r\n", 0).next_value().is_err());
        assert!(Tokens::new(b"{10}\r\nabc", 0).next_value().is_err());
        assert!(Tokens::new(b"{+18446744073709551591}\r\nabc", 0).next_value().is_err());
        assert!(Tokens::new(b"{18446744073709551615}\r\nabc", 0).next_value().is_err());
        assert!(Tokens::new(b"{ 3}\r\nabc", 0).next_value().is_err());
    }

    #[test]
    fn nesting_and_value_counts_are_capped() {
        let deep = "(".repeat(1_000_000);
        let err = Tokens::new(deep.as_bytes(), 0).next_value().unwrap_err();
        assert!(err.to_string().contains("nested more than 32 deep"), "{err}");
        let mut ok = "(".repeat(MAX_DEPTH);
        ok.push_str(&")".repeat(MAX_DEPTH));
        assert!(Tokens::new(ok.as_bytes(), 0).next_value().unwrap().is_some());
        let many = "(".to_string() + &"a ".repeat(MAX_VALUES + 1) + ")";
        let err = Tokens::new(many.as_bytes(), 0).next_value().unwrap_err();
        assert!(err.to_string().contains("more than 1048576 values"), "{err}");
    }

    #[test]
    fn literal_lengths_are_digits() {
        assert_eq!(literal_digits(b"0"), Some(0));
        assert_eq!(literal_digits(b"4294967295"), Some(4_294_967_295));
        for bad in [&b""[..], b"+1", b"-1", b" 1", b"4294967296", b"00000000001", b"1e3"] {
            assert_eq!(literal_digits(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
