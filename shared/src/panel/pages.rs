//! The panel's HTML: one layout, pages rendered on the server, usable without JavaScript. Every value that
//! came from a user, an upload or a source server goes through [`esc`].

use super::session::Session;
use crate::model::Job;
use crate::stages::{JobProgress, MailboxProgress};

pub use crate::text::html as esc;

/// A whole page: `title`, the signed-in operator's bar (with a sign-out form carrying `csrf`), `body`.
pub fn layout(title: &str, who: Option<(&Session, &str)>, body: &str) -> String {
    let bar = match who {
        Some((s, csrf)) => format!(
            "<nav aria-label=\"account\"><a href=\"/\">Dashboard</a> <a href=\"/usage\">Usage</a> <span>{}</span> <form method=\"post\" \
             action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Sign out</button></form></nav>",
            esc(&s.email),
            esc(csrf)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{} · mailferry</title><link rel=\"stylesheet\" \
         href=\"/static/panel.css\"><script src=\"/static/panel.js\" defer></script></head><body><header><p class=\"brand\">mailferry</p>{bar}</header><main \
         id=\"main\"><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(title)
    )
}

/// A moment as `<time>`: UTC in the page; the page script adds the operator's own time zone beside it.
pub fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        t.format("%Y-%m-%d %H:%M UTC")
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

/// The dashboard: the operator's jobs, those needing attention first (with what they need).
pub fn dashboard(
    jobs: &[(Job, Option<String>)],
    upcoming: &[(crate::model::JobId, String, chrono::DateTime<chrono::Utc>)],
    who: (&Session, &str),
) -> String {
    let mut rows = String::new();
    for (j, attention) in jobs {
        rows.push_str(&format!(
            "<tr><td><a href=\"/jobs/{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&j.source_file),
            esc(j.tenant.as_str()),
            esc(j.status.as_str()),
            attention.as_deref().map_or(String::new(), |a| format!("<strong>{}</strong>", esc(a))),
            time(j.created_at),
            id = esc(j.id.as_str())
        ));
    }
    let body = if jobs.is_empty() {
        "<p>No jobs yet.</p>".to_string()
    } else {
        format!(
            "<table><caption>Jobs: those needing you first, then the newest</caption><thead><tr><th scope=\"col\">Job\
             </th><th scope=\"col\">File</th><th scope=\"col\">Tenant</th><th scope=\"col\">Status</th><th \
             scope=\"col\">Needs</th><th scope=\"col\">Created</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    let upcoming = if upcoming.is_empty() {
        String::new()
    } else {
        let items: String = upcoming
            .iter()
            .map(|(job, what, at)| {
                let job = esc(job.as_str());
                format!("<li>{}: <a href=\"/jobs/{job}\">{job}</a> {}</li>", time(*at), esc(what))
            })
            .collect();
        format!("<h2>Upcoming</h2><ul>{items}</ul>")
    };
    let body = format!("<p><a href=\"/migrations/new\">New migration</a></p>{body}{upcoming}");
    layout("Dashboard", Some(who), &body)
}

fn progress_bar(m: &MailboxProgress) -> String {
    let (done, of) = (m.copied_total, m.expected.max(m.copied_total));
    let pct = (done * 100).checked_div(of).map_or(100, |p| p.min(100));
    // A native <progress> (no inline style: the CSP allows none), with the ARIA values spelled out for every
    // assistive technology; `data-mailbox` lets the page script update it.
    format!(
        "<progress role=\"progressbar\" data-mailbox=\"{0}\" aria-label=\"{0}\" aria-valuemin=\"0\" \
         aria-valuemax=\"100\" aria-valuenow=\"{pct}\" aria-valuetext=\"{done} of {of} messages\" max=\"100\" \
         value=\"{pct}\">{pct}%</progress>",
        esc(&m.address)
    )
}

/// What can be done to a job, as forms (each with the session's CSRF token), and its downloads.
fn job_actions(p: &JobProgress, csrf: &str) -> String {
    let id = esc(p.job.id.as_str());
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf));
    format!(
        "<h2>Actions</h2><form method=\"post\" action=\"/jobs/{id}/final\">{csrf}<p><label for=\"at\">Final pass \
         at (<span class=\"tz-label\">UTC</span>; empty: now)</label><input id=\"at\" name=\"at\" type=\"datetime-local\" \
         step=\"1\"><input type=\"hidden\" name=\"tz\" value=\"\"> <span class=\"utc-hint\"></span> <button>Schedule the \
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
pub fn job(p: &JobProgress, held: Option<(String, usize)>, who: (&Session, &str), done: Option<&str>) -> String {
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
    let id = esc(p.job.id.as_str());
    for m in &p.mailboxes {
        let state = match (&m.problem, m.finished) {
            (Some(problem), _) => format!("not migrated: {}", esc(problem)),
            (None, true) => "done".into(),
            (None, false) => "waiting or copying".into(),
        };
        let size = m.source_bytes.map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1e6));
        let recheck = format!(
            "<form method=\"post\" action=\"/jobs/{id}/recheck\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input type=\"hidden\" name=\"mailbox\" value=\"{}\"><button aria-label=\"Check again: {}\">Check \
             again</button></form>",
            esc(who.1),
            esc(&m.address),
            esc(&m.address)
        );
        rows.push_str(&format!(
            "<tr><td><a href=\"/jobs/{id}/mailbox/{}\">{}</a></td><td>{}</td><td>{} / {}</td><td>{}</td><td>{size}</td>\
             <td>{}</td><td>{recheck}</td></tr>",
            esc(&m.address),
            esc(&m.address),
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
        "{done}{rest}<p>{} · {} · <span id=\"status\" aria-live=\"polite\">{}</span></p><h2>Passes</h2><ul>{passes}</ul><table><caption>Mailboxes</caption><thead><tr><th \
         scope=\"col\">Mailbox</th><th scope=\"col\">Progress</th><th scope=\"col\">Messages</th><th \
         scope=\"col\">Folders</th><th scope=\"col\">Size</th><th scope=\"col\">State</th><th \
         scope=\"col\">Pre-flight</th></tr></thead><tbody>{rows}</tbody></table>{}",
        esc(&p.job.source_file),
        esc(p.job.tenant.as_str()),
        esc(p.job.status.as_str()),
        job_actions(p, who.1)
    );
    layout(&format!("Job {}", p.job.id), Some(who), &body)
}

/// One mailbox: what the pre-flight found, each folder's copy, and the messages that did not make it with the
/// server's words (`errors`: the job's error CSV rows of this mailbox, parsed).
pub fn mailbox(
    p: &JobProgress,
    m: &MailboxProgress,
    folders: &[(String, u64, bool)],
    errors: &[Vec<String>],
    who: (&Session, &str),
) -> String {
    let id = esc(p.job.id.as_str());
    let problem = m
        .problem
        .as_ref()
        .map_or(String::new(), |x| format!("<p role=\"alert\" class=\"error\">Not migrated: {}</p>", esc(x)));
    let mut rows = String::new();
    for (folder, copied, done) in folders {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{copied}</td><td>{}</td></tr>",
            esc(folder),
            if *done { "done" } else { "not finished" }
        ));
    }
    let mut skipped = String::new();
    for e in errors {
        let cell = |i: usize| esc(e.get(i).map(String::as_str).unwrap_or(""));
        skipped.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cell(0),
            cell(2),
            cell(3),
            cell(4),
            cell(6),
            cell(7)
        ));
    }
    let skipped = if skipped.is_empty() {
        "<p>Every message made it.</p>".to_string()
    } else {
        format!(
            "<table><caption>Messages that did not make it</caption><thead><tr><th scope=\"col\">Pass</th><th \
             scope=\"col\">Folder</th><th scope=\"col\">UID</th><th scope=\"col\">Size</th><th scope=\"col\">Subject</th>\
             <th scope=\"col\">The server said</th></tr></thead><tbody>{skipped}</tbody></table>"
        )
    };
    let body = format!(
        "<p><a href=\"/jobs/{id}\">Back to job {id}</a></p>{problem}<p>Pre-flight: {} folder(s), {} message(s){}. On the \
         new server: {} message(s).</p><table><caption>Folders</caption><thead><tr><th scope=\"col\">Folder</th><th \
         scope=\"col\">Copied</th><th scope=\"col\">State</th></tr></thead><tbody>{rows}</tbody></table>{skipped}",
        m.source_folders,
        m.expected,
        m.source_bytes.map_or(String::new(), |b| format!(", {:.1} MB", b as f64 / 1e6)),
        m.copied_total
    );
    layout(&m.address, Some(who), &body)
}

/// The billing export per tenant (what `mailferry usage` prints), as tables with a CSV download each.
pub fn usage(per_tenant: &[(String, String)], who: (&Session, &str)) -> String {
    let mut body = String::new();
    for (tenant, csv) in per_tenant {
        let mut reader = ::csv::Reader::from_reader(csv.as_bytes());
        let head: String = reader
            .headers()
            .map(|h| h.iter().map(|c| format!("<th scope=\"col\">{}</th>", esc(c))).collect())
            .unwrap_or_default();
        let rows: String = reader
            .records()
            .flatten()
            .map(|r| format!("<tr>{}</tr>", r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect::<String>()))
            .collect();
        let rows = if rows.is_empty() { "<tr><td>Nothing billed yet.</td></tr>".to_string() } else { rows };
        body.push_str(&format!(
            "<h2>{0}</h2><table><caption>Mailboxes and reserved quota per domain per day, tenant {0}</caption><thead>\
             <tr>{head}</tr></thead><tbody>{rows}</tbody></table><p><a href=\"/usage.csv?tenant={0}\">Download the \
             usage of {0} (CSV)</a></p>",
            esc(tenant)
        ));
    }
    layout("Usage", Some(who), &body)
}

/// The page script: local times, and on a job page live progress: Server-Sent Events from `/jobs/{id}/events`
/// (`mailferry serve`), else the job's JSON every two seconds (Lambda), update each mailbox's progress bar and
/// the job's status without a reload; without the script the page works as is.
pub const JS: &str = r#"(function () {
  // Times: the operator's own time zone first, UTC beside it; forms send the offset so the server reads a time
  // typed in local time right (without this script everything is UTC and says so).
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  var local = function (d) { return d.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }); };
  var utc = function (d) { return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; };
  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (!isNaN(d)) t.textContent = local(d) + ' ' + zone + ' (' + utc(d) + ')';
    });
    document.querySelectorAll('.tz-label').forEach(function (l) { l.textContent = 'your time, ' + zone; });
    document.querySelectorAll('input[name=tz]').forEach(function (i) { i.value = String(-new Date().getTimezoneOffset()); });
    document.querySelectorAll('input[type=datetime-local]').forEach(function (i) {
      var hint = i.parentNode.querySelector('.utc-hint');
      i.addEventListener('input', function () {
        var d = new Date(i.value);
        if (hint) hint.textContent = isNaN(d) ? '' : '= ' + utc(d);
      });
    });
  });
  var m = location.pathname.match(/^\/jobs\/([A-Za-z0-9_-]+)$/);
  if (!m) return;
  function apply(p) {
    var status = document.getElementById('status');
    if (status && status.textContent !== p.job.status) status.textContent = p.job.status;
    p.mailboxes.forEach(function (b) {
      var bar = document.querySelector('progress[data-mailbox="' + CSS.escape(b.address) + '"]');
      if (!bar) return;
      var of = Math.max(b.expected, b.copied_total), pct = of === 0 ? 100 : Math.min(100, Math.floor(b.copied_total * 100 / of));
      bar.value = pct; bar.textContent = pct + '%';
      bar.setAttribute('aria-valuenow', String(pct));
      bar.setAttribute('aria-valuetext', b.copied_total + ' of ' + of + ' messages');
    });
  }
  function poll() {
    setInterval(function () {
      fetch('/api/v1/jobs/' + m[1], { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) apply(p); }).catch(function () {});
    }, 2000);
  }
  // Server-Sent Events where the server streams them (one machine); polling where it does not (Lambda).
  if (!window.EventSource) return poll();
  var es = new EventSource('/jobs/' + m[1] + '/events'), heard = false;
  es.onmessage = function (e) { heard = true; document.body.dataset.live = 'events'; apply(JSON.parse(e.data)); };
  es.onerror = function () { if (!heard) { es.close(); document.body.dataset.live = 'polling'; poll(); } };
})();
"#;

/// The stylesheet.
pub const CSS: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b}header{display:flex;\
gap:1rem;align-items:center;justify-content:space-between;padding:.5rem 1rem;background:#0b3d5c;color:#fff}\
header a{color:#fff}nav form{display:inline}main{padding:1rem;max-width:70rem}table{border-collapse:collapse;\
width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ccc}progress{width:12rem}\
.error{color:#a40000;font-weight:bold}.done{color:#1a7f37;font-weight:bold}label.inline{display:inline}label{display:block}input{font:inherit;padding:.3rem}button{font:inherit;\
padding:.3rem .8rem}a:focus,button:focus,input:focus{outline:3px solid #f0b400}";
