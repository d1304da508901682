//! Progress of a job, per pass and per mailbox, read from the counters and checkpoints (what `mailferry status`
//! shows and the notifier reports).

use super::counter;
use super::holds::{HasCheckpoints, HasClock, HasCounters, HasSettings, HasStore};
use super::{StageError, mailbox_scope, pass_scope};
use crate::model::{EmailAddress, FolderKey, Job, JobId, Pass};
use serde::Serialize;
use std::collections::BTreeMap;

/// One pass of a job.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PassProgress {
    pub pass: Pass,
    pub started: bool,
    pub complete: bool,
    pub mailboxes: i64,
    pub done: i64,
    pub copied: i64,
    pub bytes: i64,
    pub skipped: i64,
    pub failed: i64,
    /// When the pass completed.
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One mailbox, in the latest pass that started.
#[derive(Clone, Debug, Serialize)]
pub struct MailboxProgress {
    pub address: EmailAddress,
    pub line: u64,
    /// Why the pre-flight refused it (then it is never copied).
    pub problem: Option<String>,
    /// Messages the pre-flight counted on the source.
    pub expected: u64,
    /// Folders and octets the pre-flight found on the source (octets where the server reports them).
    pub source_folders: u32,
    pub source_bytes: Option<u64>,
    /// Messages on the destination so far, every pass included (from the checkpoints; 0 unless asked for).
    pub copied_total: u64,
    /// From a Gmail source: messages that carried several labels with folders (counted in All Mail), and whether
    /// they went to their primary label's folder only (single-copy) or to each label's folder.
    pub several_labels: u64,
    pub single_copy: bool,
    /// Folders found renamed on the source between passes (followed on the destination).
    pub renamed: Vec<crate::model::FolderRename>,
    /// The mailbox used its download budget: its copy waits until then (see `budget`).
    pub parked_until: Option<chrono::DateTime<chrono::Utc>>,
    /// This pass: copied, bytes, skipped, failed folders, folders done of planned.
    pub copied: i64,
    pub bytes: i64,
    pub skipped: i64,
    pub failed: i64,
    pub folders: i64,
    pub folders_done: i64,
    pub finished: bool,
    /// Duration of this pass for the mailbox, when finished.
    pub seconds: Option<f64>,
}

/// A job with its passes and mailboxes.
#[derive(Clone, Debug, Serialize)]
pub struct JobProgress {
    pub job: Job,
    pub passes: Vec<PassProgress>,
    pub mailboxes: Vec<MailboxProgress>,
    /// The latest pass that started, in minutes: messages and bytes copied (read with `destination_totals`).
    pub throughput: Vec<super::rate::Minute>,
    /// Messages its unfinished mailboxes still hold beyond what reached the destination.
    pub remaining: u64,
    /// At the last ten minutes' rate (messages a minute), how many minutes the remaining take; `None` when
    /// nothing was copied in those ten minutes: then there is no honest estimate.
    pub eta: Option<Eta>,
}

/// An estimate of the time left.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Eta {
    pub minutes: u64,
    pub per_minute: f64,
}

/// Minutes of recent copying an estimate rests on.
const ETA_WINDOW: i64 = 10;

impl JobProgress {
    /// The time left as the panel and `mailferry status` say it: the estimate and what it rests on, or that
    /// there is none; `None` when nothing is left.
    pub fn eta_text(&self) -> Option<String> {
        Some(match (self.eta, self.remaining) {
            (_, 0) => return None,
            (_, left) if !self.passes.iter().any(|p| p.started) => {
                format!("{left} message(s) to copy; the first pass has not started")
            }
            (Some(e), left) => format!(
                "about {} minute(s) left for {left} message(s), at {:.0} messages a minute (the rate of the last \
                 {ETA_WINDOW} minutes; it changes with the sizes of the messages left)",
                e.minutes, e.per_minute
            ),
            (None, left) => {
                format!("{left} message(s) left; no estimate: nothing was copied in the last {ETA_WINDOW} minutes")
            }
        })
    }
}

fn get(m: &BTreeMap<String, i64>, name: &str) -> i64 {
    m.get(name).copied().unwrap_or(0)
}

/// Read a job's progress; `None` when there is no such job. `destination_totals` also reads every folder's
/// checkpoint for [`MailboxProgress::copied_total`] (the progress bars) and the throughput; the notifier does
/// without.
pub async fn job_progress(
    deps: &(impl HasStore + HasCounters + HasCheckpoints + HasClock + HasSettings),
    id: &JobId,
    destination_totals: bool,
) -> Result<Option<JobProgress>, StageError> {
    let read = StageError::port("read progress");
    let Some(job) = deps.store().job(id).await.map_err(&read)? else { return Ok(None) };
    let (passes, latest) = passes(deps, id).await?;
    let mut mailboxes = Vec::new();
    for m in deps.store().mailboxes(id).await.map_err(&read)? {
        mailboxes.push(mailbox(deps, &m, latest, destination_totals).await?);
    }
    let (throughput, remaining, eta) = if destination_totals {
        let series = super::rate::series(deps, id, latest).await?;
        let open = mailboxes.iter().filter(|m| !m.finished && m.problem.is_none());
        let remaining: u64 = open.map(|m| m.expected.saturating_sub(m.copied_total)).sum();
        let now = deps.clock().now().timestamp().div_euclid(60);
        let eta = super::rate::eta(&series, remaining, now, ETA_WINDOW)
            .map(|(minutes, per_minute)| Eta { minutes, per_minute });
        (series, remaining, eta.filter(|_| remaining > 0))
    } else {
        (Vec::new(), 0, None)
    };
    Ok(Some(JobProgress { job, passes, mailboxes, throughput, remaining, eta }))
}

/// One mailbox as [`job_progress`] shows it with `destination_totals` (the mailbox page and its API), read
/// without the job's other mailboxes.
pub async fn mailbox_progress(
    deps: &(impl HasCounters + HasCheckpoints + HasClock + HasSettings),
    m: &crate::model::MailboxRecord,
) -> Result<MailboxProgress, StageError> {
    let (_, latest) = passes(deps, &m.job).await?;
    mailbox(deps, m, latest, true).await
}

/// Every pass of job `id`, and the latest that started (other than a later pass for chosen mailboxes).
async fn passes(deps: &impl HasCounters, id: &JobId) -> Result<(Vec<PassProgress>, Pass), StageError> {
    let read = StageError::port("read progress");
    let mut passes = Vec::new();
    let mut latest = Pass::Initial;
    for pass in super::passes_of(deps, id).await? {
        let c = deps.counters().get(&pass_scope(id, pass)).await.map_err(&read)?;
        let started = deps.counters().seen(&pass_scope(id, pass), counter::FANOUT).await.map_err(&read)?;
        // A later pass covers chosen mailboxes only: the others are shown from the pass before.
        if started && !matches!(pass, Pass::Extra(_)) {
            latest = pass;
        }
        passes.push(PassProgress {
            pass,
            started,
            complete: deps.counters().seen(&pass_scope(id, pass), counter::COMPLETE).await.map_err(&read)?,
            mailboxes: get(&c, counter::MAILBOXES),
            done: get(&c, counter::DONE),
            copied: get(&c, counter::COPIED),
            bytes: get(&c, counter::BYTES),
            skipped: get(&c, counter::SKIPPED),
            failed: get(&c, counter::FAILED),
            finished_at: c.get(counter::FINISHED_MS).and_then(|ms| chrono::DateTime::from_timestamp_millis(*ms)),
        });
    }
    Ok((passes, latest))
}

/// One mailbox in the pass that shows it: its own later pass if it is in one, else `latest`.
async fn mailbox(
    deps: &(impl HasCounters + HasCheckpoints + HasClock + HasSettings),
    m: &crate::model::MailboxRecord,
    latest: Pass,
    destination_totals: bool,
) -> Result<MailboxProgress, StageError> {
    let read = StageError::port("read progress");
    let id = &m.job;
    let extra = Pass::Extra(m.details.round);
    let in_extra =
        m.details.round >= 2 && deps.counters().seen(&pass_scope(id, extra), counter::FANOUT).await.map_err(&read)?;
    let shown = if in_extra { extra } else { latest };
    let c = deps.counters().get(&mailbox_scope(id, shown, &m.address)).await.map_err(&read)?;
    let (mut copied_total, mut elsewhere, mut several_labels) = (0, 0, 0);
    for folder in m.details.folders.iter().filter(|_| destination_totals) {
        let key = FolderKey { job: id.clone(), mailbox: m.address.to_string(), folder: folder.clone() };
        let cp = deps.checkpoints().load(&key).await.map_err(&read)?.unwrap_or_default();
        (copied_total, elsewhere, several_labels) =
            (copied_total + cp.copied, elsewhere + cp.elsewhere, several_labels + cp.several_labels);
    }
    let pre = m.details.preflight.clone().unwrap_or_default();
    let finished = get(&c, counter::FINISHED_MS) > 0;
    // A mailbox waiting for its download budget says until when.
    let parked_until =
        if finished || pre.problem.is_some() { None } else { super::budget::state(deps, m).await?.err() };
    Ok(MailboxProgress {
        address: m.address.clone(),
        line: m.line,
        problem: pre.problem,
        // What the source held when the pass shown planned the mailbox (the pre-flight's count before that); a
        // Gmail source lists a message once per label and in All Mail: what went elsewhere is not expected.
        expected: match get(&c, counter::SOURCE_MESSAGES) {
            n if n > 0 => n as u64,
            _ => pre.messages,
        }
        .saturating_sub(elsewhere),
        source_folders: pre.folders,
        source_bytes: pre.bytes,
        copied_total,
        several_labels,
        single_copy: m.details.gmail_single_copy,
        renamed: m.details.renamed.clone(),
        parked_until,
        copied: get(&c, counter::COPIED),
        bytes: get(&c, counter::BYTES),
        skipped: get(&c, counter::SKIPPED),
        failed: get(&c, counter::FAILED),
        folders: get(&c, counter::FOLDERS),
        folders_done: get(&c, counter::DONE),
        finished,
        seconds: finished.then(|| (get(&c, counter::FINISHED_MS) - get(&c, counter::STARTED_MS)) as f64 / 1000.0),
    })
}

/// Each folder of mailbox `address` as the latest pass that finished it left it: (source, destination) message
/// counts at the end of its copy.
pub async fn folder_counts(
    deps: &impl HasCounters,
    job: &JobId,
    address: &EmailAddress,
) -> Result<BTreeMap<String, (u64, u64)>, StageError> {
    let mut counts = BTreeMap::new();
    for pass in super::passes_of(deps, job).await? {
        let scope = super::finish::folder_counts_scope(job, pass, address);
        let c = deps.counters().get(&scope).await.map_err(StageError::port("read folder counts"))?;
        for (name, source) in &c {
            let Some(folder) = name.strip_prefix("source:") else { continue };
            let destination = get(&c, &format!("destination:{folder}"));
            // Passes come oldest first: a later one's counts replace an earlier one's.
            counts.insert(folder.to_string(), (*source as u64, destination as u64));
        }
    }
    Ok(counts)
}
