//! Download budgets per mailbox: Gmail lets one account download about 2,500 MB a day over IMAP and locks it out
//! for up to a day past that, so a mailbox that has used its budget is parked, not failed: its tasks wait, without
//! logging in, until the window renews, and the pass is not complete meanwhile (`status` says why and until
//! when). A window is a fixed slice of time counted from the Unix epoch (for a day: 00:00 to 24:00 UTC); what a
//! mailbox moved in it is a counter (`<job>/budget/<mailbox>`, one name per window), added after each run of a
//! folder copy. A copy stops at the batch boundary where its run has used what was left.

use super::StageError;
use super::holds::{HasClock, HasCounters, HasSettings};
use crate::model::{EmailAddress, JobId, MailboxRecord};
use chrono::{DateTime, Utc};

pub use crate::model::Budget;

/// Which budget the mailboxes of a deployment or run get.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Budgets {
    /// The provider's: Gmail's for a Gmail source (host `imap.gmail.com` or a Google sign-in), none otherwise.
    #[default]
    Preset,
    /// No budget.
    Off,
    /// This one for every mailbox.
    Every(Budget),
}

impl Budgets {
    /// `preset`, `none`, or a budget (see [`Budget::parse`]).
    pub fn parse(text: &str) -> Result<Budgets, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "preset" => Ok(Budgets::Preset),
            "none" | "off" => Ok(Budgets::Off),
            _ => Budget::parse(text).map(Budgets::Every),
        }
    }
}

/// The budget of mailbox `m`.
pub(crate) fn of(deps: &impl HasSettings, m: &MailboxRecord) -> Option<Budget> {
    match deps.settings().budget {
        Budgets::Off => None,
        Budgets::Every(b) => Some(b),
        Budgets::Preset => super::presets::of(&m.details.host, m.details.auth).and_then(|p| p.budget),
    }
}

/// What is left of mailbox `m`'s budget for a run: `Ok(limit)` (`None`: no budget), or `Err(when it renews)`
/// when it is used up (the mailbox is parked).
pub(crate) async fn state(
    deps: &(impl HasCounters + HasClock + HasSettings),
    m: &MailboxRecord,
) -> Result<Result<Option<u64>, DateTime<Utc>>, StageError> {
    let Some(b) = of(deps, m) else { return Ok(Ok(None)) };
    let (left, renews) = left(deps, &m.job, &m.address, b).await?;
    Ok(if left == 0 { Err(renews) } else { Ok(Some(left)) })
}

fn scope(job: &JobId, address: &EmailAddress) -> String {
    format!("{job}/budget/{address}")
}

/// What is left of the budget in the current window, and when the window ends.
pub(crate) async fn left(
    deps: &(impl HasCounters + HasClock),
    job: &JobId,
    address: &EmailAddress,
    budget: Budget,
) -> Result<(u64, DateTime<Utc>), StageError> {
    let (n, ends) = budget.window_at(deps.clock().now());
    let used = deps.counters().get(&scope(job, address)).await.map_err(StageError::port("read the budget"))?;
    let used = used.get(&format!("w{n}")).copied().unwrap_or(0).max(0) as u64;
    Ok((budget.bytes.saturating_sub(used), ends))
}

/// Count `bytes` moved for the mailbox into the current window.
pub(crate) async fn spend(
    deps: &(impl HasCounters + HasClock),
    job: &JobId,
    address: &EmailAddress,
    budget: Budget,
    bytes: u64,
) -> Result<(), StageError> {
    if bytes == 0 {
        return Ok(());
    }
    let (n, _) = budget.window_at(deps.clock().now());
    let delta = [(format!("w{n}"), bytes as i64)];
    let deltas: Vec<(&str, i64)> = delta.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    deps.counters().add(&scope(job, address), &deltas).await.map(|_| ()).map_err(StageError::port("count the budget"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn budgets_read_as_people_write_them() {
        assert_eq!(Budget::parse("2500MB/24h"), Ok(Budget::GMAIL));
        assert_eq!(Budget::parse(" 300KB / 10s "), Ok(Budget { bytes: 300_000, window: Duration::from_secs(10) }));
        assert_eq!(Budgets::parse("none"), Ok(Budgets::Off));
        assert_eq!(Budgets::parse("preset"), Ok(Budgets::Preset));
        for bad in ["2500", "MB/24h", "0MB/1d", "1MB/0s", "1TB/1d", "1MB/1y", "99999999999999999999GB/1d", "1MB/90d"] {
            assert!(Budgets::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_fixed_slices_from_the_epoch() {
        let b = Budget::GMAIL;
        let t = DateTime::parse_from_rfc3339("2026-11-30T21:50:00Z").unwrap().to_utc();
        let (n, ends) = b.window_at(t);
        assert_eq!(ends.to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(b.window_at(ends).0, n + 1);
    }
}
