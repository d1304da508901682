//! `mailferry sync --source URL --dest URL`: copy one mailbox on this machine, with checkpoints in a SQLite state
//! file so that running it again resumes (and, once done, copies only what is new). Progress bars per folder on a
//! terminal, a summary table at the end; exit 0 only when every folder is fully and verifiably copied.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mailferry::embedded::runners::RunnerLock;
use mailferry::embedded::{Database, SqliteCheckpoints};
use mailferry::engine::ledger::LedgerStore;
use mailferry::engine::{
    CopySettings, FolderOutcome, FolderReport, MailboxReport, MailboxSync, Progress, plan_mailbox, sync_mailbox,
};
use mailferry::imap::plan::Filters;
use mailferry::imap::url::{ServerUrl, parse};
use mailferry::imap::{Endpoint, Login};
use mailferry::model::JobId;
use mailferry::ports::SystemClock;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Source server: imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT]?starttls, or imap://… (plain).
    #[arg(long)]
    source: String,
    /// Destination server, same form.
    #[arg(long)]
    dest: String,
    /// SQLite file holding the checkpoints; running again with it resumes.
    #[arg(long, default_value = "mailferry-state.sqlite")]
    state: PathBuf,
    /// Print the folder plan and stop.
    #[arg(long)]
    dry_run: bool,
    /// Log in to the source as this master/admin user on the URL user's behalf.
    #[arg(long)]
    source_master_user: Option<String>,
    /// File holding the source password (else MAILFERRY_SOURCE_PASSWORD).
    #[arg(long)]
    source_password_file: Option<PathBuf>,
    /// File holding the destination password (else MAILFERRY_DEST_PASSWORD).
    #[arg(long)]
    dest_password_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust for both servers.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Folders copied at once (connections per server).
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Messages per batch (one checkpoint per batch).
    #[arg(long, default_value_t = 250)]
    batch_messages: usize,
    /// Bytes per batch.
    #[arg(long, default_value_t = 4 << 20)]
    batch_bytes: u64,
    /// Copy only folders matching these patterns (`*` anything, `%` within one level; `/` separates levels).
    #[arg(long)]
    include: Vec<String>,
    /// Leave out folders matching these patterns.
    #[arg(long)]
    exclude: Vec<String>,
    /// From a Gmail source: copy a message with several labels once, into the folder of its first label (INBOX,
    /// Sent, Drafts, then by name), instead of once into each label's folder.
    #[arg(long)]
    gmail_single_copy: bool,
    /// Seconds to wait for any server answer.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No progress bars.
    #[arg(long)]
    no_progress: bool,
}

fn endpoint(u: &ServerUrl, args: &Args) -> Endpoint {
    u.endpoint(args.ca_file.clone(), Duration::from_secs(args.timeout))
}

fn setup(args: &Args) -> Result<MailboxSync, String> {
    let (src, dst) = (parse(&args.source)?, parse(&args.dest)?);
    let (source_file, dest_file) = (args.source_password_file.as_deref(), args.dest_password_file.as_deref());
    let source_pass =
        crate::password::read("source password", "MAILFERRY_SOURCE_PASSWORD", source_file, "--source-password-file")?;
    let dest_pass =
        crate::password::read("destination password", "MAILFERRY_DEST_PASSWORD", dest_file, "--dest-password-file")?;
    let source_login = match &args.source_master_user {
        Some(master) => {
            Login::Master { user: src.user.clone(), master_user: master.clone(), master_password: source_pass }
        }
        None => Login::Password { user: src.user.clone(), password: source_pass },
    };
    let digest = Sha256::digest(format!("{}\u{1f}{}", args.source, args.dest).as_bytes());
    let job = JobId::new(format!("sync-{}", digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>()))
        .map_err(|e| e.to_string())?;
    let owner = format!(
        "mailferry-cli:{}",
        std::fs::canonicalize(&args.state).unwrap_or_else(|_| args.state.clone()).display()
    );
    Ok(MailboxSync {
        source: endpoint(&src, args),
        source_login,
        dest: endpoint(&dst, args),
        dest_login: Login::Password { user: dst.user.clone(), password: dest_pass },
        job,
        mailbox: dst.user.clone(),
        filters: Filters {
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            gmail_single_copy: args.gmail_single_copy,
        },
        parallel: args.parallel,
        attempts: 5,
        settings: CopySettings {
            owner,
            batch_bytes: args.batch_bytes,
            batch_max: args.batch_messages,
            ..Default::default()
        },
        // Beside the checkpoints: what each message was written with, so the next sync carries flag changes.
        ledgers: Some(LedgerStore(std::sync::Arc::new(mailferry::embedded::DirBlobs::new(PathBuf::from(format!(
            "{}.ledgers",
            args.state.display()
        )))))),
        // Renamed folders are followed by the pipeline (its mailbox records know the folders of earlier passes).
        known_folders: Vec::new(),
    })
}

/// Run the command.
pub async fn run(args: &Args, quiet: bool) -> ExitCode {
    let cfg = match setup(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mailferry sync: {e}");
            return ExitCode::from(2);
        }
    };
    if args.dry_run {
        return match plan_mailbox(&cfg).await {
            Ok(plan) => {
                println!("plan for {} (nothing copied):\n{plan}", cfg.mailbox);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("mailferry sync: {e}");
                ExitCode::from(2)
            }
        };
    }
    // One run per state file at a time: the lease owner is the state file, so a second run would share it.
    let lock_path = PathBuf::from(format!("{}.lock", args.state.display()));
    let (mut lock, after) = match RunnerLock::take_file(&lock_path) {
        Ok(Some(taken)) => taken,
        Ok(None) => {
            eprintln!("mailferry sync: another sync is using {}", args.state.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("mailferry sync: cannot open {}: {e}", lock_path.display());
            return ExitCode::from(2);
        }
    };
    let db = match Database::open(&args.state) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("mailferry sync: {e}");
            return ExitCode::from(2);
        }
    };
    let checkpoints = Arc::new(SqliteCheckpoints::new(db, Arc::new(SystemClock)));
    if checkpoints.open_batches(&cfg.job).await.unwrap_or(0) > 0 {
        wait_for_abandoned_writes(after).await;
    }
    if let Err(e) = lock.mark_running() {
        eprintln!("mailferry sync: cannot write {}: {e}", lock_path.display());
        return ExitCode::from(2);
    }
    let bars = Bars::new(!args.no_progress && !quiet && std::io::stderr().is_terminal());
    let started = Instant::now();
    crate::interrupt::watch(cfg.settings.stop.clone());
    let report = sync_mailbox(&cfg, checkpoints, bars.callback()).await;
    bars.finish();
    match report {
        Ok(report) => {
            let code = summarize(&report, started.elapsed(), args.json);
            if !cfg.settings.stop.requested() {
                return code;
            }
            for folder in &report.not_started {
                println!("not started: {folder}");
            }
            crate::interrupt::resume_hint();
            ExitCode::from(crate::interrupt::EXIT_INTERRUPTED)
        }
        Err(e) => {
            eprintln!("mailferry sync: {e}");
            ExitCode::from(2)
        }
    }
}

/// After a run that died (killed, not interrupted) in the middle of a batch, the destination may still be
/// committing that batch if it had received it in full: resume only once that is surely over (a few seconds after
/// the death), so the resume's comparison sees it.
async fn wait_for_abandoned_writes(after: Option<std::time::SystemTime>) {
    let Some(wait) = after.and_then(|t| t.duration_since(std::time::SystemTime::now()).ok()) else { return };
    let secs = wait.as_secs_f64();
    eprintln!("mailferry sync: the last run ended abruptly; resuming in {secs:.2} s, once the destination settled");
    tokio::time::sleep(wait).await;
}

/// A progress bar per folder (hidden when stderr is not a terminal).
struct Bars {
    multi: MultiProgress,
    bars: Arc<Mutex<HashMap<String, ProgressBar>>>,
    visible: bool,
}

impl Bars {
    fn new(visible: bool) -> Self {
        Bars { multi: MultiProgress::new(), bars: Arc::default(), visible }
    }

    fn callback(&self) -> Arc<dyn Fn(Progress<'_>) + Send + Sync> {
        let (multi, bars, visible) = (self.multi.clone(), self.bars.clone(), self.visible);
        Arc::new(move |p: Progress<'_>| {
            if !visible {
                return;
            }
            let mut bars = bars.lock().unwrap_or_else(|e| e.into_inner());
            let bar = bars.entry(p.path.to_string()).or_insert_with(|| {
                let b = multi.add(ProgressBar::new(p.total));
                b.set_style(
                    ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                b.set_prefix(p.path.chars().take(24).collect::<String>());
                b
            });
            bar.set_length(p.total);
            bar.set_position(p.done);
            bar.set_message(format!("{:.1} MB", p.bytes as f64 / 1e6));
        })
    }

    fn finish(&self) {
        for b in self.bars.lock().unwrap_or_else(|e| e.into_inner()).values() {
            b.finish();
        }
    }
}

/// `s` cut and padded to `width` terminal columns (CJK characters take two).
fn pad(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out + &" ".repeat(width - used)
}

fn summarize(report: &MailboxReport, elapsed: Duration, as_json: bool) -> ExitCode {
    let copied: u64 = report.folders.iter().map(|f| f.copied).sum();
    let bytes: u64 = report.folders.iter().map(|f| f.bytes).sum();
    let skipped: usize = report.folders.iter().map(|f| f.skipped.len()).sum();
    // A folder is complete only when the destination holds at least what the source does: a message refused in
    // an earlier run stays reported (and the exit status non-zero) on every later run until the counts match.
    let short = |f: &FolderReport| u64::from(f.source_messages.saturating_sub(f.dest_messages));
    let clean = report.failed.is_empty()
        && skipped == 0
        && report.folders.iter().all(|f| f.outcome == FolderOutcome::Done && short(f) == 0);
    let outcome = |f: &FolderReport| match f.outcome {
        FolderOutcome::Done if short(f) > 0 => format!("NOT COPIED: {} (refused by the destination)", short(f)),
        FolderOutcome::Done => "done".to_string(),
        FolderOutcome::MoreToDo => "more to do".to_string(),
        FolderOutcome::Differs { missing } => format!("DIFFERS: {missing} missing"),
    };
    if as_json {
        let doc = json!({
            "elapsed_seconds": elapsed.as_secs_f64(),
            "copied": copied,
            "bytes": bytes,
            "complete": clean,
            "folders": report.folders.iter().map(|f| json!({
                "folder": f.path, "source": f.source_messages, "dest": f.dest_messages, "copied": f.copied,
                "bytes": f.bytes,
                "already_present": f.already_present, "outcome": outcome(f), "not_copied": short(f),
                "dropped_flags": f.dropped_flags, "bad_dates": f.bad_dates,
                "skipped": f.skipped.iter().map(|s| {
                    json!({"uid": s.uid, "size": s.size, "date": s.date, "subject": s.subject, "reason": s.reason})
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "failed": report.failed.iter().map(|(f, e)| json!({"folder": f, "error": e})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for n in &report.plan.notes {
            println!("note: {n}");
        }
        println!("{:<32} {:>8} {:>8} {:>8} {:>8}  status", "folder", "source", "dest", "copied", "skipped");
        for f in &report.folders {
            let name = pad(&f.path, 32);
            println!(
                "{name} {:>8} {:>8} {:>8} {:>8}  {}",
                f.source_messages,
                f.dest_messages,
                f.copied,
                f.skipped.len(),
                outcome(f)
            );
        }
        for f in &report.folders {
            for s in &f.skipped {
                println!(
                    "skipped: {} UID {} ({} bytes, {}, {:?}): {}",
                    s.folder, s.uid, s.size, s.date, s.subject, s.reason
                );
            }
        }
        for (folder, error) in &report.failed {
            println!("FAILED: {folder}: {error}");
        }
        let secs = elapsed.as_secs_f64().max(0.001);
        println!(
            "copied {copied} messages ({:.1} MB) in {secs:.1} s ({:.0} messages/s); {skipped} skipped; {}",
            bytes as f64 / 1e6,
            copied as f64 / secs,
            if clean { "complete" } else { "NOT complete" }
        );
    }
    if clean { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
