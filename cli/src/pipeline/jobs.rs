//! `mailferry jobs`: every job of a state directory, newest first, with its status, file, mailboxes and what is
//! scheduled for it (the next pass, the end of the credentials' retention period).

use super::commands::{StateArgs, fail, open_existing};
use mailferry::model::JobId;
use mailferry::stages::{ScheduleAction, ScheduleInput};
use serde_json::json;
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct JobsArgs {
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    state: StateArgs,
}

/// What is scheduled for each job: `(what, when)`, soonest first.
async fn scheduled(home: &super::Home) -> Result<HashMap<JobId, Vec<(String, String)>>, String> {
    let mut by_job: HashMap<JobId, Vec<(String, String)>> = HashMap::new();
    for (_, at, input) in home.schedules.pending().await.map_err(|e| e.to_string())? {
        let Ok(input) = serde_json::from_str::<ScheduleInput>(&input) else { continue };
        let what = match input.action {
            ScheduleAction::Start => format!("{} pass", input.pass),
            ScheduleAction::Expire => "credentials purged".to_string(),
            ScheduleAction::Cutover => "MX records checked (cutover assistant)".to_string(),
        };
        by_job.entry(input.job).or_default().push((what, at.format("%Y-%m-%d %H:%M UTC").to_string()));
    }
    Ok(by_job)
}

pub async fn jobs(args: &JobsArgs) -> ExitCode {
    let home = match open_existing(&args.state) {
        Ok(h) => h,
        Err(e) => return fail("jobs", e),
    };
    let (jobs, mut scheduled) = match (home.store.jobs().await, scheduled(&home).await) {
        (Ok(j), Ok(s)) => (j, s),
        (Err(e), _) => return fail("jobs", e),
        (_, Err(e)) => return fail("jobs", e),
    };
    let mut rows = Vec::with_capacity(jobs.len());
    for job in jobs {
        let mailboxes = mailferry::ports::JobStore::mailboxes(&home.store, &job.id).await.map_or(0, |m| m.len());
        let next = scheduled.remove(&job.id).unwrap_or_default();
        rows.push((job, mailboxes, next));
    }
    if args.json {
        let doc: Vec<_> = rows
            .iter()
            .map(|(j, n, next)| {
                json!({
                    "job": j.id, "kind": j.kind, "status": j.status, "file": j.source_file, "tenant": j.tenant,
                    "created_at": j.created_at, "mailboxes": n,
                    "scheduled": next.iter().map(|(what, at)| json!({"what": what, "at": at})).collect::<Vec<_>>(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if rows.is_empty() {
        println!("no jobs in {}", home.dir.display());
        return ExitCode::SUCCESS;
    }
    println!(
        "{:<26} {:<9} {:<12} {:>9}  {:<20} {:<24} scheduled",
        "job", "kind", "status", "mailboxes", "created", "file"
    );
    for (j, n, next) in &rows {
        let next: Vec<String> = next.iter().map(|(what, at)| format!("{what} at {at}")).collect();
        println!(
            "{:<26} {:<9} {:<12} {:>9}  {:<20} {:<24} {}",
            j.id.as_str(),
            format!("{:?}", j.kind).to_lowercase(),
            j.status.as_str(),
            n,
            j.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            j.source_file.chars().take(24).collect::<String>(),
            if next.is_empty() { "-".to_string() } else { next.join("; ") }
        );
    }
    ExitCode::SUCCESS
}
