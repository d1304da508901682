//! `mailferry migrate`, `schedule` and `status` on the embedded home.

pub use super::at::parse_at;
use super::progress::Live;
use super::runner::{RunEnd, run_until_rest};
use super::status::print_status;
use super::{Config, Home};
use crate::interrupt;
use mailferry::model::cutover::MxPattern;
use mailferry::model::{CatchUp, JobId, Pass};
use mailferry::stages::{self, Upload, UploadOutcome};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The state directory every pipeline command works on.
#[derive(clap::Args, Clone)]
pub struct StateArgs {
    /// The state directory (database, key, reports, outbox) that `migrate` created.
    #[arg(long, default_value = "mailferry-state", value_name = "DIR")]
    pub state: PathBuf,
}

/// Options of the commands that copy (`migrate`, `schedule`).
#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// File holding the destination master password (else MAILFERRY_DEST_MASTER_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub dest_password_file: Option<PathBuf>,
    /// Copy workers (folders copied at once) [default: 4, or what `migrate` was given].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// When standard error is not a terminal: print the progress lines (job and each mailbox being copied:
    /// messages, rate, ETA) at most this often, in seconds (0: whenever something moved).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub progress_every: u64,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(clap::Args)]
pub struct MigrateArgs {
    /// The migration CSV (see README: mailferry, Microsoft 365 and imapsync formats).
    file: PathBuf,
    /// Destination server and its master user: imaps://MASTER@HOST[:PORT] (imap://…?starttls, imap:// plain).
    #[arg(long)]
    dest: String,
    /// When to start: RFC 3339 (`2026-11-24T22:00:00Z`), `now`, or `+N` seconds/minutes (`+30s`, `+5m`).
    #[arg(long, default_value = "now")]
    at: String,
    /// Who is notified when a pass completes (an email in the outbox).
    #[arg(long)]
    notify: Option<String>,
    /// Tenant the job belongs to.
    #[arg(long, default_value = "local")]
    tenant: String,
    /// Declare that the tenant owns this destination domain first (repeatable; see `mailferry domains claim`).
    /// Rows whose destination is in a domain the tenant does not own are refused by line.
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// Extra CA certificate (PEM) to trust for source and destination.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Mailboxes copied at once.
    #[arg(long, default_value_t = 10)]
    mailboxes_in_flight: usize,
    /// Let source servers be on loopback, private or link-local networks (an old server on this LAN). Off by
    /// default: the CSV decides where connections go, and it must not reach this machine's own network.
    #[arg(long)]
    allow_private_sources: bool,
    /// Cancel the job and purge its sealed credentials this many days after the upload if it is not complete.
    #[arg(long, default_value_t = 30)]
    keep_credentials_days: u64,
    /// Messages per batch; each batch ends with a checkpoint, and Ctrl-C stops at the end of one.
    #[arg(long, default_value_t = 250)]
    batch_messages: usize,
    /// Pairs of connections (source and destination) one mailbox may have open at once. Keep it below the
    /// servers' per-user limits (Dovecot 10, Gmail 15 including the user's own clients).
    #[arg(long, default_value_t = 4, value_name = "N")]
    connections_per_mailbox: u32,
    /// Connections to one source server at once, across all mailboxes of the job.
    #[arg(long, default_value_t = 20, value_name = "N")]
    connections_per_host: u32,
    /// Folders with at most this many messages to copy are copied over the connections their mailbox was
    /// planned with (one login per side for all of them); bigger ones get their own connections, in parallel.
    #[arg(long, default_value_t = 2000, value_name = "MESSAGES")]
    small_folder: u32,
    /// Download budget per mailbox: `preset` (Gmail's 2500MB/24h for Gmail sources, none for others), `none`,
    /// or SIZE/PERIOD like `2500MB/24h`. A mailbox that used it is parked until the window renews (windows are
    /// counted from 00:00 UTC).
    #[arg(long, default_value = "preset", value_name = "BUDGET", value_parser = check_budget)]
    source_budget: String,
    /// After the first pass, a catch-up pass over every mailbox this long after the pass before ended (`6h`, `30m`,
    /// `45s`, `1d`), copying new mail and flag changes, until the final pass is scheduled: `migrate` keeps running
    /// them (schedule the final pass from another shell, or stop with Ctrl-C and schedule it later).
    #[arg(long, value_name = "PERIOD", value_parser = parse_every)]
    catch_up_every: Option<CatchUp>,
    /// With --catch-up-every: at most this many catch-up passes.
    #[arg(long, value_name = "N", requires = "catch_up_every")]
    catch_ups: Option<u32>,
    /// The new platform's MX hosts (`mx1.new.example,mx2.new.example`, or `*.new.example`), for the cutover
    /// assistant (`mailferry cutover`): a domain points to the new platform when all its MX hosts are these.
    #[arg(long, value_name = "HOSTS", value_parser = check_new_mx)]
    new_mx: Option<String>,
    #[command(flatten)]
    source: crate::source_args::SourceArgs,
    #[command(flatten)]
    smtp: super::smtp::SmtpOptions,
    /// Validate, check and schedule, then return without running the copy.
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
pub struct ScheduleArgs {
    /// The job (its id, as `migrate`, `jobs` and the notification email print it).
    job: String,
    /// Schedule on the AWS deployment (EventBridge Scheduler) instead of the state directory; reads the same
    /// environment as the functions (TABLE_NAME, SCHEDULE_GROUP, … see functions/README.md).
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    /// Which pass: initial or final.
    #[arg(long, default_value = "final")]
    pass: String,
    /// When to start: `now`, `+30s`, `+5m`, `+2h`, or an RFC 3339 time such as 2026-11-24T22:00:00Z.
    #[arg(long, default_value = "now")]
    at: String,
    /// Schedule the pass and return; a later `schedule` or `migrate` on the same state runs it.
    #[arg(long)]
    no_wait: bool,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args)]
pub struct StatusArgs {
    /// The job (default: the newest).
    job: Option<String>,
    /// Read the AWS deployment instead of the state directory (same environment as `schedule --aws`).
    #[cfg(feature = "aws")]
    #[arg(long)]
    aws: bool,
    /// Redraw every second until the job is at rest.
    #[arg(long)]
    watch: bool,
    /// Print one JSON document (the job, its passes and every mailbox) instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    state: StateArgs,
}

impl MigrateArgs {
    /// The state directory (for the log file).
    pub fn state_dir(&self) -> &Path {
        &self.run.state.state
    }
}

impl ScheduleArgs {
    /// The state directory (for the log file).
    pub fn state_dir(&self) -> &Path {
        &self.run.state.state
    }
}

pub(crate) fn fail(cmd: &str, e: impl std::fmt::Display) -> ExitCode {
    eprintln!("mailferry {cmd}: {e}");
    ExitCode::from(2)
}

pub(crate) fn open(args: &RunArgs, config: Option<Config>) -> Result<Arc<Home>, String> {
    Home::open(&args.state.state, config, args.dest_password_file.as_deref()).map(Arc::new)
}

/// The existing state, without the destination password and without creating anything.
pub(super) fn open_existing(args: &StateArgs) -> Result<Arc<Home>, String> {
    Home::open_existing(&args.state).map(Arc::new)
}

/// The exit status of a printed progress: 0 when nothing needs attention, 1 when a mailbox was refused or
/// failed, 2 when it could not be read.
fn exit_of(printed: Result<bool, String>) -> ExitCode {
    match printed {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => fail("status", e),
    }
}

/// Exit status after a run: 0 when every mailbox was copied without failure, 1 otherwise, 130 when interrupted
/// (the progress so far is printed, and how to go on).
pub(super) async fn finish(home: &Home, job: &JobId, end: RunEnd) -> ExitCode {
    let code = exit_of(print_status(home, Some(job), false).await);
    if end == RunEnd::AtRest {
        return code;
    }
    interrupt::resume_hint();
    ExitCode::from(interrupt::EXIT_INTERRUPTED)
}

/// Parse the job, pass and time of `args` and schedule the pass on `deps`' home; `via` ends the printed line.
async fn schedule_on(deps: &mailferry::stages::Deps, args: &ScheduleArgs, via: &str) -> Result<JobId, String> {
    let (job, pass) = job_and_pass(&args.job, &args.pass)?;
    let at = parse_at(&args.at, deps.clock.now())?;
    stages::schedule_pass(deps, &job, pass, at).await.map_err(|e| e.to_string())?;
    println!("{pass} pass of {job} scheduled at {}{via}", at.to_rfc3339());
    Ok(job)
}

pub async fn migrate(args: &MigrateArgs, quiet: bool) -> ExitCode {
    // Usage mistakes first, before any state is created.
    let at = match parse_at(&args.at, chrono::Utc::now()) {
        Ok(t) => t,
        Err(e) => return fail("migrate", e),
    };
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => return fail("migrate", format!("cannot read {}: {e}", args.file.display())),
    };
    let config = Config {
        dest: args.dest.clone(),
        ca_file: args.ca_file.clone(),
        workers: args.run.workers.unwrap_or(4),
        mailboxes_in_flight: args.mailboxes_in_flight,
        connections: super::ConnectionsConfig {
            per_mailbox: args.connections_per_mailbox.max(1),
            per_source_host: args.connections_per_host.max(1),
            small_folder: args.small_folder,
        },
        budget: args.source_budget.clone(),
        sender: "mailferry@localhost".into(),
        timeout_secs: 60,
        allow_private_sources: args.allow_private_sources,
        credential_retention_days: args.keep_credentials_days,
        batch_messages: args.batch_messages,
        smtp: match args.smtp.config(args.state_dir()).await {
            // Without --smtp, a state directory keeps the server it was given before.
            Ok(None) => super::Home::config_of(args.state_dir()).and_then(|c| c.smtp),
            Ok(some) => some,
            Err(e) => return fail("migrate", e),
        },
    };
    let home = match open(&args.run, Some(config)) {
        Ok(h) => h,
        Err(e) => return fail("migrate", e),
    };
    if let Err(e) = crate::domains::claim_all(home.deps.domains.as_ref(), &args.tenant, &args.domains).await {
        return fail("migrate", e);
    }
    let name = args.file.file_name().map_or("upload.csv".into(), |n| n.to_string_lossy().into_owned());
    let key = format!("migrations/{}/{name}", args.tenant);
    if let Err(e) = home.deps.blobs.put(&key, bytes, "text/csv").await {
        return fail("migrate", e);
    }
    // From here on Ctrl-C stops cleanly: the checks and the copy end at a safe point and the same command resumes.
    interrupt::watch(home.deps.settings.copy.stop.clone());
    let upload = Upload {
        key,
        start_at: Some(at),
        operator_email: args.notify.clone(),
        source_defaults: args.source.defaults(),
        credential_objects: Default::default(),
        catch_up: args.catch_up_every.map(|every| CatchUp { max: args.catch_ups, ..every }),
        new_mx: args.new_mx.as_deref().map(MxPattern::parse_list).transpose().unwrap_or_default().unwrap_or_default(),
    };
    let outcome = match stages::on_upload(&home.deps, &upload).await {
        Ok(o) => o,
        Err(e) => {
            // Nothing was stored; the copy of the CSV (with its passwords) does not stay behind either.
            let _ = home.deps.blobs.delete(&upload.key).await;
            return fail("migrate", e);
        }
    };
    let job = match outcome {
        UploadOutcome::Ignored { reason } => return fail("migrate", reason),
        UploadOutcome::Imported { .. } => return fail("migrate", "this is an import file: use `mailferry import`"),
        UploadOutcome::AlreadyHandled { job } => {
            println!("{} was uploaded before as job {job}; continuing it", args.file.display());
            job
        }
        UploadOutcome::Rejected { job, report, errors } => {
            print_report(&home.dir, &report);
            eprintln!(
                "mailferry migrate: {errors} error(s) in {}: nothing will be migrated (job {job})",
                args.file.display()
            );
            return ExitCode::from(1);
        }
        UploadOutcome::Accepted { job, report, ready, failed, scheduled } => {
            println!(
                "job {job}: {ready} mailbox(es) ready; report in {}",
                home.dir.join("blobs").join(&report).display()
            );
            for (line, address, problem) in &failed {
                println!("line {line}: {address}: not migrated: {problem}");
            }
            if let Some(at) = scheduled {
                println!("initial pass scheduled at {}", at.to_rfc3339());
            }
            if args.notify.is_none() {
                println!("nobody will be notified when a pass completes: no --notify address was given");
            }
            job
        }
    };
    let _ = std::fs::write(home.dir.join("last-job"), job.as_str());
    if args.no_wait {
        return ExitCode::SUCCESS;
    }
    let mut live = Live::new(quiet, Duration::from_secs(args.run.progress_every));
    let end = run_until_rest(home.clone(), job.clone(), home.config.workers, &mut live).await;
    finish(&home, &job, end).await
}

fn print_report(dir: &Path, report: &str) {
    let csv = dir.join("blobs").join(report.replace(".json", ".csv"));
    if let Ok(text) = std::fs::read_to_string(&csv) {
        eprint!("{text}");
    }
}

/// The AWS deployment's ports, from the same environment the functions read.
#[cfg(feature = "aws")]
pub(super) async fn aws_deps(cmd: &str) -> Result<mailferry::stages::Deps, ExitCode> {
    mailferry::aws::Deployment::from_env().await.map(|l| l.deps).map_err(|e| fail(cmd, e))
}

fn job_and_pass(job: &str, pass: &str) -> Result<(JobId, Pass), String> {
    let job = JobId::new(job.to_string()).map_err(|e| e.to_string())?;
    match pass {
        "initial" => Ok((job, Pass::Initial)),
        "final" => Ok((job, Pass::Final)),
        p => Err(format!("--pass {p:?}: use initial or final")),
    }
}

pub async fn schedule(args: &ScheduleArgs, quiet: bool) -> ExitCode {
    #[cfg(feature = "aws")]
    if args.aws {
        let deps = match aws_deps("schedule").await {
            Ok(d) => d,
            Err(code) => return code,
        };
        return match schedule_on(&deps, args, " (EventBridge Scheduler)").await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => fail("schedule", e),
        };
    }
    let home = match open(&args.run, None) {
        Ok(h) => h,
        Err(e) => return fail("schedule", e),
    };
    let job = match continuing(&home, &args.job).await {
        Some(job) => job,
        None => match schedule_on(&home.deps, args, "").await {
            Ok(j) => j,
            Err(e) => return fail("schedule", e),
        },
    };
    if args.no_wait {
        return ExitCode::SUCCESS;
    }
    interrupt::watch(home.deps.settings.copy.stop.clone());
    let workers = args.run.workers.unwrap_or(home.config.workers);
    let mut live = Live::new(quiet, Duration::from_secs(args.run.progress_every));
    let end = run_until_rest(home.clone(), job.clone(), workers, &mut live).await;
    finish(&home, &job, end).await
}

/// The job, when a pass of it is running already (an interrupted `schedule`): running the same command again
/// continues that pass instead of refusing to schedule it.
async fn continuing(home: &Home, job: &str) -> Option<JobId> {
    let id = JobId::new(job.to_string()).ok()?;
    let running = home.deps.store.job(&id).await.ok()??.status == mailferry::model::JobStatus::Running;
    running.then(|| {
        println!("{id}: a pass is running; continuing it");
        id
    })
}

pub async fn status(args: &StatusArgs) -> ExitCode {
    #[cfg(feature = "aws")]
    if args.aws {
        let deps = match aws_deps("status").await {
            Ok(d) => d,
            Err(code) => return code,
        };
        let Some(job) = args.job.clone() else { return fail("status", "--aws needs the job id") };
        return match JobId::new(job).map_err(|e| e.to_string()) {
            Ok(id) => exit_of(super::status::print_progress(&deps, &id, args.json).await),
            Err(e) => fail("status", e),
        };
    }
    let home = match open_existing(&args.state) {
        Ok(h) => h,
        Err(e) => return fail("status", e),
    };
    let job = match args.job.clone().map(JobId::new).transpose() {
        Ok(j) => j,
        Err(e) => return fail("status", e),
    };
    loop {
        let printed = print_status(&home, job.as_ref(), args.json).await;
        let resting = match super::status::resolve(&home, job.as_ref()) {
            Ok(j) => super::runner::at_rest(&home, &j).await,
            Err(_) => true,
        };
        if printed.is_err() || !args.watch || resting {
            return exit_of(printed);
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        // Clear the screen only on a terminal: a pipe or a file gets one report after another.
        if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            print!("\x1b[2J\x1b[H");
        }
    }
}

fn check_budget(text: &str) -> Result<String, String> {
    mailferry::stages::budget::Budgets::parse(text).map(|_| text.to_string())
}

fn parse_every(text: &str) -> Result<CatchUp, String> {
    CatchUp::parse(text, None)
}

/// `--new-mx`, checked when the command line is read (and parsed again where it is used).
pub(super) fn check_new_mx(text: &str) -> Result<String, String> {
    MxPattern::parse_list(text).map(|_| text.to_string())
}
