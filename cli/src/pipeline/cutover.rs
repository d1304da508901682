//! `mailferry cutover JOB [--state DIR | --aws]`: the cutover assistant. Looks up the MX records of the job's
//! domains and prints, per domain, where they point, their TTL, the old records' TTL and when the final pass is
//! safe. With `--final-when-ready` it keeps watching (on the embedded home this command runs the watch and then
//! the final pass; on AWS the scheduler function does) and schedules the final pass itself when it is safe.
//!
//! Exit status: 0 when the final pass is safe now (or, watching, when the job is at rest), 1 when not yet, 2 on
//! an error.

use super::commands::{RunArgs, check_new_mx, fail, finish, open, open_existing};
use super::progress::Live;
use super::runner::run_until_rest;
use mailferry::model::cutover::MxPattern;
use mailferry::model::{JobId, parse_period};
use mailferry::stages::Deps;
use mailferry::stages::cutover::{CutoverReport, CutoverRequest, cutover};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Args)]
pub struct CutoverArgs {
    /// The job (its id, as `migrate`, `jobs` and the notification email print it).
    job: String,
    /// The new platform's MX hosts (`mx1.new.example,mx2.new.example` or `*.new.example`), if `migrate` was not
    /// given them or they changed; kept for later checks.
    #[arg(long, value_name = "HOSTS", value_parser = check_new_mx)]
    new_mx: Option<String>,
    /// Ask this name server (`ADDRESS[:PORT]`, e.g. the domains' authoritative server) instead of the system's
    /// resolvers; kept for later checks.
    #[arg(long, value_name = "ADDRESS", value_parser = parse_server)]
    dns: Option<SocketAddr>,
    /// The old MX records' TTL where the assistant never saw them (its first check already found the new hosts):
    /// `1h`, `300s` [default: 1d].
    #[arg(long, value_name = "PERIOD", value_parser = parse_ttl)]
    old_ttl: Option<u32>,
    /// Schedule the final pass as soon as every domain points to the new platform and the old records' TTL is
    /// over, checking again every --every; on this machine the command then runs it (unless --no-wait).
    #[arg(long)]
    final_when_ready: bool,
    /// With --final-when-ready: how often to look again [default: 5m].
    #[arg(long, value_name = "PERIOD", value_parser = parse_every)]
    every: Option<u64>,
    /// With --final-when-ready: set up the watch and return; a later `schedule`, `migrate` or `cutover` on the
    /// same state runs it.
    #[arg(long)]
    no_wait: bool,
    /// Check on the AWS deployment (the functions' environment, as for `schedule --aws`); its scheduler function
    /// does the watching.
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    #[command(flatten)]
    run: RunArgs,
}

impl CutoverArgs {
    /// The state directory (for the log file).
    pub fn state_dir(&self) -> &std::path::Path {
        &self.run.state.state
    }

    fn request(&self) -> CutoverRequest {
        CutoverRequest {
            new_mx: self.new_mx.as_deref().and_then(|t| MxPattern::parse_list(t).ok()),
            name_server: self.dns,
            assumed_old_ttl: self.old_ttl,
            final_when_ready: self.final_when_ready,
            every_secs: self.every,
        }
    }
}

fn parse_server(text: &str) -> Result<SocketAddr, String> {
    let t = text.trim();
    t.parse::<SocketAddr>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("{t:?} is not ADDRESS or ADDRESS:PORT (e.g. 192.0.2.53 or 127.0.0.1:5353)"))
}

fn parse_ttl(text: &str) -> Result<u32, String> {
    parse_period(text)
        .and_then(|s| u32::try_from(s).ok())
        .ok_or_else(|| format!("{text:?} is not a period like 1h or 300s"))
}

fn parse_every(text: &str) -> Result<u64, String> {
    parse_period(text).ok_or_else(|| format!("{text:?} is not a period like 5m, 30s or 1h"))
}

fn print(report: &CutoverReport) {
    let expected = report.expected.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    println!(
        "cutover of {} (new platform's MX: {expected}), checked at {}",
        report.job.id,
        report.checked_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    print!("{}", report.table());
    for line in report.verdict() {
        println!("{line}");
    }
}

async fn check(deps: &Deps, job: &JobId, args: &CutoverArgs) -> Result<CutoverReport, ExitCode> {
    let report = cutover(deps, job, &args.request()).await.map_err(|e| fail("cutover", e))?;
    print(&report);
    Ok(report)
}

fn exit(report: &CutoverReport) -> ExitCode {
    if report.safe_now() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

pub async fn run(args: &CutoverArgs, quiet: bool) -> ExitCode {
    let job = match JobId::new(args.job.clone()) {
        Ok(j) => j,
        Err(e) => return fail("cutover", e),
    };
    #[cfg(feature = "aws")]
    if args.aws {
        let deps = match super::commands::aws_deps("cutover").await {
            Ok(d) => d,
            Err(code) => return code,
        };
        return check(&deps, &job, args).await.map_or_else(|code| code, |r| exit(&r));
    }
    if !args.final_when_ready || args.no_wait {
        let home = match open_existing(&args.run.state) {
            Ok(h) => h,
            Err(e) => return fail("cutover", e),
        };
        return check(&home.deps, &job, args).await.map_or_else(|code| code, |r| exit(&r));
    }
    let home = match open(&args.run, None) {
        Ok(h) => h,
        Err(e) => return fail("cutover", e),
    };
    if let Err(code) = check(&home.deps, &job, args).await {
        return code;
    }
    crate::interrupt::watch(home.deps.settings.copy.stop.clone());
    let workers = args.run.workers.unwrap_or(home.config.workers);
    let mut live = Live::new(quiet, Duration::from_secs(args.run.progress_every));
    let end = run_until_rest(home.clone(), job.clone(), workers, &mut live).await;
    finish(&home, &job, end).await
}
