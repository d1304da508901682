//! The notifier: on "pass complete", one email to the job's operator (text and HTML): per mailbox messages,
//! bytes, skipped and failed, duration, the next step, and where the detailed report lies. Exactly once per pass:
//! the send is claimed first (`notified`), and the claim is given back if sending fails so a retry can send.

use super::counter;
use super::holds::{HasBlobs, HasCheckpoints, HasClock, HasCounters, HasMailer, HasSettings, HasStore};
use super::status::{JobProgress, job_progress};
use super::{PassEvent, StageError, pass_scope};
use crate::model::Pass;
use crate::ports::Email;

/// Whether an email went out for this event (`false`: already sent, or nobody to send to).
pub async fn on_pass_complete(
    deps: &(impl HasStore + HasCounters + HasCheckpoints + HasBlobs + HasMailer + HasClock + HasSettings),
    event: &PassEvent,
) -> Result<bool, StageError> {
    if event.cutover {
        return on_final_scheduled(deps, event).await;
    }
    let scope = pass_scope(&event.job, event.pass);
    let Some(progress) = job_progress(deps, &event.job, false).await? else {
        return Err(StageError::BadMessage { what: "pass event", detail: format!("there is no job {}", event.job) });
    };
    let Some(to) = progress.job.operator_email.clone() else {
        tracing::warn!(job = %event.job, "no operator address for this job; no notification sent");
        return Ok(false);
    };
    if deps
        .counters()
        .add_once(&scope, counter::NOTIFIED, &[])
        .await
        .map_err(StageError::port("claim notification"))?
        .is_none()
    {
        return Ok(false);
    }
    let email = compose(deps, &progress, event.pass, to);
    if let Err(e) = deps.mailer().send(&email).await {
        deps.counters().forget(&scope, counter::NOTIFIED).await.map_err(StageError::port("release notification"))?;
        return Err(StageError::Port { op: "send notification", source: e });
    }
    tracing::info!(job = %event.job, pass = %event.pass, "operator notified");
    Ok(true)
}

/// The cutover assistant scheduled the final pass: tell the operator why (every domain's MX and its safe time).
/// Claimed once, like a pass's email (`cutover-notified`).
async fn on_final_scheduled(
    deps: &(impl HasStore + HasCounters + HasBlobs + HasMailer + HasSettings),
    event: &PassEvent,
) -> Result<bool, StageError> {
    let state = super::cutover_state::load(deps, &event.job).await?;
    let job = deps.store().job(&event.job).await.map_err(StageError::port("read job"))?;
    let Some(to) = job.as_ref().and_then(|j| j.operator_email.clone()) else {
        tracing::warn!(job = %event.job, "no operator address for this job; no notification sent");
        return Ok(false);
    };
    let scope = pass_scope(&event.job, Pass::Final);
    if deps
        .counters()
        .add_once(&scope, "cutover-notified", &[])
        .await
        .map_err(StageError::port("claim notification"))?
        .is_none()
    {
        return Ok(false);
    }
    let at = state.final_scheduled_at.map_or("now".into(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut text = format!(
        "Every domain of job {} points to the new platform and the old MX records have expired from caches, so the \
         cutover assistant scheduled the final pass at {at}. It copies what arrived and changed since the last pass; \
         you will get another email when it is over.\n\n",
        event.job
    );
    for (domain, d) in &state.domains {
        let hosts = d.hosts.iter().map(|h| h.host.as_str()).collect::<Vec<_>>().join(", ");
        let since = d.new_since.map_or("-".into(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let (ttl, assumed) = d.old_ttl_or(state.assumed_ttl());
        let assumed = if assumed { " (assumed)" } else { "" };
        text.push_str(&format!("{domain}: MX {hosts} since {since}; old TTL {ttl} s{assumed}\n"));
    }
    let html = format!("<pre>{}</pre>", crate::text::html(&text));
    let subject = format!("mailferry: final pass of {} scheduled: the MX records point to the new platform", event.job);
    let email = Email { from: deps.settings().sender.clone(), to: vec![to], subject, text, html: Some(html) };
    if let Err(e) = deps.mailer().send(&email).await {
        deps.counters().forget(&scope, "cutover-notified").await.map_err(StageError::port("release notification"))?;
        return Err(StageError::Port { op: "send notification", source: e });
    }
    tracing::info!(job = %event.job, "operator told the final pass was scheduled");
    Ok(true)
}

fn mb(bytes: i64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// What the operator does next, after `pass` of `job` with `problems` mailboxes not migrated.
fn next_step(deps: &impl HasSettings, job: &crate::model::Job, pass: Pass, problems: i64) -> String {
    match pass {
        Pass::Initial => format!(
            "Next step: point the MX records to the new server, then schedule the final sync; it copies only what \
             arrived since:\n    mailferry schedule {id} --pass final --at 2026-12-01T22:00:00Z {scope}\nOr let the \
             cutover assistant schedule it when every domain points to the new server and the old records have \
             expired from caches (run it once before the change, so it sees the old records' TTL):\n    mailferry \
             cutover {id} --new-mx MX-HOST --final-when-ready {scope}",
            id = job.id,
            scope = deps.settings().command_scope
        ),
        Pass::Final if problems == 0 => {
            "Migration complete: every mailbox is on the new server and the source credentials have been purged.".into()
        }
        Pass::Final => format!(
            "Final pass finished, but {problems} mailbox(es) were not migrated (see above); the source credentials \
             have been purged. To try them again (with corrected credentials where needed):\n    mailferry retry {} \
             --credentials FILE {}",
            job.id,
            deps.settings().command_scope
        ),
        Pass::CatchUp(_) => format!(
            "This catch-up copied what arrived and what changed since the pass before; catch-ups go on until the \
             final sync is scheduled. When the MX records point to the new server, schedule it:\n    mailferry \
             schedule {} --pass final --at 2026-12-01T22:00:00Z {}",
            job.id,
            deps.settings().command_scope
        ),
        Pass::Extra(_) if problems == 0 => "Every mailbox of this pass is on the new server.".into(),
        Pass::Extra(_) => format!(
            "{problems} mailbox(es) still need attention (see above). To try them again:\n    mailferry retry {} {}",
            job.id,
            deps.settings().command_scope
        ),
    }
}

/// One line per mailbox in the text (with why it was refused and the folders renamed), one row in the HTML.
fn mailbox_rows(p: &JobProgress, pass: Pass, text: &mut String) -> String {
    let mut rows = String::new();
    for m in &p.mailboxes {
        let (failed, seconds) = match &m.problem {
            Some(_) => ("refused".to_string(), "-".to_string()),
            None => (m.failed.to_string(), m.seconds.map_or("-".into(), |s| format!("{s:.1}"))),
        };
        text.push_str(&format!(
            "{:<40} {:>9} {:>10} {:>8} {:>7} {:>9}\n",
            m.address,
            m.copied,
            mb(m.bytes),
            m.skipped,
            failed,
            seconds
        ));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            crate::text::html(&m.address.to_string()),
            m.copied,
            mb(m.bytes),
            m.skipped,
            crate::text::html(&failed),
            seconds
        ));
        if let Some(problem) = &m.problem {
            text.push_str(&format!("    line {}: not migrated: {problem}\n", m.line));
        }
        for r in m.renamed.iter().filter(|r| r.pass == pass) {
            text.push_str(&format!(
                "    folder renamed on the source: {} -> {} (renamed on the new server too)\n",
                r.from, r.to
            ));
        }
    }
    rows
}

/// The email for a finished pass.
pub(crate) fn compose(deps: &impl HasSettings, p: &JobProgress, pass: Pass, to: String) -> Email {
    let job = &p.job;
    let totals = p.passes.iter().find(|x| x.pass == pass).cloned().unwrap_or_default();
    let problems = totals.failed + p.mailboxes.iter().filter(|m| m.problem.is_some()).count() as i64;
    let next = next_step(deps, job, pass, problems);
    // Out of every row of the file: the refused ones count too.
    let rows = p.mailboxes.len();
    let subject = format!(
        "mailferry: {} pass of {} {} ({} of {} mailboxes copied{})",
        pass,
        job.source_file,
        if problems > 0 { "finished with problems" } else { "complete" },
        totals.done - totals.failed,
        rows,
        if problems > 0 { format!(", {problems} need attention") } else { String::new() }
    );
    let report = format!("{}reports/{}/", deps.settings().reports_at, job.id);
    let mut text = format!(
        "The {pass} pass of job {} ({}) has finished.\n\n{:<40} {:>9} {:>10} {:>8} {:>7} {:>9}\n",
        job.id, job.source_file, "mailbox", "messages", "size", "skipped", "failed", "seconds"
    );
    let rows = mailbox_rows(p, pass, &mut text);
    text.push_str(&format!(
        "\nTotal: {} messages, {}, {} skipped, {} failed mailbox(es).\n\n{next}\n\nDetailed report: {report}\n",
        totals.copied,
        mb(totals.bytes),
        totals.skipped,
        totals.failed
    ));
    let html = format!(
        "<p>The {pass} pass of job <b>{}</b> ({}) has finished.</p><table><tr><th>mailbox</th><th>messages</th>\
         <th>size</th><th>skipped</th><th>failed</th><th>seconds</th></tr>{rows}</table><p>Total: {} messages, {}.</p>\
         <p>{}</p><p>Detailed report: {}</p>",
        job.id,
        crate::text::html(&job.source_file),
        totals.copied,
        mb(totals.bytes),
        crate::text::html(&next),
        crate::text::html(&report)
    );
    Email { from: deps.settings().sender.clone(), to: vec![to], subject, text, html: Some(html) }
}
