//! The JSON API under `/api/v1`, for operators who script: the same handlers as the pages, the same session
//! cookie and tenant scoping. A POST carries the session's CSRF token, as `GET /api/v1/session` gives it, in an
//! `x-csrf-token` header (or a `csrf` field), and its fields as the page's form sends them.
//!
//! `GET /api/v1/session`; `GET /api/v1/jobs`; `GET /api/v1/jobs/{id}` (progress, throughput, ETA; for an import
//! waiting for "Create", its preview); `GET /api/v1/jobs/{id}/mailboxes/{address}` (folders with their counts,
//! skipped messages); `GET /api/v1/jobs/{id}/{errors,validation,import}.csv`; `POST
//! /api/v1/jobs/{id}/{final,retry,cancel,recheck,rest,create}` → `{done, message, location}` or `{error}`.

use super::actions::{self, Fields};
use super::session::Session;
use super::{Panel, Reply, json, not_found};
use crate::model::{JobKind, JobStatus};
use crate::ports::PortError;
use http::{Method, StatusCode};

impl Panel {
    /// `GET /api/v1/session`: who is signed in, their tenants, and the token a POST carries.
    pub(super) fn api_session(&self, s: &Session, csrf: &str) -> Reply {
        let tenants: Vec<&str> = s.tenants.iter().map(|t| t.as_str()).collect();
        json(StatusCode::OK, serde_json::json!({"email": s.email, "tenants": tenants, "csrf": csrf}))
    }

    /// `/api/v1/jobs/{id}[/…]` for a job of the operator's tenants.
    pub(super) async fn api_job(
        &self,
        s: &Session,
        method: Method,
        rest: &str,
        fields: Fields,
    ) -> Result<Reply, PortError> {
        let (id, sub) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(job) = self.owned_job(s, id).await? else { return Ok(not_found(true)) };
        Ok(match (method, sub) {
            (Method::GET, "") => return self.api_job_progress(&job).await,
            (Method::GET, sub) if sub.starts_with("mailboxes/") => {
                let address = super::path_address(&sub["mailboxes/".len()..]);
                let Some(v) = self.mailbox_view(&job, &address).await? else {
                    return Ok(not_found(true));
                };
                let header: Vec<&str> = crate::stages::ERRORS_HEADER.trim().split(',').collect();
                let skipped: Vec<serde_json::Map<String, serde_json::Value>> = v
                    .errors
                    .iter()
                    .map(|row| header.iter().zip(row).map(|(k, v)| (k.to_string(), v.clone().into())).collect())
                    .collect();
                let body = serde_json::json!({
                    "mailbox": v.mailbox, "folders": v.folders, "skipped": skipped
                });
                json(StatusCode::OK, body)
            }
            (Method::GET, name) if name.ends_with(".csv") => actions::download(&self.deps, &job, name).await,
            (Method::POST, "create") => super::imports::create(&self.deps, s, &job).await.json(),
            (Method::POST, name) => actions::act(&self.deps, &job, name, fields).await.json(),
            _ => not_found(true),
        })
    }

    /// A job's progress; for an import waiting for "Create", what creating it would do now.
    async fn api_job_progress(&self, id: &crate::model::JobId) -> Result<Reply, PortError> {
        let failed = super::read_failed("read progress");
        let Some(progress) = crate::stages::job_progress(&self.deps, id, true).await.map_err(&failed)? else {
            return Ok(not_found(true));
        };
        let mut body = serde_json::to_value(&progress).unwrap_or_default();
        if progress.job.kind == JobKind::Import && progress.job.status == JobStatus::Validated {
            let preview = crate::stages::import_review::preview(&self.deps, &progress.job).await.map_err(&failed)?;
            body["preview"] = preview.map_or(serde_json::Value::Null, |p| p.to_json());
        }
        Ok(json(StatusCode::OK, body))
    }
}
