//! Reading whole responses off the wire (RFC 3501 §7): a line, and for every line ending in a literal marker
//! `{n}` (or `{n+}`), exactly n bytes and then the rest of the response. A response is kept as one contiguous
//! buffer with its literals inline, so a 40 MB message costs one buffer of 40 MB.

use super::ImapError;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Limits that protect memory from a misbehaving server.
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    /// Longest line of text between literals.
    pub max_line: usize,
    /// Largest single literal (a message body).
    pub max_literal: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_line: 1 << 20, max_literal: 512 << 20 }
    }
}

/// Read one response into `buf` (cleared first). Returns `false` at a clean end of stream before any byte.
pub async fn read_response<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    limits: &ReadLimits,
) -> Result<bool, ImapError> {
    buf.clear();
    loop {
        let line_start = buf.len();
        let n = read_line(r, buf, limits.max_line).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(false);
            }
            return Err(ImapError::Bye { text: "connection closed in the middle of a response".into() });
        }
        let Some(len) = literal_len(&buf[line_start..]) else { return Ok(true) };
        if len > limits.max_literal {
            return Err(ImapError::protocol(format!(
                "a literal of {len} bytes exceeds the limit of {}",
                limits.max_literal
            )));
        }
        let at = buf.len();
        buf.reserve_exact(len);
        buf.resize(at + len, 0);
        r.read_exact(&mut buf[at..]).await.map_err(ImapError::io("read literal"))?;
    }
}

async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> Result<usize, ImapError> {
    let start = buf.len();
    let n = (&mut *r).take(max as u64 + 1).read_until(b'\n', buf).await.map_err(ImapError::io("read response"))?;
    if n > max {
        return Err(ImapError::protocol(format!("a response line longer than {max} bytes")));
    }
    if n > 0 && !buf.ends_with(b"\n") {
        buf.truncate(start);
        return Err(ImapError::Bye { text: "connection closed in the middle of a line".into() });
    }
    Ok(n)
}

/// The literal length announced at the end of a line (`… {123}\r\n` or `{123+}`), if any.
pub(crate) fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_lines_and_literals() {
        let wire = b"* 1 FETCH (BODY[] {5}\r\nab\r\nc FLAGS (\\Seen))\r\na1 OK done\r\n";
        let mut r = tokio::io::BufReader::new(&wire[..]);
        let mut buf = Vec::new();
        assert!(read_response(&mut r, &mut buf, &ReadLimits::default()).await.unwrap());
        assert_eq!(buf, b"* 1 FETCH (BODY[] {5}\r\nab\r\nc FLAGS (\\Seen))\r\n");
        assert!(read_response(&mut r, &mut buf, &ReadLimits::default()).await.unwrap());
        assert_eq!(buf, b"a1 OK done\r\n");
        assert!(!read_response(&mut r, &mut buf, &ReadLimits::default()).await.unwrap());
    }

    #[tokio::test]
    async fn refuses_oversized_literals() {
        let wire = b"* 1 FETCH (BODY[] {999999}\r\n";
        let mut r = tokio::io::BufReader::new(&wire[..]);
        let limits = ReadLimits { max_line: 100, max_literal: 10 };
        assert!(matches!(read_response(&mut r, &mut Vec::new(), &limits).await, Err(ImapError::Protocol { .. })));
    }

    #[test]
    fn literal_markers() {
        assert_eq!(literal_len(b"a {12}\r\n"), Some(12));
        assert_eq!(literal_len(b"a {12+}\r\n"), Some(12));
        assert_eq!(literal_len(b"a {x}\r\n"), None);
        assert_eq!(literal_len(b"a OK\r\n"), None);
    }
}
