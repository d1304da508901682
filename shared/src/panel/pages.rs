//! The panel's HTML: one layout, pages rendered on the server, usable without JavaScript. Every value that
//! came from a user, an upload or a source server goes through [`esc`].

use super::session::Session;
use crate::model::Job;
use crate::stages::{JobProgress, MailboxProgress};

/// HTML-escape text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `title`, the signed-in operator's bar (with a sign-out form carrying `csrf`), `body`.
pub fn layout(title: &str, who: Option<(&Session, &str)>, body: &str) -> String {
    let bar = match who {
        Some((s, csrf)) => format!(
            "<nav aria-label=\"account\"><a href=\"/\">Dashboard</a> <span>{}</span> <form method=\"post\" \
             action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Sign out</button></form></nav>",
            esc(&s.email),
            esc(csrf)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{} · mailferry</title><link rel=\"stylesheet\" \
         href=\"/static/panel.css\"></head><body><header><p class=\"brand\">mailferry</p>{bar}</header><main \
         id=\"main\"><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    )
}

/// The sign-in form, with the reason of a refused attempt.
pub fn sign_in(error: Option<&str>, email: &str) -> String {
    let error = error.map_or(String::new(), |e| format!("<p role=\"alert\" class=\"error\">{}</p>", esc(e)));
    let form = format!(
        "{error}<form method=\"post\" action=\"/sign-in\"><p><label for=\"email\">Email</label><input id=\"email\" \
         name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{}\"></p><p><label \
         for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required></p><p><button>Sign in</button></p></form>",
        esc(email)
    );
    layout("Sign in", None, &form)
}

/// The dashboard: the operator's jobs, those needing attention first.
pub fn dashboard(jobs: &[Job], who: (&Session, &str)) -> String {
    let mut rows = String::new();
    for j in jobs {
        rows.push_str(&format!(
            "<tr><td><a href=\"/jobs/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&j.source_file),
            esc(j.tenant.as_str()),
            esc(j.status.as_str()),
            j.created_at.format("%Y-%m-%d %H:%M UTC"),
            id = esc(j.id.as_str())
        ));
    }
    let body = if jobs.is_empty() {
        "<p>No jobs yet.</p>".to_string()
    } else {
        format!(
            "<table><caption>Jobs, newest first</caption><thead><tr><th scope=\"col\">Job</th><th scope=\"col\">File</th>\
             <th scope=\"col\">Tenant</th><th scope=\"col\">Status</th><th scope=\"col\">Created</th></tr></thead>\
             <tbody>{rows}</tbody></table>"
        )
    };
    let body = format!("<p><a href=\"/migrations/new\">New migration</a></p>{body}");
    layout("Dashboard", Some(who), &body)
}

fn progress_bar(m: &MailboxProgress) -> String {
    let (done, of) = (m.copied_total, m.expected.max(m.copied_total));
    let pct = (done * 100).checked_div(of).map_or(100, |p| p.min(100));
    format!(
        "<div role=\"progressbar\" aria-label=\"{}\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"{pct}\" \
         aria-valuetext=\"{done} of {of} messages\" class=\"bar\"><span style=\"width:{pct}%\"></span></div>",
        esc(&m.address)
    )
}

/// What can be done to a job, as forms (each with the session's CSRF token), and its downloads.
fn job_actions(p: &JobProgress, csrf: &str) -> String {
    let id = esc(p.job.id.as_str());
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf));
    format!(
        "<h2>Actions</h2><form method=\"post\" action=\"/jobs/{id}/final\">{csrf}<p><label for=\"at\">Final pass \
         at (UTC; empty: now)</label><input id=\"at\" name=\"at\" type=\"datetime-local\"> <button>Schedule the \
         final pass</button></p></form><form method=\"post\" action=\"/jobs/{id}/retry\">{csrf}<p><button>Retry \
         the mailboxes that need it</button></p></form><form method=\"post\" action=\"/jobs/{id}/cancel\">{csrf}<p>\
         <input id=\"confirm\" name=\"confirm\" type=\"checkbox\" value=\"yes\"> <label for=\"confirm\" \
         class=\"inline\">I understand: passes stop and credentials are purged</label> <button>Cancel the \
         job</button></p></form><h2>Downloads</h2><ul><li><a href=\"/jobs/{id}/errors.csv\">Every message and mailbox \
         that did not make it (CSV)</a></li><li><a href=\"/jobs/{id}/validation.csv\">The validation report \
         (CSV)</a></li></ul>"
    )
}

/// A job: its passes and a row per mailbox with a progress bar; `done`: what the last action did.
pub fn job(p: &JobProgress, who: (&Session, &str), done: Option<&str>) -> String {
    let mut passes = String::new();
    for x in p.passes.iter().filter(|x| x.started) {
        passes.push_str(&format!(
            "<li>{} pass: {}/{} mailboxes, {} messages, {} skipped, {} failed{}</li>",
            esc(&x.pass),
            x.done,
            x.mailboxes,
            x.copied,
            x.skipped,
            x.failed,
            if x.complete { ", complete" } else { "" }
        ));
    }
    let mut rows = String::new();
    for m in &p.mailboxes {
        let state = match (&m.problem, m.finished) {
            (Some(problem), _) => format!("not migrated: {}", esc(problem)),
            (None, true) => "done".into(),
            (None, false) => "waiting or copying".into(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>",
            esc(&m.address),
            progress_bar(m),
            m.copied_total,
            m.expected,
            state
        ));
    }
    let done = done.map_or(String::new(), |d| format!("<p role=\"status\" class=\"done\">{}</p>", esc(d)));
    let body = format!(
        "{done}<p>{} · {} · {}</p><h2>Passes</h2><ul>{passes}</ul><table><caption>Mailboxes</caption><thead><tr><th \
         scope=\"col\">Mailbox</th><th scope=\"col\">Progress</th><th scope=\"col\">Messages</th><th \
         scope=\"col\">State</th></tr></thead><tbody>{rows}</tbody></table>{}",
        esc(&p.job.source_file),
        esc(p.job.tenant.as_str()),
        esc(p.job.status.as_str()),
        job_actions(p, who.1)
    );
    layout(&format!("Job {}", p.job.id), Some(who), &body)
}

/// The stylesheet.
pub const CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b}header{display:flex;\
gap:1rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#0b3d5c;color:#fff}\
header a{color:#fff}nav form{display:inline}main{padding:1rem;max-width:70rem}table{border-collapse:collapse;\
width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ccc}.bar{width:12rem;height:.8rem;\
background:#ddd;border-radius:.4rem;overflow:hidden}.bar span{display:block;height:100%;background:#1a7f37}\
.error{color:#a40000;font-weight:bold}.done{color:#1a7f37;font-weight:bold}label.inline{display:inline}label{display:block}input{font:inherit;padding:.3rem}button{font:inherit;\
padding:.3rem .8rem}a:focus,button:focus,input:focus{outline:3px solid #f0b400}";
