//! `mailferry import FILE --target postgres://…|passwd-file:PATH [--ca-file PEM] [--dry-run] [--update]`: create
//! the domains, mailboxes (with quota) and aliases of an import file on the destination's directory. The whole file is
//! validated, then compared with what the destination holds; any problem and nothing is written. Prints one line
//! per row (create / unchanged / update) or every problem by line. Exit 0 done, 1 problems, 2 unusable input.

use mailferry::csv::{Options, Plan, Purpose, validate};
use mailferry::embedded::{Database, SqliteUsage};
use mailferry::import::passwd_file::PasswdFileDirectory;
use mailferry::import::postgres::{PostgresDirectory, connect};
use mailferry::import::reconcile::{Action, Mode};
use mailferry::import::usage::{ImportContext, billing_csv, records_of};
use mailferry::import::{ImportReport, import};
use mailferry::model::TenantId;
use mailferry::ports::{Directory, UsageLedger};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The import CSV (domains, mailboxes, aliases; see README).
    file: PathBuf,
    /// Where accounts live: `postgres://USER@HOST:PORT/DB` (PostfixAdmin schema; password in PGPASSWORD) or
    /// `passwd-file:PATH` (a Dovecot passwd-file, with PATH.domains and PATH.aliases beside it).
    #[arg(long)]
    target: String,
    /// CA certificate (PEM) to trust for PostgreSQL's TLS (e.g. the RDS bundle). TLS with certificate checks is
    /// used for every host but loopback (`?sslmode=require` asks for it there too).
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Print what would be created, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Apply rows that differ from what exists (quota, display name, limits, alias targets) instead of reporting
    /// them as conflicts.
    #[arg(long)]
    update: bool,
    /// Record what was created (who, when, quota) in this state directory's usage ledger, for `mailferry usage`.
    #[arg(long)]
    state: Option<PathBuf>,
    /// The tenant the accounts belong to (for the usage ledger).
    #[arg(long, default_value = "local")]
    tenant: String,
    /// Who runs the import (default: $USER).
    #[arg(long)]
    by: Option<String>,
}

/// `mailferry usage --state DIR --tenant T [--until DATE] [--records]`: the billing CSV (mailboxes and reserved
/// quota per domain per day) or the raw records.
#[derive(clap::Args)]
pub struct UsageArgs {
    /// The state directory that holds the usage ledger.
    #[arg(long, default_value = "mailferry-state", value_name = "DIR")]
    state: PathBuf,
    /// Whose usage to export.
    #[arg(long, default_value = "local")]
    tenant: String,
    /// Last day of the export (default: today, UTC).
    #[arg(long)]
    until: Option<chrono::NaiveDate>,
    /// Print every record (who, when, what) as CSV instead of the per-day export.
    #[arg(long)]
    records: bool,
}

/// The usage ledger in a state directory. Recording creates it (`create`); exporting needs an existing one: a
/// wrong `--state` is an error, never an empty export (an empty bill is a wrong bill).
fn ledger(state: &std::path::Path, create: bool) -> Result<SqliteUsage, String> {
    let db = state.join("state.sqlite");
    if create {
        crate::pipeline::private_dir(state)?;
    } else if !db.is_file() {
        return Err(format!(
            "{} holds no mailferry state (give the --state directory the imports used)",
            state.display()
        ));
    }
    Database::open(&db).map(SqliteUsage::new).map_err(|e| e.to_string())
}

pub async fn usage(args: &UsageArgs) -> ExitCode {
    let tenant = match TenantId::new(args.tenant.clone()) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let records = match ledger(&args.state, false) {
        Ok(l) => match l.records(&tenant).await {
            Ok(r) => r,
            Err(e) => return fail(e),
        },
        Err(e) => return fail(e),
    };
    if args.records {
        println!("at,by,file,kind,address,domain,quota_mb,action");
        for r in &records {
            println!(
                "{},{},{},{},{},{},{},{}",
                r.at.to_rfc3339(),
                r.by,
                r.source_file,
                r.kind,
                r.address,
                r.domain,
                r.quota_mb,
                r.action
            );
        }
    } else {
        print!("{}", billing_csv(&records, args.until.unwrap_or_else(|| chrono::Utc::now().date_naive())));
    }
    ExitCode::SUCCESS
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("mailferry import: {e}");
    ExitCode::from(2)
}

/// The directory `target` names (`passwd-file:PATH`, or `postgres://…` with the password in PGPASSWORD).
pub async fn directory(target: &str, ca_file: Option<&std::path::Path>) -> Result<Arc<dyn Directory>, String> {
    if let Some(path) = target.strip_prefix("passwd-file:") {
        return Ok(Arc::new(PasswdFileDirectory::new(path)));
    }
    if target.starts_with("postgres://") || target.starts_with("postgresql://") {
        let password = std::env::var("PGPASSWORD").ok().map(mailferry::model::Secret::new);
        let client = connect(target, password.as_ref(), ca_file).await.map_err(|e| e.to_string())?;
        return Ok(Arc::new(PostgresDirectory::new(client)));
    }
    Err(format!("--target {target:?}: use postgres://… or passwd-file:PATH"))
}

fn print(report: &ImportReport, dry_run: bool) {
    for p in &report.problems {
        println!("line {}: {}", p.line, p.message);
    }
    if !report.problems.is_empty() {
        return;
    }
    for r in &report.rows {
        let what = match &r.action {
            Action::Create if dry_run => "would create".to_string(),
            Action::Create => "created".to_string(),
            Action::Unchanged => "already exists, unchanged".to_string(),
            Action::Update { what } if dry_run => format!("would update ({what})"),
            Action::Update { what } => format!("updated ({what})"),
        };
        println!("line {}: {} {}: {what}", r.line, r.kind, r.key);
    }
}

pub async fn run(args: &Args) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot read {}: {e}", args.file.display())),
    };
    let options = Options { expect: Some(Purpose::Import), domains_checked_later: true, ..Default::default() };
    let validation = match validate(&bytes, &options) {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let Some(Plan::Import(plan)) = validation.plan else {
        for p in validation.problems.iter().filter(|p| p.is_error()) {
            println!(
                "line {}: {}{}",
                p.line,
                p.column.as_deref().map_or(String::new(), |c| format!("{c}: ")),
                p.message
            );
        }
        println!("{}", validation.summary());
        return ExitCode::from(1);
    };
    let dir = match directory(&args.target, args.ca_file.as_deref()).await {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let mode = if args.update { Mode::Update } else { Mode::CreateOnly };
    let started = Instant::now();
    let report = match import(&plan, dir.as_ref(), mode, args.dry_run).await {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print(&report, args.dry_run);
    if let (Some(state), true) = (&args.state, report.applied) {
        let ctx = ImportContext {
            tenant: match TenantId::new(args.tenant.clone()) {
                Ok(t) => t,
                Err(e) => return fail(e),
            },
            at: chrono::Utc::now(),
            by: args.by.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into()),
            source_file: args.file.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        };
        let recorded = match ledger(state, true) {
            Ok(l) => l.record(&records_of(&report, &plan, &ctx)).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = recorded {
            eprintln!("mailferry import: the accounts were created, but recording usage failed: {e}");
            return ExitCode::from(1);
        }
    }
    if report.problems.is_empty() {
        let counts = report.counts();
        println!(
            "{}: {} created, {} updated, {} unchanged in {:.1} s",
            if args.dry_run {
                "dry run"
            } else if report.applied {
                "imported"
            } else {
                "nothing to do"
            },
            counts.created,
            counts.updated,
            counts.unchanged,
            started.elapsed().as_secs_f64()
        );
        ExitCode::SUCCESS
    } else {
        println!("{} problem(s): nothing was created", report.problems.len());
        ExitCode::from(1)
    }
}
