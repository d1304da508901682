//! Throughput over time, for the panel's chart and its ETA: messages and bytes copied per minute of each pass.
//! A [`Meter`] follows one folder run through the engine's progress callback (batch by batch, each counted in
//! the minute it finished) and adds its minutes to the pass's counters when the run settles, so a minute's
//! numbers appear at most one run (ten minutes on one machine, a Lambda's time on AWS) after the fact. Counters
//! `m<minute>` and `b<minute>` (minutes since the Unix epoch) in scope `{job}/{pass}/rate`. A chart that misses
//! a run (its write failed) is logged, never a failed copy.

use super::holds::HasCounters;
use super::{StageError, pass_scope};
use crate::engine::Progress;
use crate::model::{JobId, Pass};
use crate::ports::Clock;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One minute of a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Minute {
    /// Minutes since the Unix epoch (UTC).
    pub minute: i64,
    pub messages: u64,
    pub bytes: u64,
}

fn scope(job: &JobId, pass: Pass) -> String {
    format!("{}/rate", pass_scope(job, pass))
}

/// Counts one folder run's progress per minute (one meter per run: the engine reports one folder to it).
pub(crate) struct Meter {
    clock: Arc<dyn Clock>,
    counted: Mutex<Counted>,
}

/// Messages done and bytes at the last callback, and what each minute added.
#[derive(Default)]
struct Counted {
    last: (u64, u64),
    minutes: BTreeMap<i64, (u64, u64)>,
}

impl Meter {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Meter {
        Meter { clock, counted: Mutex::new(Counted::default()) }
    }

    /// The engine's progress callback (once per batch): what was done since the last call counts in this minute.
    pub(crate) fn observe(&self, p: &Progress<'_>) {
        let Ok(mut c) = self.counted.lock() else { return };
        let (messages, bytes) = (p.done.saturating_sub(c.last.0), p.bytes.saturating_sub(c.last.1));
        c.last = (p.done, p.bytes);
        if messages > 0 || bytes > 0 {
            let slot = c.minutes.entry(self.clock.now().timestamp().div_euclid(60)).or_default();
            *slot = (slot.0.saturating_add(messages), slot.1.saturating_add(bytes));
        }
    }

    /// Add the minutes counted so far to the pass's counters (and forget them).
    pub(crate) async fn flush(&self, deps: &impl HasCounters, job: &JobId, pass: Pass) {
        let minutes = match self.counted.lock() {
            Ok(mut c) => std::mem::take(&mut c.minutes),
            Err(_) => return,
        };
        let mut names = Vec::with_capacity(minutes.len() * 2);
        for (minute, (messages, bytes)) in minutes {
            names.push((format!("m{minute}"), i64::try_from(messages).unwrap_or(i64::MAX)));
            names.push((format!("b{minute}"), i64::try_from(bytes).unwrap_or(i64::MAX)));
        }
        if names.is_empty() {
            return;
        }
        let deltas: Vec<(&str, i64)> = names.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        if let Err(e) = deps.counters().add(&scope(job, pass), &deltas).await {
            tracing::warn!(job = %job, pass = %pass, error = %e, "throughput not recorded for this run");
        }
    }
}

/// A pass's minutes, oldest first.
pub async fn series(deps: &impl HasCounters, job: &JobId, pass: Pass) -> Result<Vec<Minute>, StageError> {
    let counters = deps.counters().get(&scope(job, pass)).await.map_err(StageError::port("read throughput"))?;
    let mut minutes: BTreeMap<i64, Minute> = BTreeMap::new();
    for (name, value) in &counters {
        let (kind, number) = name.split_at(1.min(name.len()));
        let Ok(minute) = number.parse::<i64>() else { continue };
        let m = minutes.entry(minute).or_insert(Minute { minute, messages: 0, bytes: 0 });
        let value = u64::try_from(*value).unwrap_or(0);
        match kind {
            "m" => m.messages = value,
            "b" => m.bytes = value,
            _ => {}
        }
    }
    Ok(minutes.into_values().collect())
}

/// How long the `remaining` messages take at the rate of the last `window` minutes up to `now` (minutes since
/// the epoch), as (minutes left, messages per minute); `None` when nothing was copied in that window (no
/// honest estimate then).
pub fn eta(series: &[Minute], remaining: u64, now: i64, window: i64) -> Option<(u64, f64)> {
    let recent: Vec<&Minute> = series.iter().filter(|m| m.minute > now - window && m.minute <= now).collect();
    let copied: u64 = recent.iter().map(|m| m.messages).sum();
    if copied == 0 {
        return None;
    }
    // Over the window, or since the first minute with copying when the pass started within it.
    let first = recent.iter().map(|m| m.minute).min().unwrap_or(now);
    let span = (now - first + 1).clamp(1, window) as f64;
    let rate = copied as f64 / span;
    Some(((remaining as f64 / rate).ceil() as u64, rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minute: i64, messages: u64) -> Minute {
        Minute { minute, messages, bytes: messages * 1000 }
    }

    #[test]
    fn the_eta_uses_the_recent_rate_and_says_nothing_without_one() {
        // 100 messages a minute over the last 10 minutes: 1,000 left take 10 minutes.
        let series: Vec<Minute> = (91..=100).map(|t| m(t, 100)).collect();
        assert_eq!(eta(&series, 1000, 100, 10), Some((10, 100.0)));
        // Copying older than the window does not count: no estimate.
        assert_eq!(eta(&[m(50, 500)], 1000, 100, 10), None);
        // A pass that started 2 minutes ago: its rate over those 2 minutes, not diluted over 10.
        assert_eq!(eta(&[m(99, 60), m(100, 60)], 120, 100, 10), Some((2, 60.0)));
        // Nothing left.
        assert_eq!(eta(&series, 0, 100, 10), Some((0, 100.0)));
    }
}
