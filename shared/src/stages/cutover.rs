//! The cutover assistant: is it time for the final pass? It looks up the MX records of the job's domains (the
//! destination addresses' domains) and says, per domain, whether they point to the new platform (the job's
//! `new_mx`, or what `cutover` was given), how long the old records may still be cached, and when the final pass
//! is safe (the rule is in `model::cutover`). Asked to (`final_when_ready`), it keeps watching on schedules of
//! its own (`<job>-cutover-<unix time>`, action `cutover`; a new name per check, because a home may delete a
//! schedule after it fired) and schedules the final pass itself once every domain is safe; the notifier then
//! tells the operator. Its state is one small object per job, `cutover/<job>.json`, in the blob store.

use super::counter;
pub use super::cutover_state::watching;
use super::cutover_state::{load, save};
use super::holds::{HasBlobs, HasClock, HasCounters, HasDns, HasEvents, HasSchedules, HasStore};
use super::{PassEvent, ScheduleAction, ScheduleInput, StageError, pass_scope, schedule};
use crate::model::cutover::{CutoverState, MxAnswer, MxPattern, Pointing};
use crate::model::{Job, JobId, JobKind, JobStatus, Pass};
use chrono::{DateTime, Duration, Utc};
use std::net::SocketAddr;

/// How often a watch checks again unless told otherwise.
pub const DEFAULT_EVERY_SECS: u64 = 300;

/// What `cutover` was asked (each setting, once given, is kept in the job's cutover state for later checks).
#[derive(Clone, Debug, Default)]
pub struct CutoverRequest {
    pub new_mx: Option<Vec<MxPattern>>,
    pub name_server: Option<SocketAddr>,
    pub assumed_old_ttl: Option<u32>,
    pub final_when_ready: bool,
    pub every_secs: Option<u64>,
}

/// What a check found and did.
#[derive(Clone, Debug)]
pub struct CutoverReport {
    pub job: Job,
    pub expected: Vec<MxPattern>,
    pub state: CutoverState,
    pub checked_at: DateTime<Utc>,
    /// When the watch checks again (it is watching and the final pass is not scheduled yet).
    pub next_check: Option<DateTime<Utc>>,
    /// Why a ready job's final pass waits (a catch-up pass is running, the first pass is not over).
    pub waiting_for: Option<String>,
}

impl CutoverReport {
    /// Whether the final pass may run now: every domain points to the new platform and the old TTL is over.
    pub fn safe_now(&self) -> bool {
        self.state.ready_at().is_some_and(|t| t <= self.checked_at)
    }
}

fn refused(job: &JobId, reason: impl Into<String>) -> StageError {
    StageError::Mailbox { mailbox: job.to_string(), reason: reason.into() }
}

/// Check the job's domains now, as `request` says; with `final_when_ready`, schedule the final pass when it is
/// safe, else the next check.
pub async fn cutover(
    deps: &(impl HasStore + HasCounters + HasEvents + HasBlobs + HasSchedules + HasClock + HasDns),
    job: &JobId,
    request: &CutoverRequest,
) -> Result<CutoverReport, StageError> {
    let found = deps.store().job(job).await.map_err(StageError::port("read job"))?;
    let found = found.ok_or_else(|| refused(job, format!("there is no job {job}")))?;
    if found.kind != JobKind::Migration {
        return Err(refused(job, "an import job has no cutover"));
    }
    let mut state = load(deps, job).await?;
    if let Some(new_mx) = &request.new_mx {
        state.new_mx = new_mx.clone();
    }
    state.name_server = request.name_server.or(state.name_server);
    state.assumed_old_ttl = request.assumed_old_ttl.or(state.assumed_old_ttl);
    if request.final_when_ready && !state.watching() {
        state.final_when_ready = true;
        state.final_scheduled_at = None;
    }
    state.every_secs = request.every_secs.unwrap_or(state.every_secs);
    run(deps, found, state).await
}

/// A watch schedule fired: check again, unless the watch ended meanwhile.
pub(crate) async fn on_watch(
    deps: &(impl HasStore + HasCounters + HasEvents + HasBlobs + HasSchedules + HasClock + HasDns),
    job: &JobId,
) -> Result<(), StageError> {
    let state = load(deps, job).await?;
    let Some(found) = deps.store().job(job).await.map_err(StageError::port("read job"))? else { return Ok(()) };
    if !state.watching() {
        return Ok(());
    }
    let report = run(deps, found, state).await?;
    tracing::info!(job = %job, ready_at = ?report.state.ready_at(), next_check = ?report.next_check, "cutover checked");
    Ok(())
}

async fn run(
    deps: &(impl HasStore + HasCounters + HasEvents + HasBlobs + HasSchedules + HasClock + HasDns),
    job: Job,
    mut state: CutoverState,
) -> Result<CutoverReport, StageError> {
    let expected = if state.new_mx.is_empty() { job.new_mx.clone() } else { state.new_mx.clone() };
    if expected.is_empty() {
        return Err(refused(
            &job.id,
            "the new platform's MX hosts are not known: give them with --new-mx HOST[,HOST…] (metadata new-mx)",
        ));
    }
    let checked_at = deps.clock().now();
    check(deps, &job.id, &mut state, &expected, checked_at).await?;
    let (mut next_check, mut waiting_for) = (None, None);
    if state.watching() {
        (next_check, waiting_for) = advance(deps, &job, &mut state, checked_at).await?;
    }
    save(deps, &job.id, &state).await?;
    Ok(CutoverReport { job, expected, state, checked_at, next_check, waiting_for })
}

/// Look up every domain of the job at once and record the answers.
async fn check(
    deps: &(impl HasStore + HasDns),
    job: &JobId,
    state: &mut CutoverState,
    expected: &[MxPattern],
    now: DateTime<Utc>,
) -> Result<(), StageError> {
    let domains = job_domains(deps, job).await?;
    let server = state.name_server;
    let answers = futures::future::join_all(domains.iter().map(|d| deps.dns().mx(d, server))).await;
    state.domains.retain(|d, _| domains.contains(d));
    for (domain, answer) in domains.iter().zip(answers) {
        let answer: Option<MxAnswer> =
            answer.inspect_err(|e| tracing::warn!(job = %job, domain = %domain, error = %e, "mx lookup failed")).ok();
        state.domains.entry(domain.clone()).or_default().observe(now, answer.as_ref(), expected);
    }
    Ok(())
}

/// The destination domains of the job's mailboxes that take part in its passes, sorted, each once.
async fn job_domains(deps: &impl HasStore, job: &JobId) -> Result<Vec<String>, StageError> {
    let mailboxes = deps.store().mailboxes(job).await.map_err(StageError::port("read mailboxes"))?;
    let mut domains: Vec<String> =
        mailboxes.iter().filter(|m| m.ready()).map(|m| m.address.domain().ascii().to_string()).collect();
    domains.sort();
    domains.dedup();
    Ok(domains)
}

/// Watching: schedule the final pass if it is safe and the job can take it; else the next check (at the safe
/// time if that comes sooner). Returns the next check and what a ready job waits for.
async fn advance(
    deps: &(impl HasStore + HasCounters + HasEvents + HasBlobs + HasSchedules),
    job: &Job,
    state: &mut CutoverState,
    now: DateTime<Utc>,
) -> Result<(Option<DateTime<Utc>>, Option<String>), StageError> {
    let current = deps.store().job(&job.id).await.map_err(StageError::port("read job"))?.map(|j| j.status);
    let first_done = deps
        .counters()
        .seen(&pass_scope(&job.id, Pass::Initial), counter::COMPLETE)
        .await
        .map_err(StageError::port("read counters"))?;
    let waiting_for = match current {
        Some(JobStatus::Complete | JobStatus::Cancelled | JobStatus::Failed) | None => {
            state.final_when_ready = false; // nothing left to schedule
            return Ok((None, None));
        }
        _ if !first_done => Some("the first pass to finish".to_string()),
        Some(JobStatus::Running) => Some("the catch-up pass under way to finish".to_string()),
        _ => None,
    };
    let ready = state.ready_at();
    if waiting_for.is_none() && ready.is_some_and(|t| t <= now) {
        schedule::schedule_pass(deps, &job.id, Pass::Final, now).await?;
        state.final_scheduled_at = Some(now);
        let event = PassEvent { job: job.id.clone(), pass: Pass::Final, cutover: true };
        let body = serde_json::to_string(&event).unwrap_or_default();
        deps.events().send(&[body], std::time::Duration::ZERO).await.map_err(StageError::port("send cutover event"))?;
        tracing::info!(job = %job.id, "every domain points to the new platform: final pass scheduled");
        return Ok((None, None));
    }
    let every = Duration::seconds(if state.every_secs == 0 { DEFAULT_EVERY_SECS } else { state.every_secs } as i64);
    let next = match ready {
        Some(t) if t > now => (now + every).min(t),
        _ => now + every,
    };
    // Whole seconds (EventBridge's `at()` has no fractions), at least one ahead: a check never reschedules itself
    // under the name that is firing.
    let next = next.max(now + Duration::seconds(1));
    let next =
        DateTime::from_timestamp(next.timestamp() + i64::from(next.timestamp_subsec_nanos() > 0), 0).unwrap_or(next);
    let input = ScheduleInput { job: job.id.clone(), pass: Pass::Final, action: ScheduleAction::Cutover };
    let input = serde_json::to_string(&input).unwrap_or_default();
    deps.schedules()
        .schedule_at(&watch_name(&job.id, next), next, &input)
        .await
        .map_err(StageError::port("create schedule"))?;
    Ok((Some(next), waiting_for))
}

/// The schedule of the check at `at`.
fn watch_name(job: &JobId, at: DateTime<Utc>) -> String {
    format!("{job}-cutover-{}", at.timestamp())
}

fn secs(s: u32) -> String {
    match s {
        s if s >= 3_600 && s % 3_600 == 0 => format!("{} h", s / 3_600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl CutoverReport {
    /// One line per domain: its MX now, their TTL, where they point, the old TTL and when it is safe.
    pub fn table(&self) -> String {
        let assumed = self.state.assumed_ttl();
        let mut out = format!(
            "{:<28} {:<34} {:>7}  {:<10} {:>9}  {}\n",
            "domain", "MX now", "TTL", "points to", "old TTL", "safe from"
        );
        for (domain, d) in &self.state.domains {
            let hosts = d.hosts.iter().map(|h| format!("{} {}", h.preference, h.host)).collect::<Vec<_>>().join(", ");
            let pointing = d.pointing.map_or("-".into(), |p| format!("{p:?}").to_lowercase().replace("nomx", "no MX"));
            let (old, was_assumed) = d.old_ttl_or(assumed);
            let old = if was_assumed { format!("{}?", secs(old)) } else { secs(old) };
            let safe = d.safe_at(assumed).map_or("-".into(), time);
            let ttl = d.ttl.map_or("-".into(), secs);
            out.push_str(&format!("{domain:<28} {hosts:<34} {ttl:>7}  {pointing:<10} {old:>9}  {safe}\n"));
        }
        out
    }

    /// What the check means for the final pass, in sentences.
    pub fn verdict(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let expected = self.expected.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let not_new: Vec<String> = self
            .state
            .domains
            .iter()
            .filter(|(_, d)| d.new_since.is_none())
            .map(|(name, d)| match d.pointing {
                Some(Pointing::NoMx) => format!("{name} has no MX records"),
                Some(Pointing::NoDomain) => format!("{name} does not exist in the DNS"),
                Some(Pointing::Unknown) | None => format!("{name} could not be looked up"),
                Some(_) => {
                    let hosts = d.hosts.iter().map(|h| h.host.as_str()).collect::<Vec<_>>().join(", ");
                    format!("{name} still points to {hosts}")
                }
            })
            .collect();
        match self.state.ready_at() {
            _ if self.state.domains.is_empty() => {
                lines.push("the job has no mailbox to move: no domain to check".into())
            }
            None => lines.push(format!("not yet: {} (the new platform is {expected})", not_new.join("; "))),
            Some(t) if t <= self.checked_at => lines.push(format!(
                "safe now: every domain points to the new platform and the old records have expired from caches \
                 (since {})",
                time(t)
            )),
            Some(t) => lines.push(format!(
                "every domain points to the new platform; the old records may still be cached until {}: the final \
                 pass is safe from then on",
                time(t)
            )),
        }
        let assumed = self.state.assumed_ttl();
        for (domain, _) in self.state.domains.iter().filter(|(_, d)| d.old_ttl.is_none() && d.new_since.is_some()) {
            lines.push(format!(
                "{domain}: its old records were never seen (the first check found the new ones), so their TTL is taken \
                 as {}; give --old-ttl if you know it",
                secs(assumed)
            ));
        }
        if let Some(at) = self.state.final_scheduled_at.filter(|_| self.state.final_when_ready) {
            lines.push(format!("final pass scheduled at {} (by the cutover assistant or the operator)", time(at)));
        } else if let Some(next) = self.next_check {
            let why = self.waiting_for.as_ref().map_or(String::new(), |w| format!(" (waiting for {w})"));
            lines.push(format!(
                "watching: the final pass will be scheduled when it is safe; next check at {}{why}",
                time(next)
            ));
        }
        lines
    }
}
