//! The sign-in rate limit: at most `MAX_FAILURES` failed sign-ins per client address and per account name in a
//! sliding window; beyond, every attempt is refused (429) until the oldest failure leaves the window, right or
//! wrong password alike, so guessing costs time whichever name or address it uses.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failed sign-ins by key (`ip:…`, `user:…`), in memory (one process serves the panel).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// How long until `keys` may try again (`None`: now).
    pub fn wait(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for k in keys {
            let Some(q) = map.get_mut(k) else { continue };
            while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                q.pop_front();
            }
            if q.len() >= MAX_FAILURES {
                let left = WINDOW.saturating_sub(now.duration_since(q[0]));
                wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
            }
        }
        wait
    }

    /// Count a failure against every key.
    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.clear(); // a flood of distinct keys must not grow memory without bound
        }
        for k in keys {
            map.entry(k.clone()).or_default().push_back(now);
        }
    }
}
