//! A job's page: what it is and where it stands (mailboxes by state, messages and bytes, throughput over time
//! with an estimate of the time left), its passes, the mailbox table (sortable, filterable, a progress bar per
//! mailbox), the rest of a trial, and what can be done to it (forms) with its downloads.

use super::chart;
use super::pages::{esc, layout};
use super::session::Session;
use super::table::{self, State, View};
use crate::stages::{JobProgress, MailboxProgress};

/// Mailboxes by state, and what the pass shown copied.
fn summary(p: &JobProgress) -> String {
    let count = |s: State| p.mailboxes.iter().filter(|m| State::of(m) == s).count();
    let (copied, bytes) = p.mailboxes.iter().fold((0i64, 0i64), |(c, b), m| (c + m.copied, b + m.bytes));
    format!(
        "<p id=\"counts\">Mailboxes: {} done, {} copying, {} waiting, {} failed. This pass: {copied} message(s), \
         {:.1} MB.</p>",
        count(State::Done),
        count(State::Copying),
        count(State::Waiting),
        count(State::Failed),
        bytes as f64 / 1e6
    )
}

fn progress_bar(m: &MailboxProgress) -> String {
    let (done, of, pct) = (m.copied_total, m.expected.max(m.copied_total), table::percent(m));
    // A native <progress> (no inline style: the CSP allows none), with the ARIA values spelled out for every
    // assistive technology; `data-mailbox` lets the page script update it.
    format!(
        "<progress role=\"progressbar\" data-mailbox=\"{0}\" aria-label=\"{0}\" aria-valuemin=\"0\" \
         aria-valuemax=\"100\" aria-valuenow=\"{pct}\" aria-valuetext=\"{done} of {of} messages\" max=\"100\" \
         value=\"{pct}\">{pct}%</progress>",
        esc(&m.address.to_string())
    )
}

/// What can be done to a job, as forms (each with the session's CSRF token), and its downloads.
fn job_actions(p: &JobProgress, csrf: &str) -> String {
    let id = esc(p.job.id.as_str());
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf));
    format!(
        "<h2>Actions</h2><form method=\"post\" action=\"/jobs/{id}/final\">{csrf}<p><label for=\"at\">Final pass \
         at (<span class=\"tz-label\">UTC</span>; empty: now)</label><input id=\"at\" name=\"at\" \
         type=\"datetime-local\" \
         step=\"1\"><input type=\"hidden\" name=\"tz\" value=\"\"> <span class=\"utc-hint\"></span> <button>Schedule \
         the \
         final pass</button></p></form><form method=\"post\" action=\"/jobs/{id}/retry\" \
         enctype=\"multipart/form-data\">{csrf}<p><label for=\"credentials\">Corrected credentials (optional: a CSV \
         of the rows to correct, with the upload's columns)</label><input id=\"credentials\" name=\"credentials\" \
         type=\"file\" accept=\".csv,text/csv\"></p><p><button>Retry the mailboxes that need \
         it</button></p></form><form method=\"post\" action=\"/jobs/{id}/cancel\">{csrf}<p>\
         <input id=\"confirm\" name=\"confirm\" type=\"checkbox\" value=\"yes\"> <label for=\"confirm\" \
         class=\"inline\">I understand: passes stop and credentials are purged</label> <button>Cancel the \
         job</button></p></form><h2>Downloads</h2><ul><li><a href=\"/jobs/{id}/errors.csv\">Every message and mailbox \
         that did not make it (CSV)</a></li><li><a href=\"/jobs/{id}/validation.csv\">The validation report \
         (CSV)</a></li></ul>"
    )
}

/// A job: its passes and a row per mailbox with a progress bar; `done`: what the last action did.
pub fn job(
    p: &JobProgress,
    held: Option<(String, usize)>,
    who: (&Session, &str),
    done: Option<&str>,
    view: &View,
) -> String {
    let mut passes = String::new();
    for x in p.passes.iter().filter(|x| x.started) {
        passes.push_str(&format!(
            "<li>{} pass: {}/{} mailboxes, {} messages, {} skipped, {} failed{}</li>",
            esc(&x.pass.to_string()),
            x.done,
            x.mailboxes,
            x.copied,
            x.skipped,
            x.failed,
            if x.complete { ", complete" } else { "" }
        ));
    }
    let mut rows = String::new();
    let id = esc(p.job.id.as_str());
    let shown = table::shown(p, view);
    for m in &shown {
        let (state, address) = (table::state_text(m), m.address.to_string());
        let size = m.source_bytes.map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1e6));
        let recheck = format!(
            "<form method=\"post\" action=\"/jobs/{id}/recheck\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input type=\"hidden\" name=\"mailbox\" value=\"{}\"><button aria-label=\"Check again: {}\">Check \
             again</button></form>",
            esc(who.1),
            esc(&address),
            esc(&address)
        );
        rows.push_str(&format!(
            "<tr><td><a href=\"/jobs/{id}/mailbox/{}\">{}</a></td><td>{}</td><td>{} / {}</td><td>{}</td><td>{size}</td>\
             <td>{}</td><td>{recheck}</td></tr>",
            crate::text::url_component(&address),
            esc(&address),
            progress_bar(m),
            m.copied_total,
            m.expected,
            m.source_folders,
            state
        ));
    }
    let done = done.map_or(String::new(), |d| format!("<p role=\"status\" class=\"done\">{}</p>", esc(d)));
    let rest = held.map_or(String::new(), |(file, rows)| {
        format!(
            "<h2>The rest of {0}</h2><p>This job is a trial: {rows} more mailbox(es) of {0} wait until you start them.\
             </p><form method=\"post\" action=\"/jobs/{id}/rest\"><input type=\"hidden\" name=\"csrf\" value=\"{1}\">\
             <p><label for=\"rest_at\">Start at (<span class=\"tz-label\">UTC</span>; empty: now)</label><input \
             id=\"rest_at\" name=\"at\" type=\"datetime-local\" step=\"1\"><input type=\"hidden\" name=\"tz\" \
             value=\"\"> <span class=\"utc-hint\"></span> <button>Start the rest</button></p></form>",
            esc(&file),
            esc(who.1)
        )
    });
    let body = format!(
        "{done}{rest}<p>{} · {} · <span id=\"status\" aria-live=\"polite\">{}</span></p>{}{}<h2>Throughput</h2>{}\
         <h2>Passes</h2><ul>{passes}</ul><h2 id=\"mailboxes\">Mailboxes</h2>{}<table \
         id=\"mailbox-table\"><caption>Mailboxes (select a \
         column's name to sort by it)</caption><thead><tr>{}{}<th scope=\"col\">Messages</th><th \
         scope=\"col\">Folders</th>{}{}<th scope=\"col\">Pre-flight</th></tr></thead><tbody>{rows}</tbody></table>{}",
        esc(&p.job.source_file),
        esc(p.job.tenant.as_str()),
        esc(p.job.status.as_str()),
        summary(p),
        chart::eta(p),
        chart::throughput(p),
        table::filter_form(view, p.mailboxes.len(), shown.len()),
        table::header(view, "address", "Mailbox"),
        table::header(view, "progress", "Progress"),
        table::header(view, "size", "Size"),
        table::header(view, "state", "State"),
        job_actions(p, who.1)
    );
    layout(&format!("Job {}", p.job.id), Some(who), &body)
}
