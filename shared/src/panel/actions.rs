//! What an operator does to a job from its page, through the same stages as the CLI: start or schedule the
//! final pass (`schedule_pass`), another pass for the mailboxes that need it (`retry`), cancel (`cancel`), check
//! one mailbox's source again (`recheck`), and
//! the downloads (the validation report, the per-message error CSV). The job was already checked to belong to
//! one of the operator's tenants. A done action redirects to the job page with a fixed message code (never
//! text from the request); a refused one answers the stage's reason.

use super::{Reply, html, pages, redirect, reply};
use crate::model::{JobId, Pass};
use crate::stages::{self, PanelDeps, Retry};
use chrono::{DateTime, Utc};
use http::{StatusCode, header};
use std::collections::HashMap;

/// The messages a redirect may name (`?done=<code>`).
pub fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "uploaded" => "The file was accepted: every row is valid and the sources were checked (see each mailbox).",
        "final-scheduled" => "The final pass is scheduled.",
        "retry-scheduled" => "Another pass is scheduled for the mailboxes that needed one.",
        "retry-some-refused" => {
            "Another pass is scheduled; the new check still refuses some mailboxes (see their rows): correct them \
             and retry again."
        }
        "cancelled" => "The job is cancelled and its sealed credentials are purged.",
        "import-checked" => "The file is valid. Below is what it would do: nothing is created until you say so.",
        "imported" => "The import was created: every row below is on the platform.",
        "rechecked" => "The mailbox was checked again; its row shows what the check found.",
        _ => return None,
    })
}

/// `at` as the form sends it (`2026-12-01T22:00`, in the form's time zone, else UTC), or now.
fn when(form: &HashMap<String, String>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    match form.get("at").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(now),
        Some(t) => super::local_time(t, form.get("tz").map(String::as_str))
            .ok_or_else(|| format!("{t:?} is not a date and time like 2026-12-01T22:00 (UTC)")),
    }
}

/// What an action's form sent: its text fields, and a file where it takes one (a retry's corrected credentials,
/// sent as multipart).
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub text: HashMap<String, String>,
    pub file: Option<Vec<u8>>,
}

impl Fields {
    /// The fields of a multipart form: its text parts, and its `credentials` file when one was chosen.
    pub fn of_parts(parts: &HashMap<String, super::multipart::Part>) -> Fields {
        let mut text = HashMap::new();
        let mut file = None;
        for (name, part) in parts {
            match (name.as_str(), &part.filename) {
                ("credentials", Some(_)) => file = Some(part.data.clone()).filter(|d| !d.is_empty()),
                (_, None) => {
                    text.insert(name.clone(), String::from_utf8_lossy(&part.data).trim().to_string());
                }
                _ => {}
            }
        }
        Fields { text, file }
    }
}

/// What an action came to: the page to go to next (with `?done=CODE`), or why it was not done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done(String),
    Refused(String),
    NotFound,
}

impl Outcome {
    /// As a page: a redirect there, or the reason.
    pub fn page(self, job: &JobId) -> Reply {
        match self {
            Outcome::Done(to) => redirect(&to),
            Outcome::Refused(why) => refused(job, &why),
            Outcome::NotFound => super::not_found(false),
        }
    }

    /// As JSON for the API: `{done, message, location}`, or `{error}` (409, 404).
    pub fn json(self) -> Reply {
        match self {
            Outcome::Done(to) => {
                let code = to.split("?done=").nth(1).unwrap_or("");
                let value = serde_json::json!({"done": code, "message": done_text(code), "location": to});
                super::json(StatusCode::OK, value)
            }
            Outcome::Refused(why) => super::json(StatusCode::CONFLICT, serde_json::json!({ "error": why })),
            Outcome::NotFound => super::not_found(true),
        }
    }
}

/// Run the action `name` on `job` with the submitted `fields`.
pub async fn act(deps: &PanelDeps, job: &JobId, name: &str, fields: Fields) -> Outcome {
    let form = &fields.text;
    let now = deps.clock.now();
    let at = match (name, when(form, now)) {
        ("final", Err(e)) => return Outcome::Refused(e),
        (_, at) => at.unwrap_or(now),
    };
    if name == "cancel" && form.get("confirm").map(String::as_str) != Some("yes") {
        return Outcome::Refused("tick “I understand” to cancel the job".into());
    }
    if name == "rest" {
        return start_rest(deps, job, at).await;
    }
    if !["final", "retry", "cancel", "recheck"].contains(&name) {
        return Outcome::NotFound;
    }
    let mailbox = form.get("mailbox").cloned().unwrap_or_default();
    let done = match name {
        "final" => stages::schedule_pass(deps, job, Pass::Final, at).await.map(|()| "final-scheduled"),
        "retry" => {
            let credentials = fields.file;
            let r = Retry { mailboxes: Vec::new(), all: false, credentials, source_defaults: Default::default(), at };
            stages::retry(deps, job, &r)
                .await
                .map(|r| if r.refused.is_empty() { "retry-scheduled" } else { "retry-some-refused" })
        }
        "recheck" => match crate::model::EmailAddress::parse(&mailbox) {
            Ok(address) => stages::recheck(deps, job, &address).await.map(|_| "rechecked"),
            Err(_) => Err(stages::StageError::Mailbox { mailbox, reason: format!("job {job} has no such mailbox") }),
        },
        _ => stages::cancel(deps, job).await.map(|_| "cancelled"),
    };
    match done {
        Ok(code) => {
            tracing::info!(job = %job, action = name, "panel action");
            Outcome::Done(format!("/jobs/{job}?done={code}"))
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// Start the rest of a trial's file as a job of its own (at `at`), and go to it.
async fn start_rest(deps: &PanelDeps, job: &JobId, at: DateTime<Utc>) -> Outcome {
    let refuse = |why: &str| Outcome::Refused(why.to_string());
    let tenant = match deps.store.job(job).await {
        Ok(Some(j)) => j.tenant,
        _ => return refuse("the job cannot be read just now; try again"),
    };
    // Opened, not removed: a start that fails leaves the rows held for another try.
    let opened = match stages::held::open(deps, &tenant, job).await {
        Ok(Some(held)) => held,
        Ok(None) => return refuse("nothing of this file waits to be started (started already, or purged)"),
        Err(e) => return refuse(&e.to_string()),
    };
    let bytes = opened.text.expose().as_bytes().to_vec();
    let mut upload = stages::Upload { start_at: Some(at), ..Default::default() };
    if let Some((field, text)) = &opened.credential {
        match super::upload::put_credential(deps, &tenant, field, text, &bytes).await {
            Ok(objects) => upload.credential_objects = objects,
            Err(e) => return refuse(&e),
        }
    }
    let (started, to) = match super::upload::start(deps, &tenant, &opened.file, bytes, upload).await {
        Ok(stages::UploadOutcome::Accepted { job: started, .. }) => {
            (started.clone(), format!("/jobs/{started}?done=uploaded"))
        }
        Ok(stages::UploadOutcome::AlreadyHandled { job: started }) => (started.clone(), format!("/jobs/{started}")),
        Ok(stages::UploadOutcome::Rejected { job: r, errors, .. }) => {
            return refuse(&format!("the rest of the file was refused: {errors} error(s), see job {r}"));
        }
        Ok(other) => return refuse(&format!("the rest of the file was not accepted: {other:?}")),
        Err(e) => return refuse(&e),
    };
    if let Err(e) = stages::held::remove(deps, &tenant, job).await {
        tracing::warn!(trial = %job, error = %e, "the rest started, but its held copy stays until the trial ends");
    }
    tracing::info!(trial = %job, job = %started, "the rest of a trial's file started");
    Outcome::Done(to)
}

pub(super) fn refused(job: &JobId, why: &str) -> Reply {
    let body = format!(
        "<p role=\"alert\" class=\"error\">{}</p><p><a href=\"/jobs/{}\">Back to the job</a></p>",
        pages::esc(why),
        pages::esc(job.as_str())
    );
    html(StatusCode::CONFLICT, pages::layout("Not done", None, &body))
}

/// A download of the job: `errors.csv` (every message and mailbox that did not make it), `validation.csv`, or
/// an import's `import.csv`.
pub async fn download(deps: &PanelDeps, job: &JobId, name: &str) -> Reply {
    let body = match name {
        "errors.csv" => stages::error_report(deps, job).await.map_err(|e| e.to_string()),
        "validation.csv" | "import.csv" => match deps.blobs.get(&format!("reports/{job}/{name}")).await {
            Ok(Some(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
            Ok(None) => return super::not_found(false),
            Err(e) => Err(e.to_string()),
        },
        _ => return super::not_found(false),
    };
    match body {
        Ok(text) => {
            let mut r = reply(StatusCode::OK, "text/csv; charset=utf-8", text);
            let disposition = format!("attachment; filename=\"{job}-{name}\"");
            r.headers_mut()
                .insert(header::CONTENT_DISPOSITION, header::HeaderValue::from_str(&disposition).expect("ascii"));
            r
        }
        Err(e) => {
            tracing::warn!(job = %job, download = name, error = %e, "panel download failed");
            html(
                StatusCode::SERVICE_UNAVAILABLE,
                pages::layout("Try again", None, "<p>The report could not be read.</p>"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_become_utc() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().to_utc();
        let form = |at: &str, tz: &str| {
            HashMap::from([("at".to_string(), at.to_string()), ("tz".to_string(), tz.to_string())])
        };
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(when(&form("2026-12-31T23:30", "60"), now), Ok(at("2026-12-31T22:30:00Z")), "Berlin in winter");
        assert_eq!(when(&form("2026-12-31T23:30:15", "-300"), now), Ok(at("2027-01-01T04:30:15Z")), "New York");
        assert_eq!(when(&form("2026-12-31T23:30", "99999"), now), Ok(at("2026-12-31T23:30:00Z")), "nonsense: UTC");
        assert_eq!(when(&form("", ""), now), Ok(now));
        assert!(when(&form("31/12/2026", ""), now).is_err());
    }
}
