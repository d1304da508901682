//! A TCP proxy that resets connections at random byte offsets, the way a flaky link or a restarting server
//! does: each new connection (until `max_resets` resets have happened) gets a byte budget counted over both
//! directions; when it runs out the proxy forwards exactly up to it (so a literal, a FETCH response or a login
//! is cut mid-way) and then closes both sides with RST (`SO_LINGER 0`). One connection in five gets a budget
//! under 400 bytes, which lands in the greeting or the login. It runs on its own thread and runtime, so a test
//! may block while it works, and only ever listens and connects on 127.0.0.1.

use crate::corpus::Rng;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running proxy.
pub struct ResetProxy {
    /// Where clients connect.
    pub port: u16,
    resets: Arc<AtomicU32>,
}

impl ResetProxy {
    /// Proxy 127.0.0.1:`target`, resetting until `max_resets` resets happened; budgets up to `max_budget` bytes.
    pub fn start(target: u16, seed: u64, max_resets: u32, max_budget: u64) -> ResetProxy {
        let resets = Arc::new(AtomicU32::new(0));
        let shared = (resets.clone(), Arc::new(Mutex::new(Rng::new(seed))));
        let port = crate::serve_loopback("reset-proxy", move |client| {
            let (resets, rng) = (shared.0.clone(), shared.1.clone());
            let budget = (resets.load(Ordering::SeqCst) < max_resets).then(|| {
                let mut r = rng.lock().unwrap_or_else(|e| e.into_inner());
                if r.below(5) == 0 { r.below(400) } else { 400 + r.below(max_budget) }
            });
            tokio::spawn(relay(client, target, budget, resets));
        });
        ResetProxy { port, resets }
    }

    /// Connections reset so far.
    pub fn resets(&self) -> u32 {
        self.resets.load(Ordering::SeqCst)
    }
}

async fn relay(mut client: TcpStream, target: u16, budget: Option<u64>, resets: Arc<AtomicU32>) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", target)).await else { return };
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let mut left = budget.unwrap_or(u64::MAX);
    let (mut up, mut down) = (vec![0u8; 16 << 10], vec![0u8; 16 << 10]);
    loop {
        let (n, to_server) = tokio::select! {
            r = client.read(&mut up) => (r.unwrap_or(0), true),
            r = server.read(&mut down) => (r.unwrap_or(0), false),
        };
        if n == 0 {
            return; // one side closed: a normal end
        }
        let take = (n as u64).min(left) as usize;
        let (buf, out) = if to_server { (&up, &mut server) } else { (&down, &mut client) };
        if out.write_all(&buf[..take]).await.is_err() {
            return;
        }
        left -= take as u64;
        if left == 0 {
            // RST instead of FIN on both sides: the peers see "connection reset" mid-stream.
            #[allow(deprecated)]
            let _ = (
                client.set_linger(Some(std::time::Duration::ZERO)),
                server.set_linger(Some(std::time::Duration::ZERO)),
            );
            resets.fetch_add(1, Ordering::SeqCst);
            return;
        }
    }
}
