//! Uploading a migration CSV in the browser: the form (`GET /migrations/new`) and its submission (`POST
//! /migrations`, multipart), handed to the upload stage exactly as an S3 upload or `mailferry migrate` is: the
//! file is stored under `migrations/<tenant>/`, validated row by row, every source checked live, the job stored
//! and, if a start time was given, scheduled. A refused file comes back with an error summary that takes focus
//! and links to each bad row; nothing of it is kept.

use super::multipart::Part;
use super::session::Session;
use super::{Reply, html, pages, redirect};
use crate::csv::SourceDefaults;
use crate::model::cutover::MxPattern;
use crate::model::{Secret, TenantId};
use crate::stages::{self, PanelDeps, Upload, UploadOutcome};
use http::StatusCode;
use std::collections::HashMap;

/// The upload form (`error`: why the last submission was refused, shown first).
pub fn form_page(s: &Session, csrf: &str, error: Option<&str>) -> String {
    let tenants: String =
        s.tenants.iter().map(|t| format!("<option value=\"{0}\">{0}</option>", pages::esc(t.as_str()))).collect();
    let error = error.map_or(String::new(), |e| {
        format!(
            "<div role=\"alert\" tabindex=\"-1\" autofocus id=\"errors\" class=\"error\"><p>{}</p></div>",
            pages::esc(e)
        )
    });
    let body = format!(
        "{error}<form method=\"post\" action=\"/migrations\" enctype=\"multipart/form-data\"><input type=\"hidden\" \
         name=\"csrf\" value=\"{}\"><p><label for=\"tenant\">Tenant</label><select id=\"tenant\" \
         name=\"tenant\">{tenants}\
         </select></p><p class=\"drop\"><label for=\"file\">Migration CSV (mailferry, Microsoft 365 or imapsync \
         format; or drop it \
         here)</label><input \
         id=\"file\" name=\"file\" type=\"file\" accept=\".csv,.txt,text/csv\" required></p><p><label \
         for=\"source_host\">Source server, for files that name none (optional)</label><input id=\"source_host\" \
         name=\"source_host\"></p><fieldset><legend>Provider credential, when the file's rows need one (optional)\
         </legend><p><label for=\"credential_kind\">Kind</label><select id=\"credential_kind\" \
         name=\"credential_kind\"><option value=\"google-service-account\">Google service account key (Gmail, Google \
         Workspace)</option><option value=\"microsoft-app\">Microsoft app (Office 365, Exchange Online)</option>\
         <option value=\"oauth-client\">OAuth client of the rows' refresh tokens</option></select></p><p><label \
         for=\"credential\">Credential file (JSON)</label><input id=\"credential\" name=\"credential\" \
         type=\"file\" accept=\".json,application/json\"></p></fieldset><p><label for=\"at\">Start the first pass at \
         (<span class=\"tz-label\">UTC</span>; \
         empty: validate and check only)</label><input id=\"at\" name=\"at\" type=\"datetime-local\" step=\"1\"><input \
         type=\"hidden\" name=\"tz\" value=\"\"> <span class=\"utc-hint\"></span></p><p><label for=\"notify\">Notify \
         (email)</label><input id=\"notify\" name=\"notify\" type=\"email\" value=\"{}\"></p><p><label \
         for=\"new_mx\">The new platform's MX hosts (optional, for the cutover assistant)</label><input id=\"new_mx\" \
         name=\"new_mx\"></p><p><label for=\"trial\">Try the first mailboxes first: how many (optional; the rest waits \
         until you start it)</label><input id=\"trial\" name=\"trial\" type=\"number\" min=\"1\"></p><p><button>\
         Upload and check</button></p></form>",
        pages::esc(csrf),
        pages::esc(&s.email)
    );
    pages::layout("New migration", Some((s, csrf)), &body)
}

/// A text field of a multipart form, trimmed (`None`: absent or empty).
pub(super) fn text(parts: &HashMap<String, Part>, name: &str) -> Option<String> {
    let p = parts.get(name)?;
    let t = String::from_utf8_lossy(&p.data).trim().to_string();
    (!t.is_empty()).then_some(t)
}

/// A file name safe as the last segment of a blob key: its base name, printable, at most 100 characters.
pub(super) fn file_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("upload.csv").rsplit(['/', '\\']).next().unwrap_or("upload.csv");
    let clean: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(100).collect();
    if clean.trim_matches('.').is_empty() { "upload.csv".into() } else { clean }
}

/// A provider credential given with the upload: its metadata field (`google-service-account`, …) and text.
type Credential = (&'static str, Secret<String>);

/// The upload's settings from the form (start time in the operator's zone, new MX hosts, the source server for
/// files that name none, who is notified) and the provider credential given with it; the error says which field.
fn settings_of(parts: &HashMap<String, Part>) -> Result<(Upload, Option<Credential>), String> {
    let tz = text(parts, "tz");
    let start_at = match text(parts, "at").map(|t| super::local_time(&t, tz.as_deref())) {
        None => None,
        Some(Some(t)) => Some(t),
        Some(None) => return Err("The start time is not a date and time.".into()),
    };
    let new_mx = match text(parts, "new_mx").map(|t| MxPattern::parse_list(&t)) {
        None => Vec::new(),
        Some(Ok(list)) => list,
        Some(Err(e)) => return Err(format!("New MX hosts: {e}")),
    };
    let source_defaults = SourceDefaults::from_text(text(parts, "source_host").as_deref(), None, None, None)
        .map_err(|e| format!("Source server: {e}"))?;
    let credential = credential_of(parts)?;
    let operator_email = text(parts, "notify");
    Ok((Upload { start_at, operator_email, source_defaults, new_mx, ..Default::default() }, credential))
}

/// Handle a submitted upload form (CSRF already checked).
pub async fn submit(deps: &PanelDeps, s: &Session, csrf: &str, parts: &HashMap<String, Part>) -> Reply {
    let again = |status: StatusCode, why: String| html(status, form_page(s, csrf, Some(&why)));
    let Some(tenant) = text(parts, "tenant").and_then(|t| TenantId::new(t).ok()).filter(|t| s.may_see(t)) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "Choose one of your tenants.".into());
    };
    let Some(file) = parts.get("file").filter(|f| !f.data.is_empty()) else {
        return again(StatusCode::UNPROCESSABLE_ENTITY, "Choose a CSV file to upload.".into());
    };
    let (upload, credential) = match settings_of(parts) {
        Ok(v) => v,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let name = file_name(file.filename.as_deref());
    // A trial: the first N mailboxes run as a job of their own; the rest waits, sealed, for "Start the rest".
    let trial = text(parts, "trial").and_then(|t| t.parse::<usize>().ok()).filter(|n| *n > 0);
    let (bytes, rest) = match trial {
        None => (file.data.clone(), None),
        Some(n) => {
            let mut defaults = upload.source_defaults.clone();
            if let Some((field, text)) = &credential
                && let Err(e) = stages::apply_credential(field, text.clone(), &mut defaults)
            {
                return again(StatusCode::UNPROCESSABLE_ENTITY, format!("Provider credential: {e}"));
            }
            let options = crate::csv::Options { source_defaults: defaults, ..Default::default() };
            match super::trial::split(&file.data, n, &options) {
                Ok((trial, rest, rows)) => (trial, Some((rest, rows))),
                Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, format!("Trial: {e}")),
            }
        }
    };
    let stored =
        if rest.is_some() { format!("{} (trial)", name.trim_end_matches(".csv")) + ".csv" } else { name.clone() };
    let mut upload = upload;
    if let Some((field, text)) = &credential {
        match put_credential(deps, &tenant, field, text, &bytes).await {
            Ok(objects) => upload.credential_objects = objects,
            Err(e) => return again(StatusCode::SERVICE_UNAVAILABLE, e),
        }
    }
    let outcome = start(deps, &tenant, &stored, bytes, upload).await;
    if let (Ok(UploadOutcome::Accepted { job, .. }), Some((rest, rows))) = (&outcome, rest) {
        let text = Secret::new(String::from_utf8_lossy(&rest).into_owned());
        let credential = credential.as_ref().map(|(field, c)| (*field, c));
        if let Err(e) = stages::held::hold(deps, &tenant, job, (&name, rows), text, credential).await {
            tracing::warn!(job = %job, error = %e, "cannot hold the rest of a trial's file");
            return again(StatusCode::SERVICE_UNAVAILABLE, "The rest of the file could not be kept; try again.".into());
        }
    }
    match outcome {
        Ok(UploadOutcome::Accepted { job, .. }) => redirect(&format!("/jobs/{job}?done=uploaded")),
        Ok(UploadOutcome::AlreadyHandled { job }) => redirect(&format!("/jobs/{job}")),
        Ok(UploadOutcome::Rejected { job, errors, .. }) => {
            refused(deps, s, csrf, &job, errors, "/migrations/new").await
        }
        Ok(UploadOutcome::Imported { .. }) => again(StatusCode::UNPROCESSABLE_ENTITY, "This is an import file.".into()),
        Ok(UploadOutcome::Ignored { reason }) => again(StatusCode::UNPROCESSABLE_ENTITY, reason),
        Err(e) => again(StatusCode::CONFLICT, e),
    }
}

/// The provider credential uploaded with the file: its upload metadata field and text (the upload stage checks
/// what it is, and refuses the upload naming the field, never quoting the file).
fn credential_of(parts: &HashMap<String, Part>) -> Result<Option<Credential>, String> {
    let Some(file) = parts.get("credential").filter(|f| !f.data.is_empty()) else { return Ok(None) };
    let Some(field) = text(parts, "credential_kind").as_deref().and_then(stages::credential_field) else {
        return Err("Choose which kind of provider credential the file is.".into());
    };
    if file.data.len() > stages::MAX_CREDENTIAL_FILE {
        return Err(format!(
            "The provider credential is larger than one ({} bytes at most).",
            stages::MAX_CREDENTIAL_FILE
        ));
    }
    let text =
        String::from_utf8(file.data.clone()).map_err(|_| "The provider credential is not a JSON (text) file.")?;
    Ok(Some((field, Secret::new(text))))
}

/// Put a provider credential where the upload stage reads it, `credentials/<tenant>/panel-<hash>.json` (the
/// stage deletes it with the CSV, whatever the outcome), and name it for the upload. `salt`: the CSV's bytes.
pub(super) async fn put_credential(
    deps: &PanelDeps,
    tenant: &TenantId,
    field: &str,
    text: &Secret<String>,
    salt: &[u8],
) -> Result<stages::CredentialObjects, String> {
    use sha2::{Digest, Sha256};
    let hash: String = Sha256::new()
        .chain_update(salt)
        .chain_update(field)
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = format!("credentials/{tenant}/panel-{hash}.json");
    let objects = stages::CredentialObjects::one(field, key.clone()).ok_or("an unknown kind of credential")?;
    if let Err(e) = deps.blobs.put(&key, text.expose().as_bytes().to_vec(), "application/json").await {
        tracing::warn!(error = %e, "cannot store a provider credential");
        return Err("The provider credential could not be stored; try again.".into());
    }
    Ok(objects)
}

/// Store `bytes` as `migrations/<tenant>/<name>` and hand it to the upload stage. When the stage fails before
/// storing anything, the object is removed again, and so is any credential object the upload names (the stage
/// deletes them itself once it runs to an outcome).
pub async fn start(
    deps: &PanelDeps,
    tenant: &TenantId,
    name: &str,
    bytes: Vec<u8>,
    mut upload: Upload,
) -> Result<UploadOutcome, String> {
    let key = format!("migrations/{tenant}/{name}");
    upload.key = key.clone();
    let stored = deps.blobs.put(&key, bytes, "text/csv").await.map_err(|e| {
        tracing::warn!(error = %e, "cannot store an upload");
        "The file could not be stored; try again.".to_string()
    });
    let outcome = match stored {
        Ok(()) => stages::on_upload(deps, &upload).await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    if outcome.is_err() {
        let _ = stages::delete_credentials(deps, tenant, &upload.credential_objects).await;
        let _ = deps.blobs.delete(&key).await;
    }
    outcome
}

/// The refused file's problems: a summary that takes focus, a link per bad row, and the rows.
pub(super) async fn refused(
    deps: &PanelDeps,
    s: &Session,
    csrf: &str,
    job: &crate::model::JobId,
    errors: usize,
    again: &str,
) -> Reply {
    let report = deps.blobs.get(&format!("reports/{job}/validation.json")).await.ok().flatten().unwrap_or_default();
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap_or_default();
    let file = report["file"].as_str().and_then(|f| f.rsplit('/').next()).unwrap_or("the file");
    let what = if again.starts_with("/imports") { "created" } else { "migrated" };
    let intro = format!(
        "{errors} error(s) in {}: nothing will be {what}. Fix the rows and upload the file again.",
        pages::esc(file)
    );
    let summary = pages::problem_summary(&intro, "Problems by line", &pages::report_problems(&report, false));
    let body = format!("{summary}<p><a href=\"{}\">Upload a corrected file</a></p>", pages::esc(again));
    html(StatusCode::UNPROCESSABLE_ENTITY, pages::layout("The file was refused", Some((s, csrf)), &body))
}
