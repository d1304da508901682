//! `mailferry status`: a job's passes and a progress bar per mailbox (messages on the destination against what
//! the pre-flight counted on the source).

use super::Home;
use mailferry::embedded::runners::live_holders;
use mailferry::model::{JobId, JobStatus};
use mailferry::stages::{Deps, MailboxProgress, job_progress};

fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 { width } else { ((done.min(total) as f64 / total as f64) * width as f64) as usize };
    format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled))
}

fn state(m: &MailboxProgress) -> String {
    if m.problem.is_some() {
        "refused".into()
    } else if m.finished && m.failed > 0 {
        format!("{} folder(s) failed", m.failed)
    } else if m.finished {
        "done".into()
    } else if let Some(until) = m.parked_until {
        format!("parked until {} UTC: download budget used", until.format("%Y-%m-%d %H:%M:%S"))
    } else if m.folders > 0 {
        format!("copying {}/{} folders", m.folders_done, m.folders)
    } else {
        "waiting".into()
    }
}

/// The job named, or the newest one `migrate` started in this state directory.
pub fn resolve(home: &Home, job: Option<&JobId>) -> Result<JobId, String> {
    if let Some(j) = job {
        return Ok(j.clone());
    }
    let text = std::fs::read_to_string(home.dir.join("last-job"))
        .map_err(|_| "no job yet in this state directory".to_string())?;
    JobId::new(text.trim()).map_err(|e| e.to_string())
}

/// Print the job's progress; `Ok(true)` when nothing needs attention (no refused or failed mailbox).
/// A job that is running or scheduled while no process works on the state directory is said to be idle, with
/// how to go on (an interrupted `migrate` would otherwise look busy for ever).
pub async fn print_status(home: &Home, job: Option<&JobId>, json: bool) -> Result<bool, String> {
    let id = resolve(home, job)?;
    let ok = print_progress(&home.deps, &id, json).await?;
    let status = home.deps.store.job(&id).await.ok().flatten().map(|j| j.status);
    let busy = matches!(status, Some(JobStatus::Running | JobStatus::Scheduled));
    if !json && busy && live_holders(&home.dir) == 0 {
        println!(
            "note: no mailferry process is working on {}: run the interrupted migrate or schedule command again \
             (`mailferry schedule {id} --pass PASS --state {}` continues a running pass)",
            home.dir.display(),
            home.dir.display()
        );
    }
    Ok(ok)
}

/// Print a job's progress from any home's ports (the embedded state directory, or AWS with `--aws`).
pub async fn print_progress(deps: &Deps, id: &JobId, json: bool) -> Result<bool, String> {
    let id = id.clone();
    let p = job_progress(deps, &id, true)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no job {id}"))?;
    let ok = p.mailboxes.iter().all(|m| m.problem.is_none() && m.failed == 0) && p.passes.iter().all(|x| x.failed == 0);
    if json {
        println!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
        return Ok(ok);
    }
    println!("job {} ({}): {}", p.job.id, p.job.source_file, p.job.status);
    if p.job.operator_email.is_none() {
        println!("  nobody is notified when a pass completes: the job has no operator address");
    }
    for x in p.passes.iter().filter(|x| x.started) {
        println!(
            "  {} pass: {}/{} mailboxes, {} messages, {:.1} MB, {} skipped, {} failed{}",
            x.pass,
            x.done,
            x.mailboxes,
            x.copied,
            x.bytes as f64 / 1e6,
            x.skipped,
            x.failed,
            match (x.complete, x.finished_at) {
                (true, Some(at)) => format!(", complete at {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
                (true, None) => ", complete".to_string(),
                _ => String::new(),
            }
        );
    }
    if let Some(eta) = p.eta_text() {
        println!("  {eta}");
    }
    let width = p.mailboxes.iter().map(|m| m.address.to_string().len()).max().unwrap_or(7).max(7);
    println!("{:<width$}  {:<22} {:>13} {:>9} {:>8}  state", "mailbox", "progress", "messages", "pass", "skipped");
    for m in &p.mailboxes {
        println!(
            "{:<width$}  {} {:>6}/{:<6} {:>9} {:>8}  {}",
            m.address,
            if m.problem.is_some() { format!("[{}]", " ".repeat(20)) } else { bar(m.copied_total, m.expected, 20) },
            m.copied_total,
            m.expected,
            m.copied,
            m.skipped,
            state(m)
        );
        if let Some(problem) = &m.problem {
            println!("{:<width$}    line {}: {problem}", "", m.line);
        }
        if m.several_labels > 0 {
            let placed = if m.single_copy {
                "one copy each, in the folder of its first label (INBOX, Sent, Drafts, then by name)"
            } else {
                "one copy in each label's folder"
            };
            println!("{:<width$}    {} messages carried several Gmail labels: {placed}", "", m.several_labels);
        }
        for r in &m.renamed {
            println!(
                "{:<width$}    folder renamed on the source: {} → {} (found by the {} pass; renamed here too)",
                "", r.from, r.to, r.pass
            );
        }
    }
    Ok(ok)
}
