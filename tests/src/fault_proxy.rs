//! A proxy in front of a real source server (Dovecot) that speaks for the provider where Dovecot cannot: it
//! answers chosen commands itself in Gmail's and Microsoft's exact words (throttling, an expired token, a mailbox
//! the app may not open, IMAP switched off) and marks completions `[THROTTLED]`, and forwards everything else
//! untouched. It reads the server's stream response by response (literals included), so what it adds never lands
//! inside a message body, and records each connection's bearer token so a test can tell a fresh one from a reused
//! one. It runs on its own thread and runtime, on 127.0.0.1 only. Source side only: clients send it lines, never
//! literals (mailferry opens the source read-only).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::sync::mpsc;

/// What the proxy does besides forwarding.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer every `every`-th body FETCH (`UID FETCH … BODY.PEEK[]`, counted over all connections), `times`
    /// times in all, itself: `TAG NO <text>`, without forwarding it.
    RefuseFetch { every: u32, times: u32, text: String },
    /// Mark the OK completion of the first `times` body FETCHes `[THROTTLED]` (Gmail's "slow down").
    MarkThrottled { times: u32 },
    /// On each of the first `sessions` connections that fetch bodies, answer the `nth` body FETCH with
    /// `* BYE <text>` and close.
    ByeOnFetch { nth: u32, text: String, sessions: u32 },
    /// After the sign-in, answer every command but CAPABILITY, NOOP and LOGOUT with `TAG <status text>`, e.g.
    /// `BAD User is authenticated but not connected.` (an app without FullAccess on the mailbox).
    AfterSignIn { answer: String },
    /// Answer the sign-in (AUTHENTICATE, LOGIN) with `TAG <answer>`, e.g. Gmail's IMAP-disabled NO.
    SignIn { answer: String },
}

/// A running proxy.
pub struct FaultProxy {
    /// Where clients connect.
    pub port: u16,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    fetches: AtomicU32,
    connections: AtomicU32,
    injected: AtomicU32,
    /// (connection number, bearer token) of every XOAUTH2 sign-in seen.
    tokens: Mutex<Vec<(u32, String)>>,
    /// Connections that fetched bodies, in order of their first; connections ended with a BYE.
    fetching: Mutex<Vec<u32>>,
    ended: Mutex<Vec<u32>>,
}

impl FaultProxy {
    /// Proxy 127.0.0.1:`target` with `fault`.
    pub fn start(target: u16, fault: Fault) -> FaultProxy {
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let port = crate::serve_loopback("fault-proxy", move |client| {
            let n = state.connections.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(relay(client, target, fault.clone(), state.clone(), n));
        });
        FaultProxy { port, shared }
    }

    /// How many answers the proxy made up (refusals, BYEs, `[THROTTLED]` marks, sign-in answers).
    pub fn injected(&self) -> u32 {
        self.shared.injected.load(Ordering::SeqCst)
    }

    /// The bearer token of each XOAUTH2 sign-in, with the number of its connection (from 1), in order.
    pub fn tokens(&self) -> Vec<(u32, String)> {
        self.shared.tokens.lock().unwrap().clone()
    }

    /// The connections the proxy ended with a BYE.
    pub fn ended(&self) -> Vec<u32> {
        self.shared.ended.lock().unwrap().clone()
    }
}

/// One connection: client lines are looked at and forwarded or answered; server responses are forwarded whole
/// (through one writer, so made-up answers never split a response) and possibly marked.
async fn relay(client: TcpStream, target: u16, fault: Fault, shared: Arc<Shared>, conn: u32) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else { return };
    let (client_r, mut client_w) = client.into_split();
    let (server_r, mut server_w) = server.into_split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
    let marks = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = tokio::spawn(async move {
        while let Some(Some(unit)) = out_rx.recv().await {
            if client_w.write_all(&unit).await.is_err() {
                return;
            }
        }
        let _ = client_w.shutdown().await;
    });
    let down = {
        let (out, marks) = (out.clone(), marks.clone());
        tokio::spawn(async move {
            let mut r = BufReader::new(server_r);
            while let Ok(Some(unit)) = read_unit(&mut r).await {
                let unit = mark_throttled(unit, &marks);
                if out.send(Some(unit)).is_err() {
                    return;
                }
            }
            let _ = out.send(None);
        })
    };
    let mut lines = BufReader::new(client_r);
    let (mut signed_in, mut fetches_here) = (false, 0u32);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let mut words = text.splitn(3, ' ');
        let (tag, command) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_ascii_uppercase());
        let rest = words.next().unwrap_or("").to_string();
        let body_fetch = command == "UID" && rest.to_ascii_uppercase().contains("BODY.PEEK[]");
        let sign_in = command == "AUTHENTICATE" || command == "LOGIN";
        if sign_in {
            record_token(&shared, conn, &rest);
        }
        let answer = |s: String| out.send(Some(format!("{tag} {s}\r\n").into_bytes()));
        let injected = || shared.injected.fetch_add(1, Ordering::SeqCst);
        match &fault {
            Fault::SignIn { answer: a } if sign_in => {
                injected();
                let _ = answer(a.clone());
                continue;
            }
            Fault::AfterSignIn { answer: a }
                if signed_in && !["CAPABILITY", "NOOP", "LOGOUT"].contains(&command.as_str()) =>
            {
                injected();
                let _ = answer(a.clone());
                continue;
            }
            Fault::RefuseFetch { every, times, text } if body_fetch => {
                let n = shared.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                if n.is_multiple_of(*every) && n / every <= *times {
                    injected();
                    let _ = answer(format!("NO {text}"));
                    continue;
                }
            }
            Fault::MarkThrottled { times } if body_fetch && shared.fetches.fetch_add(1, Ordering::SeqCst) < *times => {
                marks.lock().unwrap().push(tag.clone());
            }
            Fault::ByeOnFetch { nth, text, sessions } if body_fetch && early(&shared, conn, *sessions) => {
                fetches_here += 1;
                if fetches_here == *nth {
                    injected();
                    shared.ended.lock().unwrap().push(conn);
                    let _ = out.send(Some(format!("* BYE {text}\r\n").into_bytes()));
                    break;
                }
            }
            _ => {}
        }
        signed_in |= sign_in;
        if server_w.write_all(&line).await.is_err() {
            break;
        }
    }
    let _ = out.send(None);
    let _ = server_w.shutdown().await;
    down.abort();
    let _ = writer.await;
}

/// Whether connection `conn` (now fetching bodies) is one of the first `sessions` to fetch bodies.
fn early(shared: &Shared, conn: u32, sessions: u32) -> bool {
    let mut fetching = shared.fetching.lock().unwrap();
    if !fetching.contains(&conn) {
        fetching.push(conn);
    }
    fetching.iter().position(|c| *c == conn).is_some_and(|i| (i as u32) < sessions)
}

/// Note the token of an `AUTHENTICATE XOAUTH2 <initial response>` line.
fn record_token(shared: &Shared, conn: u32, rest: &str) {
    let Some(b64) = rest.strip_prefix("XOAUTH2 ").or_else(|| rest.strip_prefix("xoauth2 ")) else { return };
    let Ok(raw) = B64.decode(b64.trim()) else { return };
    let raw = String::from_utf8_lossy(&raw).to_string();
    if let Some(token) = raw.split("auth=Bearer ").nth(1).map(|t| t.trim_end_matches('\x01').to_string()) {
        shared.tokens.lock().unwrap().push((conn, token));
    }
}

/// Put `[THROTTLED]` into a tagged OK whose tag was marked.
fn mark_throttled(unit: Vec<u8>, marks: &Mutex<Vec<String>>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&unit);
    let mut marks = marks.lock().unwrap();
    let Some(i) = marks.iter().position(|t| text.starts_with(&format!("{t} OK "))) else { return unit };
    let tag = marks.remove(i);
    format!("{tag} OK [THROTTLED] {}", &text[tag.len() + 4..]).into_bytes()
}

/// One whole response: a line, and when it ends in a literal `{N}`, the N bytes and the rest of the response.
async fn read_unit(r: &mut BufReader<OwnedReadHalf>) -> std::io::Result<Option<Vec<u8>>> {
    let mut unit = Vec::new();
    loop {
        if r.read_until(b'\n', &mut unit).await? == 0 {
            return Ok((!unit.is_empty()).then_some(unit));
        }
        let Some(len) = literal_len(&unit) else { return Ok(Some(unit)) };
        let start = unit.len();
        unit.resize(start + len, 0);
        r.read_exact(&mut unit[start..]).await?;
    }
}

/// N when `unit` ends with `{N}\r\n` (or `{N+}`).
fn literal_len(unit: &[u8]) -> Option<usize> {
    let line = unit.strip_suffix(b"\r\n")?.strip_suffix(b"}")?;
    let open = line.iter().rposition(|b| *b == b'{')?;
    let digits = std::str::from_utf8(&line[open + 1..]).ok()?.trim_end_matches('+');
    digits.parse().ok()
}
