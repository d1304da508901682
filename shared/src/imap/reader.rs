//! Reading whole responses off the wire (RFC 3501 §7): a line, and for every line ending in a literal marker
//! `{n}` (or `{n+}`), exactly n bytes and then the rest of the response. A response is kept as one contiguous
//! buffer with its literals inline, so a 40 MB message costs one buffer of 40 MB.

use super::ImapError;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// Limits that protect memory from a misbehaving server.
#[derive(Clone, Copy, Debug)]
pub struct ReadLimits {
    /// Longest line of text between literals.
    pub max_line: usize,
    /// Largest single literal (a message body).
    pub max_literal: usize,
    /// Largest whole response (lines and literals together).
    pub max_response: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits { max_line: 1 << 20, max_literal: 512 << 20, max_response: (512 << 20) + (4 << 20) }
    }
}

impl ReadLimits {
    /// For a greeting: a server has nothing large to say before it is asked.
    pub fn greeting() -> Self {
        ReadLimits { max_line: 64 << 10, max_literal: 64 << 10, max_response: 256 << 10 }
    }
}

/// Read one response into `buf` (cleared first). Returns `false` at a clean end of stream before any byte.
///
/// Every read waits at most `idle` for the next bytes; memory grows only as bytes arrive (a literal announced as
/// 500 MB costs nothing until the server sends it), and never beyond `limits`.
pub async fn read_response<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    limits: &ReadLimits,
    idle: Duration,
) -> Result<bool, ImapError> {
    buf.clear();
    loop {
        let line_start = buf.len();
        let max_line = limits.max_line.min(limits.max_response.saturating_sub(buf.len()));
        let n = read_line(r, buf, max_line, idle).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(false);
            }
            return Err(ImapError::Bye { text: "connection closed in the middle of a response".into() });
        }
        let Some(len) = literal_len(&buf[line_start..]) else { return Ok(true) };
        if len > limits.max_literal || buf.len().saturating_add(len) > limits.max_response {
            return Err(ImapError::protocol(format!(
                "a literal of {len} bytes exceeds the limit of {}",
                limits.max_literal.min(limits.max_response.saturating_sub(buf.len()))
            )));
        }
        read_literal(r, buf, len, idle).await?;
    }
}

/// Append exactly `len` bytes, in chunks, each chunk waiting at most `idle`.
async fn read_literal<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    len: usize,
    idle: Duration,
) -> Result<(), ImapError> {
    const CHUNK: usize = 256 << 10;
    let mut left = len;
    while left > 0 {
        let at = buf.len();
        let step = left.min(CHUNK);
        buf.resize(at + step, 0);
        let got = tokio::time::timeout(idle, r.read(&mut buf[at..]))
            .await
            .map_err(|_| ImapError::Timeout { op: "read literal", secs: idle.as_secs() })?
            .map_err(ImapError::io("read literal"))?;
        buf.truncate(at + got);
        if got == 0 {
            return Err(ImapError::Bye { text: "connection closed in the middle of a literal".into() });
        }
        left -= got;
    }
    Ok(())
}

async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
    idle: Duration,
) -> Result<usize, ImapError> {
    let start = buf.len();
    // A line is short: the whole of it must arrive within one idle wait.
    let n = tokio::time::timeout(idle, (&mut *r).take(max as u64 + 1).read_until(b'\n', buf))
        .await
        .map_err(|_| ImapError::Timeout { op: "read response", secs: idle.as_secs() })?
        .map_err(ImapError::io("read response"))?;
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
    super::parse::literal_digits(digits.strip_suffix(b"+").unwrap_or(digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn reads_lines_and_literals() {
        let wire = b"* 1 FETCH (BODY[] {5}\r\nab\r\nc FLAGS (\\Seen))\r\na1 OK done\r\n";
        let mut r = tokio::io::BufReader::new(&wire[..]);
        let mut buf = Vec::new();
        assert!(read_response(&mut r, &mut buf, &ReadLimits::default(), IDLE).await.unwrap());
        assert_eq!(buf, b"* 1 FETCH (BODY[] {5}\r\nab\r\nc FLAGS (\\Seen))\r\n");
        assert!(read_response(&mut r, &mut buf, &ReadLimits::default(), IDLE).await.unwrap());
        assert_eq!(buf, b"a1 OK done\r\n");
        assert!(!read_response(&mut r, &mut buf, &ReadLimits::default(), IDLE).await.unwrap());
    }

    #[tokio::test]
    async fn refuses_oversized_literals() {
        let wire = b"* 1 FETCH (BODY[] {999999}\r\n";
        let mut r = tokio::io::BufReader::new(&wire[..]);
        let limits = ReadLimits { max_line: 100, max_literal: 10, max_response: 1000 };
        assert!(matches!(read_response(&mut r, &mut Vec::new(), &limits, IDLE).await, Err(ImapError::Protocol { .. })));
    }

    #[test]
    fn literal_markers() {
        assert_eq!(literal_len(b"a {12}\r\n"), Some(12));
        assert_eq!(literal_len(b"a {12+}\r\n"), Some(12));
        assert_eq!(literal_len(b"a {x}\r\n"), None);
        assert_eq!(literal_len(b"a OK\r\n"), None);
        assert_eq!(literal_len(b"a {+18446744073709551591}\r\n"), None);
        assert_eq!(literal_len(b"a {99999999999}\r\n"), None);
    }

    #[tokio::test]
    async fn an_announced_literal_costs_nothing_until_it_arrives() {
        // 500 MB announced, 3 bytes sent: the read fails at the end of the stream without reserving 500 MB.
        let wire = b"* OK {500000000}\r\nabc";
        let mut r = tokio::io::BufReader::new(&wire[..]);
        let mut buf = Vec::new();
        assert!(matches!(
            read_response(&mut r, &mut buf, &ReadLimits::default(), IDLE).await,
            Err(ImapError::Bye { .. })
        ));
        assert!(buf.capacity() < 1 << 20, "{}", buf.capacity());
    }

    #[tokio::test]
    async fn a_whole_response_has_a_limit() {
        let wire = b"* 1 FETCH (A {6}\r\nabcdef B {6}\r\nabcdef)\r\n";
        let limits = ReadLimits { max_line: 100, max_literal: 10, max_response: 40 };
        let mut r = tokio::io::BufReader::new(&wire[..]);
        assert!(matches!(read_response(&mut r, &mut Vec::new(), &limits, IDLE).await, Err(ImapError::Protocol { .. })));
    }

    #[tokio::test]
    async fn silence_is_a_timeout() {
        let (client, mut server) = tokio::io::duplex(64);
        use tokio::io::AsyncWriteExt;
        server.write_all(b"* OK hel").await.unwrap();
        let mut r = tokio::io::BufReader::new(client);
        let got = read_response(&mut r, &mut Vec::new(), &ReadLimits::default(), Duration::from_millis(100)).await;
        assert!(matches!(got, Err(ImapError::Timeout { .. })), "{got:?}");
    }
}
