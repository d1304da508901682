//! A download budget: so many bytes per window of time (Gmail's daily IMAP download limit, or a deployment's own
//! setting). The stages park a mailbox that used its budget (`stages::budget`).

use chrono::{DateTime, Utc};
use std::time::Duration;

/// So many bytes per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub window: Duration,
}

impl Budget {
    /// Gmail's download limit over IMAP, per account and day.
    pub const GMAIL: Budget = Budget { bytes: 2_500_000_000, window: Duration::from_secs(86_400) };

    /// `SIZE/PERIOD`: `2500MB/24h`, `300KB/10s`, `1GB/1d` (sizes in decimal units: B, KB, MB, GB).
    pub fn parse(text: &str) -> Result<Budget, String> {
        let bad =
            || format!("{text:?} is not a budget like 2500MB/24h (size in B, KB, MB or GB; period in s, m, h or d)");
        let (size, period) = text.trim().split_once('/').ok_or_else(bad)?;
        let size = size.trim();
        let digits: String = size.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let scale = match size[digits.len()..].trim().to_ascii_lowercase().as_str() {
            "b" | "" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            _ => return Err(bad()),
        };
        let bytes = n.checked_mul(scale).filter(|b| *b > 0).ok_or_else(bad)?;
        let window = crate::model::parse_period(period).ok_or_else(bad)?;
        Ok(Budget { bytes, window: Duration::from_secs(window) })
    }

    /// The window `now` falls in: its number and when it ends.
    pub(crate) fn window_at(&self, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
        let len = self.window.as_secs().max(1) as i64;
        let n = now.timestamp().div_euclid(len);
        (n, DateTime::from_timestamp((n + 1) * len, 0).unwrap_or(now))
    }
}
