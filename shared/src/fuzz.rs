//! Entry points for the fuzz targets in `fuzz/` (built only with the `fuzzing` feature): each takes arbitrary
//! bytes and drives one untrusted-input path the way production does. Any panic, endless loop or runaway
//! allocation they find is a bug; they assert the few properties that must always hold (round trips, the
//! pattern matcher agreeing with a slow reference).

use crate::csv::{self, Options, Purpose};
use crate::imap::reader::{ReadLimits, read_response};
use crate::imap::{self, Session, parse};
use crate::model::Uid;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime"))
}

/// A server that says `data` and then hangs up; whatever the client writes is swallowed.
struct Replay {
    data: Vec<u8>,
    at: usize,
}

impl AsyncRead for Replay {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let n = buf.remaining().min(self.data.len() - self.at).min(977); // odd chunks: splits land anywhere
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Replay {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Server bytes through the response reader and every parser, then through a whole session (greeting, LIST,
/// NAMESPACE, STATUS, EXAMINE + metadata FETCH, body FETCH, APPEND), as a hostile server would send them.
pub fn imap_responses(data: &[u8]) {
    runtime().block_on(async {
        let limits = ReadLimits { max_line: 4096, max_literal: 1 << 16, max_response: 1 << 17 };
        let mut r = tokio::io::BufReader::new(data);
        let mut buf = Vec::new();
        for _ in 0..256 {
            match read_response(&mut r, &mut buf, &limits, Duration::from_secs(1)).await {
                Ok(true) => {}
                _ => break,
            }
            let mut t = parse::Tokens::new(&buf, 0);
            while let Ok(Some(_)) = t.next_value() {}
            let _ = parse::Tokens::new(&buf, 0).resp_text();
            let _ = imap::fetch::as_fetch(&buf);
            let _ = imap::folders::parse_list(&buf);
            let _ = imap::folders::parse_status(std::slice::from_ref(&buf));
        }
        let stream = Box::new(Replay { data: data.to_vec(), at: 0 });
        let Ok(mut s) = Session::start(stream, Duration::from_secs(1)).await else { return };
        let _ = s.list_all().await;
        let _ = s.personal_namespace().await;
        let _ = s.status_many(&["INBOX".into(), "Sent".into()]).await;
        let one = Uid::new(1).expect("non-zero");
        if let Ok((_, metas)) = s.examine_with_metadata("INBOX", one).await {
            let uids: Vec<Uid> = metas.iter().map(|m| m.uid).collect();
            if let Ok(tag) = s.start_bodies(&uids).await {
                while let Ok(Some(_)) = s.next_body(&tag).await {}
            }
            let out: Vec<imap::OutMessage> = metas
                .into_iter()
                .take(4)
                .map(|m| imap::OutMessage { flags: m.flags, internal_date: m.internal_date, body: b"x".to_vec() })
                .collect();
            let _ = s.append_batch("INBOX", &out).await;
        }
        let _ = s.storage_free().await;
    });
}

/// An upload through the CSV reader and both validators (as a migration, as an import, and sniffed).
pub fn csv_upload(data: &[u8]) {
    let limits = csv::Limits { max_bytes: 1 << 20, max_rows: 500 };
    for expect in [None, Some(Purpose::Migration), Some(Purpose::Import)] {
        let options = Options { expect, limits, ..Default::default() };
        if let Ok(v) = csv::validate(data, &options) {
            let _ = v.summary();
        }
    }
}

/// Modified UTF-7: whatever decodes must encode back to something that decodes to the same name, and any text
/// must survive encode → decode.
pub fn utf7(data: &[u8]) {
    if let Ok(name) = imap::utf7::decode(data) {
        let again = imap::utf7::encode(&name);
        assert_eq!(imap::utf7::decode(again.as_bytes()).as_deref(), Ok(name.as_str()), "round trip of {name:?}");
    }
    let text = String::from_utf8_lossy(data);
    assert_eq!(imap::utf7::decode(imap::utf7::encode(&text).as_bytes()).as_deref(), Ok(&*text));
}

/// The folder pattern matcher: `pattern NUL path`. On short inputs it must agree with a plain backtracking
/// matcher (exponential in general, fine at this size).
pub fn folder_pattern(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (pattern, path) = text.split_once('\0').unwrap_or((&text, ""));
    let fast = imap::plan::matches(pattern, path);
    if pattern.chars().count() <= 12
        && path.chars().count() <= 16
        && !pattern.to_ascii_uppercase().starts_with("INBOX")
        && !path.to_ascii_uppercase().starts_with("INBOX")
    {
        let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), path.chars().collect());
        assert_eq!(fast, slow(&p, &t), "{pattern:?} against {path:?}");
    }
}

fn slow(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| slow(rest, &t[i..])),
        Some(('%', rest)) => (0..=t.len()).take_while(|&i| i == 0 || t[i - 1] != '/').any(|i| slow(rest, &t[i..])),
        Some((c, rest)) => t.first() == Some(c) && slow(rest, &t[1..]),
    }
}

/// A server URL from the command line.
pub fn server_url(data: &[u8]) {
    if let Ok(url) = std::str::from_utf8(data)
        && let Ok(u) = imap::url::parse(url)
    {
        assert!(u.port > 0, "{url:?}");
    }
}
