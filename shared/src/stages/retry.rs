//! Another pass over chosen mailboxes of a job at rest (`mailferry retry`): by default the ones the pre-flight
//! refused or whose last pass failed, or the ones named, or all of them again (a second final pass after the MX
//! change). Corrected credentials may come as a migration CSV whose rows are matched to the job's mailboxes by
//! destination address (other rows are ignored); without them the sealed credentials are used, and a mailbox
//! whose credentials were purged (the final pass ends with that) needs them. The chosen mailboxes are checked
//! live again, and those that pass get a later pass of their own (`extra-N`): the checkpoints carry on, so
//! only what is missing is copied. The job returns to where it was (before or after its final pass).

use super::counter;
use super::holds::{HasBlobs, HasCheckpoints, HasClock, HasCounters, HasSchedules, HasSecrets, HasSettings, HasStore};
use super::{StageError, credentials, job_progress, preflight, schedule};
use crate::csv::{self, Options, Plan, Purpose, SourceDefaults};
use crate::model::{EmailAddress, JobId, JobStatus, MailboxRecord, Pass, SourceAccount};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Which mailboxes to take again, and how.
#[derive(Clone, Debug, Default)]
pub struct Retry {
    /// Destination addresses; empty: the refused and failed ones (or every one with `all`).
    pub mailboxes: Vec<String>,
    /// Every mailbox of the job.
    pub all: bool,
    /// A migration CSV with corrected credentials for some of them.
    pub credentials: Option<Vec<u8>>,
    /// Job-level source defaults for that CSV.
    pub source_defaults: SourceDefaults,
    /// When the pass starts.
    pub at: DateTime<Utc>,
}

/// What a retry scheduled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retried {
    pub pass: Pass,
    /// Mailboxes in the pass.
    pub ready: Vec<EmailAddress>,
    /// Mailboxes the new check refused: line, address, why.
    pub refused: Vec<(u64, EmailAddress, String)>,
}

fn refuse(job: &JobId, reason: String) -> StageError {
    StageError::Mailbox { mailbox: job.to_string(), reason }
}

/// The mailboxes to take: named, all, or those that need attention.
async fn choose(
    deps: &(impl HasStore + HasCounters + HasCheckpoints + HasClock + HasSettings),
    job: &JobId,
    r: &Retry,
) -> Result<Vec<MailboxRecord>, StageError> {
    let records = deps.store().mailboxes(job).await.map_err(StageError::port("read mailboxes"))?;
    if r.all {
        return Ok(records);
    }
    if !r.mailboxes.is_empty() {
        let mut chosen = Vec::new();
        for a in &r.mailboxes {
            let found = records.iter().find(|m| m.address.to_string().eq_ignore_ascii_case(a));
            chosen.push(found.cloned().ok_or_else(|| refuse(job, format!("the job has no mailbox {a}")))?);
        }
        return Ok(chosen);
    }
    let progress = job_progress(deps, job, false).await?.ok_or_else(|| refuse(job, "there is no such job".into()))?;
    let attention: Vec<&EmailAddress> =
        progress.mailboxes.iter().filter(|m| m.problem.is_some() || m.failed > 0).map(|m| &m.address).collect();
    Ok(records.into_iter().filter(|m| attention.contains(&&m.address)).collect())
}

/// The accounts of a corrected-credentials CSV, by destination key; every problem of the file is an error.
fn new_accounts(r: &Retry) -> Result<HashMap<String, SourceAccount>, String> {
    let Some(bytes) = &r.credentials else { return Ok(HashMap::new()) };
    let options =
        Options { expect: Some(Purpose::Migration), source_defaults: r.source_defaults.clone(), ..Default::default() };
    let v = csv::validate(bytes, &options).map_err(|e| format!("the credentials file: {e}"))?;
    let Some(Plan::Migration(entries)) = v.plan else {
        let first: Vec<String> = v.problems.iter().filter(|p| p.is_error()).take(3).map(|p| p.to_string()).collect();
        return Err(format!("the credentials file is not valid: {}", first.join("; ")));
    };
    Ok(entries.into_iter().map(|e| (e.account.destination.key(), e.account)).collect())
}

/// Check the chosen mailboxes again and schedule a later pass for those that pass.
pub async fn retry<D>(deps: &D, job: &JobId, r: &Retry) -> Result<Retried, StageError>
where
    D: HasStore + HasCounters + HasCheckpoints + HasBlobs + HasSecrets + HasSchedules + HasClock + HasSettings,
{
    let current = deps.store().job(job).await.map_err(StageError::port("read job"))?;
    let status = current.ok_or_else(|| refuse(job, "there is no such job".into()))?.status;
    if !matches!(status, JobStatus::InitialDone | JobStatus::Complete) {
        return Err(refuse(job, format!("the job is {status}: retry once its pass has finished")));
    }
    let chosen = choose(deps, job, r).await?;
    if chosen.is_empty() {
        return Err(refuse(job, "nothing to retry: every mailbox made it (name one with --mailbox, or --all)".into()));
    }
    let fresh = new_accounts(r).map_err(|e| refuse(job, e))?;
    let mut accounts = Vec::with_capacity(chosen.len());
    for m in &chosen {
        let key = m.address.key();
        accounts.push(match fresh.get(&key) {
            Some(a) => (a.clone(), true),
            None => (credentials::account_of(deps, m).await?, false),
        });
    }
    let refs: Vec<&SourceAccount> = accounts.iter().map(|(a, _)| a).collect();
    let checks = preflight::check_all(deps, &refs).await;
    // A round is taken only for a pass that will run: pass names have no gaps.
    let round = if checks.iter().any(|c| c.problem.is_none()) {
        let rounds = deps.counters().add(&format!("{job}/extra"), &[(counter::ROUNDS, 1)]).await;
        rounds.map_err(StageError::port("count passes"))?.get(counter::ROUNDS).copied().unwrap_or(1) as u32 + 1
    } else {
        0
    };
    let (mut updated, mut ready, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for ((m, (account, is_new)), check) in chosen.into_iter().zip(accounts).zip(checks) {
        let mut m = m;
        if is_new {
            m.sealed_credentials = Some(credentials::seal(deps, job, &account).await?);
            m.source = format!("{}:{}", account.host, account.port);
            m.source_user = account.user.clone();
            let folders = std::mem::take(&mut m.details.folders);
            m.details = credentials::details_of(&account, check.clone());
            m.details.folders = folders;
        }
        m.details.preflight = Some(check.clone());
        match &check.problem {
            None => {
                m.details.round = round;
                ready.push(m.address.clone());
            }
            Some(p) => refused.push((m.line, m.address.clone(), p.clone())),
        }
        updated.push(m);
    }
    deps.store().put_mailboxes(&updated).await.map_err(StageError::port("store mailboxes"))?;
    let pass = Pass::Extra(round);
    if !ready.is_empty() {
        schedule::schedule_pass(deps, job, pass, r.at).await?;
        tracing::info!(job = %job, pass = %pass, ready = ready.len(), refused = refused.len(), "retry scheduled");
    }
    Ok(Retried { pass, ready, refused })
}
