//! The per-message error report of a job (`mailferry report JOB --errors`): one CSV row per message the
//! destination refused (pass, mailbox, folder, UID, size, date, subject, the server's words), per folder or
//! mailbox that failed, and per mailbox the pre-flight refused — what the operator hands to the customer or works
//! through. Built from what the copy stage recorded under `reports/<job>/`, on either home.

use super::StageError;
use super::holds::{HasBlobs, HasStore};
use super::report::{defused, quoted};
use crate::model::{EmailAddress, JobId};
use crate::text::printable;
use serde::Deserialize;

/// The header of the error CSV.
pub const ERRORS_HEADER: &str = "pass,mailbox,folder,uid,size,date,subject,error";

#[derive(Deserialize)]
struct Skipped {
    folder: String,
    uid: u32,
    size: u64,
    #[serde(default)]
    date: String,
    #[serde(default)]
    subject: String,
    reason: String,
}

#[derive(Deserialize)]
struct Failed {
    folder: String,
    reason: String,
}

/// `reports/<job>/<pass>/<kind>/<mailbox>/…`: the pass and the mailbox of a recorded outcome.
fn pass_and_mailbox<'k>(key: &'k str, job: &JobId) -> Option<(&'k str, &'k str)> {
    let rest = key.strip_prefix(&format!("reports/{job}/"))?;
    let mut parts = rest.splitn(4, '/');
    let (pass, _kind, mailbox) = (parts.next()?, parts.next()?, parts.next()?);
    Some((pass, mailbox))
}

/// One row's fields, cleaned (server words and recorded errors may carry control characters; at most 1000
/// characters; never a spreadsheet formula): the values the CSV holds.
fn row(fields: [&str; 8]) -> Vec<String> {
    fields.iter().map(|f| defused(&printable(f, 1000))).collect()
}

/// The error CSV of `job` (only the header when nothing went wrong).
pub async fn error_report(deps: &(impl HasStore + HasBlobs), job: &JobId) -> Result<String, StageError> {
    let mut out = format!("{ERRORS_HEADER}\n");
    for r in error_rows(deps, job, None).await? {
        out += &r.into_iter().map(quoted).collect::<Vec<_>>().join(",");
        out.push('\n');
    }
    Ok(out)
}

/// The error CSV's rows of `job` (fields in [`ERRORS_HEADER`]'s order), or only mailbox `only`'s (whose recorded
/// outcomes are then the only ones read).
pub async fn error_rows(
    deps: &(impl HasStore + HasBlobs),
    job: &JobId,
    only: Option<&EmailAddress>,
) -> Result<Vec<Vec<String>>, StageError> {
    let only = only.map(ToString::to_string);
    let wanted = |mailbox: &str| only.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(mailbox));
    let mut out = Vec::new();
    for m in deps.store().mailboxes(job).await.map_err(StageError::port("read mailboxes"))? {
        let address = m.address.to_string();
        if let Some(problem) = m.details.preflight.as_ref().and_then(|p| p.problem.as_deref())
            && wanted(&address)
        {
            out.push(row(["pre-flight", &address, "", "", "", "", "", &format!("line {}: {problem}", m.line)]));
        }
    }
    let keys = deps.blobs().list(&format!("reports/{job}/")).await.map_err(StageError::port("list reports"))?;
    for key in keys {
        let Some((pass, mailbox)) = pass_and_mailbox(&key, job).filter(|(_, m)| wanted(m)) else { continue };
        let Some(bytes) = deps.blobs().get(&key).await.map_err(StageError::port("read report"))? else { continue };
        let text = String::from_utf8_lossy(&bytes);
        if key.contains("/skipped/") {
            for s in text.lines().filter_map(|l| serde_json::from_str::<Skipped>(l).ok()) {
                let (uid, size) = (s.uid.to_string(), s.size.to_string());
                out.push(row([pass, mailbox, &s.folder, &uid, &size, &s.date, &s.subject, &s.reason]));
            }
        } else if key.contains("/failed/")
            && let Ok(f) = serde_json::from_str::<Failed>(&text)
        {
            out.push(row([pass, mailbox, &f.folder, "", "", "", "", &f.reason]));
        }
    }
    Ok(out)
}
