//! Live progress while `migrate` and `schedule` run: messages on the destination against what the pre-flight
//! counted, for the job and for each mailbox being copied, with the rate and an estimate of the time left. On a
//! terminal, bars redrawn every second; otherwise (a pipe, a log) one line for the job and one per mailbox being
//! copied every `--progress-every` seconds, when something moved.

use super::Home;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mailferry::model::{EmailAddress, JobId};
use mailferry::stages::{MailboxProgress, job_progress};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How fast something moves: messages since it was first seen moving, over the time since.
#[derive(Clone, Copy)]
struct Rate {
    since: Instant,
    from: u64,
}

impl Rate {
    fn per_sec(&self, now: u64) -> f64 {
        now.saturating_sub(self.from) as f64 / self.since.elapsed().as_secs_f64().max(0.001)
    }

    /// `12m 30s`, or `-` while nothing moved.
    fn eta(&self, done: u64, total: u64) -> String {
        let rate = self.per_sec(done);
        if rate <= 0.0 || done >= total {
            return "-".into();
        }
        let secs = ((total - done) as f64 / rate).round() as u64;
        match secs {
            0..60 => format!("{secs}s"),
            60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
            _ => format!("{}h {:02}m", secs / 3600, secs % 3600 / 60),
        }
    }
}

/// The progress display of one run.
pub struct Live {
    bars: Option<(MultiProgress, ProgressBar, HashMap<EmailAddress, ProgressBar>)>,
    every: Duration,
    last: Option<(Instant, u64)>,
    rates: HashMap<EmailAddress, Rate>,
    job_rate: Option<Rate>,
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>32} [{bar:30}] {pos}/{len} msgs  {per_sec}  ETA {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Live {
    /// Bars on a terminal (unless `quiet`); else lines every `every`.
    pub fn new(quiet: bool, every: Duration) -> Live {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !quiet;
        let bars = terminal.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let job = multi.add(ProgressBar::new(0).with_style(style()).with_prefix("job"));
            (multi, job, HashMap::new())
        });
        Live { bars, every, last: None, rates: HashMap::new(), job_rate: None }
    }

    /// Read the job's progress and show it (`force`: print the lines even before `every` has passed).
    pub async fn update(&mut self, home: &Home, job: &JobId, force: bool) {
        // Lines are printed at most every `every`: no need to read every checkpoint in between.
        let due = self.last.is_none_or(|(at, _)| at.elapsed() >= self.every);
        if self.bars.is_none() && !due && !force {
            return;
        }
        let Ok(Some(p)) = job_progress(&home.deps, job, true).await else { return };
        let copying: Vec<&MailboxProgress> =
            p.mailboxes.iter().filter(|m| m.problem.is_none() && m.folders > 0 && !m.finished).collect();
        let expected: u64 = p.mailboxes.iter().filter(|m| m.problem.is_none()).map(|m| m.expected).sum();
        let done: u64 = p.mailboxes.iter().map(|m| m.copied_total).sum();
        let job_rate = *self.job_rate.get_or_insert(Rate { since: Instant::now(), from: done });
        for m in &copying {
            self.rates.entry(m.address.clone()).or_insert(Rate { since: Instant::now(), from: m.copied_total });
        }
        if let Some((multi, bar, bars)) = &mut self.bars {
            bar.set_length(expected.max(done));
            bar.set_position(done);
            bars.retain(|address, b| {
                let keep = copying.iter().any(|m| &m.address == address);
                if !keep {
                    b.finish_and_clear();
                    multi.remove(b);
                }
                keep
            });
            for m in &copying {
                let b = bars.entry(m.address.clone()).or_insert_with(|| {
                    let prefix: String = m.address.to_string().chars().take(32).collect();
                    multi.add(ProgressBar::new(m.expected).with_style(style()).with_prefix(prefix))
                });
                b.set_length(m.expected.max(m.copied_total));
                b.set_position(m.copied_total);
            }
            return;
        }
        if done == self.last.map_or(0, |l| l.1) {
            return;
        }
        self.last = Some((Instant::now(), done));
        let finished = p.mailboxes.iter().filter(|m| m.finished).count();
        println!(
            "progress: {finished}/{} mailboxes done, {done}/{expected} messages, {:.0} msg/s, ETA {}",
            p.mailboxes.iter().filter(|m| m.problem.is_none()).count(),
            job_rate.per_sec(done),
            job_rate.eta(done, expected)
        );
        for m in copying {
            let rate = self.rates[&m.address];
            println!(
                "progress: {} {}/{} messages, {:.0} msg/s, ETA {}",
                m.address,
                m.copied_total,
                m.expected,
                rate.per_sec(m.copied_total),
                rate.eta(m.copied_total, m.expected)
            );
        }
    }

    /// The last lines of a run (what moved since the last ones), or the bars taken off the screen (the final
    /// table follows).
    pub async fn finish(&mut self, home: &Home, job: &JobId) {
        if self.bars.is_none() {
            return self.update(home, job, true).await;
        }
        if let Some((multi, bar, bars)) = &self.bars {
            for b in bars.values() {
                b.finish_and_clear();
            }
            bar.finish_and_clear();
            let _ = multi.clear();
        }
    }
}
