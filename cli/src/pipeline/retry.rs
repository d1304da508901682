//! `mailferry retry JOB`: another pass over the mailboxes that need it — refused by the pre-flight or failed in
//! their last pass (or those named with `--mailbox`, or `--all` for a second final pass after the MX change),
//! with corrected credentials from `--credentials FILE` where given. Each is checked live again; those that pass
//! are copied (only what is missing: the checkpoints carry on) and the operator is notified, as for any pass.

use super::commands::{RunArgs, fail, finish, open, parse_at};
use super::progress::Live;
use super::runner::run_until_rest;
use crate::interrupt;
use crate::source_args::SourceArgs;
use mailferry::model::JobId;
use mailferry::stages::{Retry, retry as retry_stage};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct RetryArgs {
    /// The job (its id, as `jobs` prints it).
    job: String,
    /// Take this mailbox (destination address; repeatable) instead of every refused or failed one.
    #[arg(long = "mailbox", value_name = "ADDRESS")]
    mailboxes: Vec<String>,
    /// Take every mailbox of the job (another final pass after the MX change).
    #[arg(long, conflicts_with = "mailboxes")]
    all: bool,
    /// A migration CSV with corrected credentials (rows are matched to the job's mailboxes by destination; other
    /// rows are ignored). Needed after the final pass, which purges the stored ones.
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
    /// When to start: `now`, `+30s`, `+5m`, `+2h`, or an RFC 3339 time.
    #[arg(long, default_value = "now")]
    at: String,
    /// Schedule the pass and return; a later `schedule` or `migrate` on the same state runs it.
    #[arg(long)]
    no_wait: bool,
    /// Retry on the AWS deployment (the functions' environment, as for `schedule --aws`): the check runs here,
    /// the pass runs in the functions.
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    run: RunArgs,
}

/// Print what a retry did; `Err` with the exit code when nothing was scheduled.
fn said(job: &JobId, retried: &mailferry::stages::Retried, at: chrono::DateTime<chrono::Utc>) -> Result<(), ExitCode> {
    for (line, address, problem) in &retried.refused {
        println!("line {line}: {address}: still not migrated: {problem}");
    }
    if retried.ready.is_empty() {
        eprintln!("mailferry retry: no mailbox passed the check; nothing scheduled");
        return Err(ExitCode::from(1));
    }
    println!("{} pass of {job}: {} mailbox(es) scheduled at {}", retried.pass, retried.ready.len(), at.to_rfc3339());
    Ok(())
}

impl RetryArgs {
    /// The state directory (for the log file).
    pub fn state_dir(&self) -> &std::path::Path {
        &self.run.state.state
    }
}

pub async fn retry(args: &RetryArgs, quiet: bool) -> ExitCode {
    let job = match JobId::new(args.job.clone()) {
        Ok(j) => j,
        Err(e) => return fail("retry", e),
    };
    let at = match parse_at(&args.at, chrono::Utc::now()) {
        Ok(t) => t,
        Err(e) => return fail("retry", e),
    };
    let credentials = match &args.credentials {
        Some(path) => match std::fs::read(path) {
            Ok(b) => Some(b),
            Err(e) => return fail("retry", format!("cannot read {}: {e}", path.display())),
        },
        None => None,
    };
    let request = Retry {
        mailboxes: args.mailboxes.clone(),
        all: args.all,
        credentials,
        source_defaults: args.source.defaults(),
        at,
    };
    #[cfg(feature = "aws")]
    if args.aws {
        let deps = match super::commands::aws_deps("retry").await {
            Ok(d) => d,
            Err(code) => return code,
        };
        return match retry_stage(&deps, &job, &request).await {
            Ok(r) => said(&job, &r, at).map_or_else(|code| code, |()| ExitCode::SUCCESS),
            Err(e) => fail("retry", e),
        };
    }
    let home = match open(&args.run, None) {
        Ok(h) => h,
        Err(e) => return fail("retry", e),
    };
    interrupt::watch(home.deps.settings.copy.stop.clone());
    let retried = match retry_stage(&home.deps, &job, &request).await {
        Ok(r) => r,
        Err(e) => return fail("retry", e),
    };
    if let Err(code) = said(&job, &retried, at) {
        return code;
    }
    if args.no_wait {
        return ExitCode::SUCCESS;
    }
    let workers = args.run.workers.unwrap_or(home.config.workers);
    let mut live = Live::new(quiet, Duration::from_secs(args.run.progress_every));
    let end = run_until_rest(home.clone(), job.clone(), workers, &mut live).await;
    finish(&home, &job, end).await
}
