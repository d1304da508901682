//! A TCP proxy that plays a long link: every chunk of bytes, in each direction, arrives `one_way` after it was
//! sent (20 ms of round-trip time with `one_way` = 10 ms), with the bandwidth of loopback — the shape of a
//! migration across the internet, for the benchmark and for tests of round trips. Order within a direction is
//! kept; a side that closes closes the other once its bytes have arrived. It runs on its own thread and
//! runtime and only listens and connects on 127.0.0.1. It also counts the connections open at once (from the
//! client's connect to the client's close), so a test can prove a connection cap held, and the round trips the
//! clients waited for, so a test can prove pipelining.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A running proxy.
pub struct DelayProxy {
    /// Where clients connect.
    pub port: u16,
    seen: Arc<Seen>,
}

/// What the proxy counted.
#[derive(Default)]
struct Seen {
    /// Connections open now, and the most there ever were at once.
    open: AtomicUsize,
    peak: AtomicUsize,
    /// Connections accepted.
    connections: AtomicUsize,
    /// Times a client spoke after the server had spoken: the round trips clients waited for.
    turns: AtomicUsize,
}

/// Which way a pipe carries bytes, for the turn count.
#[derive(Clone, Copy)]
enum Way {
    /// Client to server: speaking after the server spoke is a new turn.
    Up,
    Down,
}

impl DelayProxy {
    /// Proxy 127.0.0.1:`target` with `one_way` of delay in each direction.
    pub fn start(target: u16, one_way: Duration) -> DelayProxy {
        let seen = Arc::new(Seen::default());
        let seen_in = seen.clone();
        let port = crate::serve_loopback("delay-proxy", move |client| {
            let now = seen_in.open.fetch_add(1, Ordering::SeqCst) + 1;
            seen_in.peak.fetch_max(now, Ordering::SeqCst);
            seen_in.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(relay(client, target, one_way, seen_in.clone()));
        });
        DelayProxy { port, seen }
    }

    /// The most connections that were open at once so far.
    pub fn peak_connections(&self) -> usize {
        self.seen.peak.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.seen.open.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.seen.connections.load(Ordering::SeqCst)
    }

    /// Round trips clients waited for so far: the times a client sent bytes after the server had sent some (so
    /// pipelined commands count once, and a command answered and followed by the next counts twice).
    pub fn round_trips(&self) -> usize {
        self.seen.turns.load(Ordering::SeqCst)
    }
}

/// One client connection: forwarded both ways with the delay, counting what [`DelayProxy`] reports.
async fn relay(client: TcpStream, target: u16, one_way: Duration, seen: Arc<Seen>) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)).await else {
        seen.open.fetch_sub(1, Ordering::SeqCst);
        return;
    };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let ((cr, cw), (sr, sw)) = (client.into_split(), server.into_split());
    let server_spoke = Arc::new(AtomicBool::new(false));
    let client_side = async {
        pipe(cr, sw, one_way, (Way::Up, &server_spoke, &seen)).await;
        seen.open.fetch_sub(1, Ordering::SeqCst);
    };
    tokio::join!(client_side, pipe(sr, cw, one_way, (Way::Down, &server_spoke, &seen)));
}

/// Forward `from` to `to`, each chunk `delay` after it was read.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay: Duration,
    (way, server_spoke, seen): (Way, &AtomicBool, &Seen),
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            match way {
                Way::Up if server_spoke.swap(false, Ordering::SeqCst) => {
                    seen.turns.fetch_add(1, Ordering::SeqCst);
                }
                Way::Up => {}
                Way::Down => server_spoke.store(true, Ordering::SeqCst),
            }
            if tx.send((Instant::now() + delay, buf[..n].to_vec())).is_err() {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((due, bytes)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}
