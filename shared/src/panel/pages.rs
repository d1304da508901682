//! The panel's HTML: one layout, pages rendered on the server, usable without JavaScript. Every value that
//! came from a user, an upload or a source server goes through [`esc`].

use super::session::Session;
use crate::model::Job;
use crate::stages::MailboxProgress;

pub use crate::text::html as esc;

/// A whole page: `title`, the signed-in operator's bar (with a sign-out form carrying `csrf`), `body`.
pub fn layout(title: &str, who: Option<(&Session, &str)>, body: &str) -> String {
    let bar = match who {
        Some((s, csrf)) => format!(
            "<nav aria-label=\"account\"><a href=\"/\">Dashboard</a> <a href=\"/migrations/new\">New migration</a> <a \
             href=\"/imports/new\">New import</a> <a href=\"/usage\">Usage</a> <span>{}</span> <form method=\"post\" \
             action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Sign \
             out</button></form></nav>",
            esc(&s.email),
            esc(csrf)
        ),
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{} · mailferry</title><link rel=\"stylesheet\" \
         href=\"/static/panel.css\"><script src=\"/static/panel.js\" defer></script></head><body><header><p \
         class=\"brand\">mailferry</p>{bar}</header><main \
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
    let body = format!(
        "<p><a href=\"/migrations/new\">New migration</a> · <a href=\"/imports/new\">New import</a></p>{body}{upcoming}"
    );
    layout("Dashboard", Some(who), &body)
}
/// One problem as a page shows it: line, column, severity, message.
pub type ShownProblem = (u64, String, String, String);

/// The problems a validation report (`reports/<job>/validation.json`) lists; `errors_only`: without warnings.
pub fn report_problems(report: &serde_json::Value, errors_only: bool) -> Vec<ShownProblem> {
    let all = report["problems"].as_array().into_iter().flatten();
    all.filter(|p| !errors_only || p["severity"] == "error")
        .map(|p| {
            let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
            (p["line"].as_u64().unwrap_or(0), text("column"), text("severity"), text("message"))
        })
        .collect()
}

/// Problems by line: a summary that takes focus (`intro`, HTML already escaped, then one link per line naming all
/// its problems) and the table of every problem (`caption`) with an anchor on each line's first row.
pub fn problem_summary(intro: &str, caption: &str, problems: &[ShownProblem]) -> String {
    let (mut links, mut rows) = (String::new(), String::new());
    let mut lines: Vec<(u64, Vec<&str>)> = Vec::new();
    for (line, column, severity, message) in problems {
        let first = lines.last().is_none_or(|(l, _)| l != line);
        match lines.last_mut() {
            Some((l, messages)) if l == line => messages.push(message),
            _ => lines.push((*line, vec![message])),
        }
        let id = if first { format!(" id=\"line-{line}\"") } else { String::new() };
        rows.push_str(&format!(
            "<tr{id}><td>{line}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(column),
            esc(severity),
            esc(message)
        ));
    }
    for (line, messages) in &lines {
        links.push_str(&format!("<li><a href=\"#line-{line}\">Line {line}: {}</a></li>", esc(&messages.join("; "))));
    }
    format!(
        "<div role=\"alert\" tabindex=\"-1\" autofocus id=\"errors\" class=\"error\"><p>{intro}</p><ul>{links}</ul>\
         </div><table><caption>{}</caption><thead><tr><th scope=\"col\">Line</th><th scope=\"col\">Column</th><th \
         scope=\"col\">Severity</th><th scope=\"col\">Problem</th></tr></thead><tbody>{rows}</tbody></table>",
        esc(caption)
    )
}

/// One folder of a mailbox on its page.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FolderRow {
    pub name: String,
    /// Messages copied over every pass, and whether the pass shown finished it.
    pub copied: u64,
    pub done: bool,
    /// What the source and the destination held when its copy last finished.
    pub ends: Option<(u64, u64)>,
}

/// One mailbox: what the pre-flight found, each folder's copy, and the messages that did not make it with the
/// server's words (`errors`: the job's error CSV rows of this mailbox, parsed).
pub fn mailbox(
    job: &crate::model::JobId,
    m: &MailboxProgress,
    folders: &[FolderRow],
    errors: &[Vec<String>],
    who: (&Session, &str),
) -> String {
    let id = esc(job.as_str());
    let problem = m
        .problem
        .as_ref()
        .map_or(String::new(), |x| format!("<p role=\"alert\" class=\"error\">Not migrated: {}</p>", esc(x)));
    let mut rows = String::new();
    for f in folders {
        let (source, destination) = f.ends.map_or(("-".into(), "-".into()), |(s, d)| (s.to_string(), d.to_string()));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{source}</td><td>{destination}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.name),
            f.copied,
            if f.done { "done" } else { "not finished" }
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
             scope=\"col\">Folder</th><th scope=\"col\">UID</th><th scope=\"col\">Size</th><th \
             scope=\"col\">Subject</th>\
             <th scope=\"col\">The server said</th></tr></thead><tbody>{skipped}</tbody></table>"
        )
    };
    let body = format!(
        "<p><a href=\"/jobs/{id}\">Back to job {id}</a></p>{problem}<p>Pre-flight: {} folder(s), {} message(s){}. On \
         the \
         new server: {} message(s).</p><table><caption>Folders (messages on each side when its copy last \
         finished)</caption><thead><tr><th \
         scope=\"col\">Folder</th><th scope=\"col\">Source</th><th scope=\"col\">Destination</th><th \
         scope=\"col\">Copied</th><th scope=\"col\">State</th></tr></thead><tbody>{rows}</tbody></table>{skipped}",
        m.source_folders,
        m.expected,
        m.source_bytes.map_or(String::new(), |b| format!(", {:.1} MB", b as f64 / 1e6)),
        m.copied_total
    );
    layout(&m.address.to_string(), Some(who), &body)
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
pub const JS: &str = include_str!("panel.js");

/// The stylesheet.
pub const CSS: &str = include_str!("panel.css");
