//! Imports in the browser: upload an import file (`GET /imports/new`, `POST /imports`), see what it would
//! create, leave unchanged or conflict with on the job's page, then "Create" (`POST /jobs/{id}/create`: all or
//! nothing) and the import report. The file waits sealed between the two steps (`stages::import_review`); a
//! refused file comes back as a migration's does: a summary that takes focus and a link to each bad row.

use super::multipart::Part;
use super::session::Session;
use super::{Reply, html, pages, redirect};
use crate::csv::Problem;
use crate::import::reconcile::Action;
use crate::model::{Job, JobStatus, TenantId};
use crate::stages::PanelDeps;
use crate::stages::import_review::{self, Preview, Reviewed};
use http::StatusCode;
use std::collections::HashMap;

use pages::esc;

/// The import upload form (`error`: why the last submission was refused, shown first).
pub fn form_page(s: &Session, csrf: &str, error: Option<&str>) -> String {
    let tenants: String =
        s.tenants.iter().map(|t| format!("<option value=\"{0}\">{0}</option>", esc(t.as_str()))).collect();
    let error = error.map_or(String::new(), |e| {
        format!("<div role=\"alert\" tabindex=\"-1\" autofocus id=\"errors\" class=\"error\"><p>{}</p></div>", esc(e))
    });
    let body = format!(
        "{error}<p>An import file lists domains, mailboxes (with quota) and aliases to create on the new platform. \
         You see what it would create before anything is.</p><form method=\"post\" action=\"/imports\" \
         enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><p><label \
         for=\"tenant\">Tenant</label><select id=\"tenant\" name=\"tenant\">{tenants}</select></p><p \
         class=\"drop\"><label for=\"file\">Import CSV (mailferry or PostfixAdmin format; or drop it here)</label>\
         <input id=\"file\" name=\"file\" type=\"file\" accept=\".csv,.txt,text/csv\" required></p><p><button>Upload \
         and check</button></p></form>",
        esc(csrf)
    );
    pages::layout("New import", Some((s, csrf)), &body)
}

/// Handle a submitted import form (CSRF already checked): hold the file for review and show the preview.
pub async fn submit(deps: &PanelDeps, s: &Session, csrf: &str, parts: &HashMap<String, Part>) -> Reply {
    let again = |why: &str| html(StatusCode::UNPROCESSABLE_ENTITY, form_page(s, csrf, Some(why)));
    let tenant = super::upload::text(parts, "tenant");
    let Some(tenant) = tenant.and_then(|t| TenantId::new(t).ok()).filter(|t| s.may_see(t)) else {
        return again("Choose one of your tenants.");
    };
    let Some(file) = parts.get("file").filter(|f| !f.data.is_empty()) else {
        return again("Choose a CSV file to upload.");
    };
    let name = super::upload::file_name(file.filename.as_deref());
    match import_review::hold_import(deps, &tenant, &name, file.data.clone()).await {
        Ok(Reviewed::Held { job }) => redirect(&format!("/jobs/{job}?done=import-checked")),
        Ok(Reviewed::Exists { job }) => redirect(&format!("/jobs/{job}")),
        Ok(Reviewed::Refused { job, errors }) => {
            super::upload::refused(deps, s, csrf, &job, errors, "/imports/new").await
        }
        Ok(Reviewed::NotAnImport) => again("This is a migration file: upload it as a new migration."),
        Err(e) => {
            tracing::warn!(error = %e, "cannot hold an import for review");
            html(StatusCode::SERVICE_UNAVAILABLE, form_page(s, csrf, Some("The file could not be kept; try again.")))
        }
    }
}

/// `POST /jobs/{id}/create`: create the held import as the signed-in operator.
pub async fn create(deps: &PanelDeps, s: &Session, job: &crate::model::JobId) -> super::actions::Outcome {
    use super::actions::Outcome;
    match import_review::create(deps, job, &format!("panel:{}", s.email)).await {
        Ok(a) if a.problems == 0 => Outcome::Done(format!("/jobs/{job}?done=imported")),
        Ok(_) => Outcome::Done(format!("/jobs/{job}")),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

fn action_text(a: &Action) -> &'static str {
    match a {
        Action::Create => "will be created",
        Action::Unchanged => "exists already, unchanged",
        Action::Update { .. } => "differs from what exists",
    }
}

/// The problems that keep a file from being created: the summary that takes focus, and their table.
fn conflicts(list: &[pages::ShownProblem]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let intro =
        format!("{} problem(s): nothing can be created until the file is fixed and uploaded again.", list.len());
    pages::problem_summary(&intro, "Problems by line", list)
}

fn shown(p: &Problem) -> pages::ShownProblem {
    let severity = if p.is_error() { "error" } else { "warning" };
    (p.line, p.column.clone().unwrap_or_default(), severity.to_string(), p.message.clone())
}

/// The preview of a held import, with "Create" when it can be created.
fn preview(job: &Job, p: &Preview, csrf: &str) -> String {
    let id = esc(job.id.as_str());
    if !p.target {
        return "<p class=\"error\" role=\"alert\">This deployment has no directory to create accounts in: start \
                the panel with <code>--import-target</code> (see README).</p>"
            .to_string();
    }
    let count = |kind: &str, create: bool| {
        p.rows.iter().filter(|r| r.kind == kind && (r.action == Action::Create) == create).count()
    };
    let mut rows = String::new();
    for r in &p.rows {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.line,
            r.kind,
            esc(&r.key),
            action_text(&r.action)
        ));
    }
    let claims = if p.claims.is_empty() {
        String::new()
    } else {
        format!("<p>New to the platform, claimed for {}: {}.</p>", esc(job.tenant.as_str()), esc(&p.claims.join(", ")))
    };
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(csrf));
    let create = if p.conflicts.is_empty() {
        let n = p.rows.iter().filter(|r| r.action == Action::Create).count();
        format!(
            "<form method=\"post\" action=\"/jobs/{id}/create\">{csrf}<p><button>Create {n} row(s) now</button> (all \
             or nothing)</p></form>"
        )
    } else {
        String::new()
    };
    format!(
        "{}<p id=\"summary\">Would create {} domain(s), {} mailbox(es), {} alias(es); {} row(s) exist already and stay \
         unchanged; {} conflict(s).</p>{claims}{create}<table><caption>Every row</caption><thead><tr><th \
         scope=\"col\">Line</th><th scope=\"col\">Kind</th><th scope=\"col\">Name</th><th \
         scope=\"col\">What happens</th></tr></thead><tbody>{rows}</tbody></table><form method=\"post\" \
         action=\"/jobs/{id}/cancel\">{csrf}<input type=\"hidden\" name=\"confirm\" value=\"yes\"><p><button>Discard \
         this file</button></p></form>",
        conflicts(&p.conflicts.iter().map(shown).collect::<Vec<_>>()),
        count("domain", true),
        count("mailbox", true),
        count("alias", true),
        p.rows.iter().filter(|r| r.action == Action::Unchanged).count(),
        p.conflicts.len()
    )
}

/// The report of an import that was created (or refused): the summary and each row as `import.csv` has it.
fn report(job: &Job, summary: &str, rows_csv: &str) -> String {
    let id = esc(job.id.as_str());
    let mut rows = String::new();
    for r in ::csv::Reader::from_reader(rows_csv.as_bytes()).records().flatten() {
        let cell = |i| esc(r.get(i).unwrap_or(""));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            cell(0),
            cell(1),
            cell(2),
            cell(3)
        ));
    }
    format!(
        "<p id=\"summary\">{}</p><table><caption>Import report</caption><thead><tr><th scope=\"col\">Line</th><th \
         scope=\"col\">Kind</th><th scope=\"col\">Name</th><th scope=\"col\">Done</th></tr></thead><tbody>{rows}\
         </tbody></table><h2>Downloads</h2><ul><li><a href=\"/jobs/{id}/import.csv\">The import report (CSV)</a></li>\
         <li><a href=\"/jobs/{id}/validation.csv\">The validation report (CSV)</a></li></ul>",
        esc(summary)
    )
}

/// An import job's page: the preview while it waits for "Create", else its report.
pub async fn job_page(
    deps: &PanelDeps,
    job: &Job,
    who: (&Session, &str),
    done: Option<&str>,
) -> Result<String, String> {
    let head = format!(
        "{}<p>{} · {} · <span id=\"status\">{}</span></p>",
        done.map_or(String::new(), |d| format!("<p role=\"status\" class=\"done\">{}</p>", esc(d))),
        esc(&job.source_file),
        esc(job.tenant.as_str()),
        esc(job.status.as_str())
    );
    let body = if job.status == JobStatus::Validated {
        match import_review::preview(deps, job).await.map_err(|e| e.to_string())? {
            Some(p) => preview(job, &p, who.1),
            None => "<p>Nothing of this file is held any more.</p>".to_string(),
        }
    } else {
        let read = |key: String| async move { deps.blobs.get(&key).await.ok().flatten().unwrap_or_default() };
        let validation: serde_json::Value =
            serde_json::from_slice(&read(format!("reports/{}/validation.json", job.id)).await).unwrap_or_default();
        let rows = read(format!("reports/{}/import.csv", job.id)).await;
        let mut text = report(job, validation["summary"].as_str().unwrap_or(""), &String::from_utf8_lossy(&rows));
        let problems = pages::report_problems(&validation, true);
        text.insert_str(0, &conflicts(&problems));
        text
    };
    Ok(pages::layout(&format!("Import {}", job.id), Some(who), &format!("{head}{body}")))
}
