//! One IMAP connection after the greeting: tagged commands, untagged responses folded into what the engine
//! needs (capabilities, EXISTS, UIDVALIDITY, UIDNEXT), and the common commands. Every wait has a timeout.
//! Command arguments are never logged (LOGIN carries a password).

use super::ImapError;
use super::parse::Tokens;
use super::reader::{ReadLimits, read_response};
use super::response::{Resp, classify, completion, note_code};
use super::signals;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter, ReadHalf, WriteHalf};

/// Any bidirectional byte stream (TCP, TLS).
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// What EXAMINE/SELECT reported (RFC 3501 §6.3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selected {
    pub exists: u32,
    pub uid_validity: Option<crate::model::UidValidity>,
    pub uid_next: Option<crate::model::Uid>,
    pub highest_modseq: Option<u64>,
    pub read_only: bool,
}

/// A connected, greeted IMAP session.
pub struct Session {
    pub(crate) reader: BufReader<ReadHalf<Box<dyn Stream>>>,
    pub(crate) writer: BufWriter<WriteHalf<Box<dyn Stream>>>,
    next_tag: u32,
    pub(super) capabilities: BTreeSet<String>,
    /// Set whenever a CAPABILITY response or response code arrives (so a login can skip asking again).
    pub(crate) capabilities_seen: bool,
    pub(crate) timeout: Duration,
    pub(crate) limits: ReadLimits,
    pub(crate) selected: Option<Selected>,
    /// When the command now being answered was sent, and how many bytes have come back for it (see [`Session::next`]).
    command_started: tokio::time::Instant,
    command_bytes: u64,
    /// When the sign-in's access token was issued and stops working (bearer-token sign-ins only).
    pub(crate) signed_in: Option<(tokio::time::Instant, tokio::time::Instant)>,
    /// The token a minted bearer sign-in used, to give back as rejected when the server ends the session for it.
    pub(crate) signed_in_with: Option<(std::sync::Arc<dyn super::TokenSource>, crate::model::Secret<String>)>,
    /// The words of the server's last `* BYE`, for the error when the stream closes.
    pub(crate) bye: Option<String>,
    /// Pauses asked for by a provider's `[THROTTLED]` (see [`Session::throttle_pause`]).
    pub(crate) slow_down: signals::SlowDown,
    /// Open folders read-only with `(CONDSTORE)` (see [`Session::use_condstore`]).
    condstore_opens: bool,
}

/// How long a command may take in all: this many idle timeouts, plus the time its bytes take at
/// [`MIN_RATE`]. A server that trickles (a line every 50 s against a 60 s timeout) is cut off at the budget.
const COMMAND_BUDGET_IDLES: u32 = 10;
/// The slowest transfer rate (bytes per second) a command's budget allows for beyond the fixed part.
const MIN_RATE: u64 = 16 << 10;
/// Caps on what one command may accumulate (LIST, STATUS, metadata FETCH, SEARCH …): a metadata listing of a
/// 2-million-message folder fits; an endless stream of untagged responses does not.
const MAX_UNTAGGED: usize = 4_000_000;
const MAX_UNTAGGED_BYTES: usize = 512 << 20;

/// How long a server may take to greet (RFC 3501 §7.1: the greeting is the first thing it sends).
const GREETING_WAIT: Duration = Duration::from_secs(15);

impl Session {
    pub(super) fn new(stream: Box<dyn Stream>, timeout: Duration, first_tag: u32) -> Self {
        let (r, w) = tokio::io::split(stream);
        Session {
            reader: BufReader::with_capacity(64 * 1024, r),
            writer: BufWriter::with_capacity(256 * 1024, w),
            next_tag: first_tag,
            capabilities: BTreeSet::new(),
            capabilities_seen: false,
            timeout,
            limits: ReadLimits::default(),
            selected: None,
            command_started: tokio::time::Instant::now(),
            command_bytes: 0,
            signed_in: None,
            signed_in_with: None,
            bye: None,
            slow_down: signals::SlowDown::default(),
            condstore_opens: false,
        }
    }

    /// Read the greeting on a fresh stream; `Bye` if the server refuses the connection.
    pub async fn start(stream: Box<dyn Stream>, timeout: Duration) -> Result<Self, ImapError> {
        let mut s = Session::new(stream, timeout, 0);
        s.limits = ReadLimits::greeting();
        // A server greets at once; one that stays silent is most often a TLS port spoken to in plain text (it
        // waits for a ClientHello), which should not cost the whole answer timeout to find out.
        let wait = GREETING_WAIT.min(timeout);
        let silent = ImapError::Timeout { op: "read the greeting", secs: wait.as_secs() };
        let greeting = match tokio::time::timeout(wait, s.next()).await {
            Err(_) | Ok(Err(ImapError::Timeout { .. })) => return Err(silent),
            Ok(read) => read,
        };
        s.limits = ReadLimits::default();
        let Resp::Untagged(greeting) = greeting? else { return Err(ImapError::protocol("no greeting")) };
        let mut t = Tokens::new(&greeting, 2);
        let status = t.next_value()?.and_then(|v| v.text(&greeting)).unwrap_or_default().to_ascii_uppercase();
        let (code, text) = t.resp_text();
        if status == "BYE" {
            return Err(ImapError::Bye { text });
        }
        note_code(&mut s, code.as_deref());
        Ok(s)
    }

    /// Continue on a stream that has no greeting of its own (after STARTTLS).
    pub(crate) fn resume(stream: Box<dyn Stream>, timeout: Duration) -> Self {
        Session::new(stream, timeout, 1000)
    }

    /// Take the raw stream back (for STARTTLS). Bytes already buffered after the server's OK would be an
    /// injection attack (CVE-2011-0411 style), so they are refused.
    pub(crate) fn into_stream(self) -> Result<Box<dyn Stream>, ImapError> {
        if !self.reader.buffer().is_empty() {
            return Err(ImapError::protocol("data after the STARTTLS response, before TLS started"));
        }
        Ok(self.reader.into_inner().unsplit(self.writer.into_inner()))
    }

    /// The server's capabilities (upper case), from the greeting or the last CAPABILITY.
    pub fn capabilities(&self) -> &BTreeSet<String> {
        &self.capabilities
    }

    /// Whether the server announced `cap` (case-insensitive), e.g. `LITERAL+`, `AUTH=PLAIN`.
    pub fn has(&self, cap: &str) -> bool {
        self.capabilities.contains(&cap.to_ascii_uppercase())
    }

    /// The value of a `NAME=value` capability, e.g. `APPENDLIMIT=…`.
    pub fn capability_value(&self, name: &str) -> Option<String> {
        let prefix = format!("{}=", name.to_ascii_uppercase());
        self.capabilities.iter().find_map(|c| c.strip_prefix(&prefix).map(str::to_string))
    }

    /// The folder currently open, as reported when it was opened and updated by EXISTS since.
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    /// A new tag; also starts the time and byte budget of the command it is for.
    pub(crate) fn tag(&mut self) -> String {
        self.command_started = tokio::time::Instant::now();
        self.command_bytes = 0;
        self.next_tag += 1;
        format!("m{}", self.next_tag)
    }

    /// Send bytes now.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<(), ImapError> {
        self.write_parts(&[bytes], true).await
    }

    /// Write parts into the send buffer (a whole APPEND window can go out with one flush); `flush` sends.
    pub(crate) async fn write_parts(&mut self, parts: &[&[u8]], flush: bool) -> Result<(), ImapError> {
        let secs = self.timeout.as_secs();
        let writer = &mut self.writer;
        tokio::time::timeout(self.timeout, async {
            for p in parts {
                writer.write_all(p).await?;
            }
            if flush { writer.flush().await } else { Ok(()) }
        })
        .await
        .map_err(|_| ImapError::Timeout { op: "send", secs })?
        .map_err(ImapError::io("send"))
    }

    /// Read and classify the next response, folding untagged state (EXISTS, codes, CAPABILITY) in.
    ///
    /// Two clocks: every read waits at most the idle timeout, and the whole command (since its tag was made) gets
    /// [`COMMAND_BUDGET_IDLES`] idle timeouts plus the time its bytes need at [`MIN_RATE`].
    pub(crate) async fn next(&mut self) -> Result<Resp, ImapError> {
        let mut buf = Vec::new();
        let budget = self.timeout * COMMAND_BUDGET_IDLES + Duration::from_secs(self.command_bytes / MIN_RATE);
        let spent = self.command_started.elapsed();
        let secs = budget.as_secs();
        let left = budget.checked_sub(spent).filter(|d| !d.is_zero());
        let left = left.ok_or(ImapError::Timeout { op: "complete a command", secs })?;
        let read = read_response(&mut self.reader, &mut buf, &self.limits, self.timeout);
        let got = tokio::time::timeout(left, read)
            .await
            .map_err(|_| ImapError::Timeout { op: "complete a command", secs })??;
        if !got {
            // The server's own words when it said BYE first (a token that expired, a throttled session).
            return Err(signals::closed(self.bye.take()));
        }
        self.command_bytes = self.command_bytes.saturating_add(buf.len() as u64);
        classify(self, buf)
    }

    /// Send `command args` and collect its untagged responses; NO and BAD become errors naming `command`.
    pub(crate) async fn run(
        &mut self,
        command: &'static str,
        args: &str,
    ) -> Result<(Vec<Vec<u8>>, Option<String>), ImapError> {
        let tag = self.tag();
        tracing::trace!(tag = %tag, command, "imap command");
        let line = if args.is_empty() { format!("{tag} {command}\r\n") } else { format!("{tag} {command} {args}\r\n") };
        self.write(line.as_bytes()).await?;
        self.finish(&tag, command).await
    }

    /// Read until the completion of `tag`, collecting untagged responses.
    pub(crate) async fn finish(
        &mut self,
        tag: &str,
        command: &'static str,
    ) -> Result<(Vec<Vec<u8>>, Option<String>), ImapError> {
        let mut untagged = Vec::new();
        let mut bytes = 0usize;
        loop {
            match self.next().await? {
                Resp::Untagged(u) => {
                    bytes += u.len();
                    if untagged.len() >= MAX_UNTAGGED || bytes > MAX_UNTAGGED_BYTES {
                        return Err(ImapError::protocol(format!(
                            "more than {MAX_UNTAGGED} responses or {MAX_UNTAGGED_BYTES} bytes for one {command}"
                        )));
                    }
                    untagged.push(u);
                }
                Resp::Continue => {
                    return Err(ImapError::protocol(format!("an unexpected continuation request during {command}")));
                }
                Resp::Tagged { tag: t, status, code, text } if t == tag => {
                    return completion(command, status, code, text).map(|code| (untagged, code));
                }
                Resp::Tagged { tag: t, .. } => {
                    return Err(ImapError::protocol(format!("a completion for unknown tag {t} during {command}")));
                }
            }
        }
    }

    /// Ask for the capabilities again (they change after login and STARTTLS).
    pub async fn refresh_capabilities(&mut self) -> Result<(), ImapError> {
        self.run("CAPABILITY", "").await.map(|_| ())
    }

    /// Close politely; errors are ignored (the connection is going away anyway).
    pub async fn logout(mut self) {
        let _ = self.run("LOGOUT", "").await;
    }

    /// Open a folder read-only (EXAMINE) or read-write (SELECT).
    ///
    /// `(CONDSTORE)` only when asked for ([`Session::use_condstore`]: copies that keep a ledger, so later passes
    /// read only the flags that changed): it makes Dovecot switch on mod-sequence tracking in the folder's index (a
    /// write in the server's own files, not the mail) and doubled EXAMINE on a 3,700-message folder (11 ms against
    /// 5.5 ms). A server with persistent mod-sequences reports HIGHESTMODSEQ anyway (RFC 7162 §3.1.2.1).
    pub async fn open(&mut self, wire_name: &str, read_only: bool) -> Result<Selected, ImapError> {
        let tag = self.send_open(wire_name, read_only, true).await?;
        self.finish_open(&tag, read_only).await
    }

    /// From now on, open folders read-only with `EXAMINE … (CONDSTORE)` when the server announced CONDSTORE, so
    /// it reports HIGHESTMODSEQ (RFC 7162 §3.1.2): what a later pass compares flags against (see the note on
    /// [`Session::open`]).
    pub fn use_condstore(&mut self, on: bool) {
        self.condstore_opens = on && self.has("CONDSTORE");
    }

    /// Queue EXAMINE/SELECT (sent now if `flush`, else with the next flushed command).
    pub(crate) async fn send_open(
        &mut self,
        wire_name: &str,
        read_only: bool,
        flush: bool,
    ) -> Result<String, ImapError> {
        self.selected = Some(Selected { read_only, ..Default::default() });
        let command = if read_only { "EXAMINE" } else { "SELECT" };
        let tag = self.tag();
        tracing::trace!(tag = %tag, command, "imap command");
        let condstore = if read_only && self.condstore_opens { " (CONDSTORE)" } else { "" };
        self.write_parts(&[format!("{tag} {command} {}{condstore}\r\n", quote(wire_name)?).as_bytes()], flush).await?;
        Ok(tag)
    }

    pub(crate) async fn finish_open(&mut self, tag: &str, read_only: bool) -> Result<Selected, ImapError> {
        let command = if read_only { "EXAMINE" } else { "SELECT" };
        if let Err(e) = self.finish(tag, command).await {
            self.selected = None;
            return Err(e);
        }
        let sel = self.selected.clone().unwrap_or_default();
        if sel.uid_validity.is_none() {
            return Err(ImapError::Inconsistent { detail: format!("{command} reported no UIDVALIDITY") });
        }
        Ok(sel)
    }
}

/// An IMAP quoted string (RFC 3501 §4.3 and §9 `quoted`): `"` and `\\` escaped. CR, LF and NUL cannot be
/// quoted at all (`QUOTED-CHAR` excludes them), so a string holding one is refused: it would end the command
/// line and start another. Callers pass modified UTF-7 names, which never hold them.
pub fn quote(s: &str) -> Result<String, ImapError> {
    if s.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(ImapError::Unsafe { what: "a string holding CR, LF or NUL cannot be sent as a quoted string" });
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}
