//! The panel's read-only pages and their JSON: the dashboard (what needs the operator first), a job, one
//! mailbox, usage; and the route under `/jobs/{id}` that leads to them, to the actions and to the downloads.
//! Every one of them is reached only through a job of the operator's own tenants (`owned_job`).

use super::session::Session;
use super::{Panel, Reply, actions, html, json, not_found, pages, reply};
use crate::model::JobId;
use crate::ports::PortError;
use crate::stages::job_progress;
use http::{Method, StatusCode, header};

/// One mailbox of a job as its page and the API show it.
pub(super) struct MailboxView {
    pub mailbox: crate::stages::MailboxProgress,
    pub folders: Vec<pages::FolderRow>,
    /// Its rows of the job's error CSV (`stages::ERRORS_HEADER`'s columns).
    pub errors: Vec<Vec<String>>,
}

impl Panel {
    pub(super) async fn dashboard(&self, s: &Session, csrf: &str) -> Result<Reply, PortError> {
        let mut jobs = Vec::new();
        let mut upcoming = Vec::new();
        for t in &s.tenants {
            for job in self.deps.store.jobs_of(t).await? {
                upcoming.extend(self.upcoming(&job.id).await?);
                let attention = self.attention(&job).await;
                jobs.push((job, attention));
            }
        }
        // What needs the operator first, then the newest; the schedules soonest first.
        jobs.sort_by_key(|(j, a)| (a.is_none(), std::cmp::Reverse(j.created_at)));
        upcoming.sort_by_key(|u| u.2);
        Ok(html(StatusCode::OK, pages::dashboard(&jobs, &upcoming, (s, csrf))))
    }

    /// What is scheduled for a job, as the operator reads it: `(job, what, when)`.
    async fn upcoming(&self, job: &JobId) -> Result<Vec<(JobId, String, chrono::DateTime<chrono::Utc>)>, PortError> {
        use crate::stages::{ScheduleAction, ScheduleInput};
        let mut out = Vec::new();
        for (_, at, input) in self.deps.schedules.of_job(job).await? {
            let Ok(input) = serde_json::from_str::<ScheduleInput>(&input) else { continue };
            let what = match input.action {
                ScheduleAction::Start => format!("{} pass starts", input.pass),
                ScheduleAction::Expire => "credentials purged, job cancelled if not complete".to_string(),
                ScheduleAction::Cutover => continue,
            };
            out.push((job.clone(), what, at));
        }
        Ok(out)
    }

    /// What a job needs from its operator, if anything: refused or failed mailboxes, or the MX change and the
    /// final pass after its first pass; for an import, "Create" or "Discard".
    pub(super) async fn attention(&self, job: &crate::model::Job) -> Option<String> {
        use crate::model::{JobKind, JobStatus};
        if job.kind == JobKind::Import {
            return (job.status == JobStatus::Validated)
                .then(|| "import checked: see what it would create, then create it or discard it".to_string());
        }
        let p = job_progress(&self.deps, &job.id, false).await.ok().flatten()?;
        let troubled = p.mailboxes.iter().filter(|m| m.problem.is_some() || m.failed > 0).count();
        if troubled > 0 && !matches!(job.status, JobStatus::Cancelled) {
            return Some(format!("{troubled} mailbox(es) need attention"));
        }
        (job.status == JobStatus::InitialDone)
            .then(|| "first pass done: change the MX records, then run the final pass".to_string())
    }

    pub(super) async fn api_jobs(&self, s: &Session) -> Result<Reply, PortError> {
        let mut jobs = Vec::new();
        for t in &s.tenants {
            jobs.extend(self.deps.store.jobs_of(t).await?);
        }
        Ok(json(StatusCode::OK, serde_json::json!({ "jobs": jobs })))
    }

    /// `/jobs/{id}[/{action or download}]` for a job of the operator's tenants.
    pub(super) async fn job_route(
        &self,
        s: &Session,
        csrf: &str,
        method: Method,
        rest: &str,
        (done, query): (Option<&'static str>, Option<&str>),
        fields: actions::Fields,
    ) -> Result<Reply, PortError> {
        let (id, sub) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(job) = self.owned_job(s, id).await? else { return Ok(not_found(false)) };
        Ok(match (method, sub) {
            (Method::GET, "") => {
                let view = super::table::View::from_query(query);
                return self.job_page(s, csrf, &job, &view, done).await;
            }
            (Method::GET, sub) if sub.starts_with("mailbox/") => {
                let address = super::path_address(&sub["mailbox/".len()..]);
                return self.mailbox_page(s, csrf, &job, &address).await;
            }
            (Method::GET, name) => actions::download(&self.deps, &job, name).await,
            (Method::POST, "create") => super::imports::create(&self.deps, s, &job).await.page(&job),
            (Method::POST, name) => actions::act(&self.deps, &job, name, fields).await.page(&job),
            _ => not_found(false),
        })
    }

    /// The usage page, or (`csv`: a tenant) that tenant's billing CSV; only the operator's own tenants.
    pub(super) async fn usage(&self, s: &Session, csrf: &str, csv: Option<String>) -> Result<Reply, PortError> {
        let today = self.deps.clock.now().date_naive();
        let mut per_tenant = Vec::new();
        for t in &s.tenants {
            if csv.as_deref().is_some_and(|c| c != t.as_str()) {
                continue;
            }
            let records = self.deps.usage.records(t).await?;
            per_tenant.push((t.to_string(), crate::import::usage::billing_csv(&records, today)));
        }
        match csv {
            None => Ok(html(StatusCode::OK, pages::usage(&per_tenant, (s, csrf)))),
            Some(_) if per_tenant.is_empty() => Ok(not_found(false)),
            Some(t) => {
                let mut r = reply(StatusCode::OK, "text/csv; charset=utf-8", per_tenant.remove(0).1);
                let disposition = format!("attachment; filename=\"usage-{t}.csv\"");
                if let Ok(v) = header::HeaderValue::from_str(&disposition) {
                    r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
                }
                Ok(r)
            }
        }
    }

    /// One mailbox of a job: pre-flight, folders (from their checkpoints), what did not make it.
    pub(super) async fn mailbox_page(
        &self,
        s: &Session,
        csrf: &str,
        job: &JobId,
        address: &str,
    ) -> Result<Reply, PortError> {
        Ok(match self.mailbox_view(job, address).await? {
            Some(v) => html(StatusCode::OK, pages::mailbox(job, &v.mailbox, &v.folders, &v.errors, (s, csrf))),
            None => not_found(false),
        })
    }

    /// What the page and the API show of one mailbox of `job` (`None`: the job has no such mailbox): read for
    /// that mailbox only (its record, counters, checkpoints and recorded outcomes), however large the job.
    pub(super) async fn mailbox_view(&self, job: &JobId, address: &str) -> Result<Option<MailboxView>, PortError> {
        let failed = super::read_failed("read progress");
        let records = self.deps.store.mailboxes(job).await?;
        let Some(m) = records.into_iter().find(|m| m.address.to_string().eq_ignore_ascii_case(address)) else {
            return Ok(None);
        };
        let mailbox = crate::stages::mailbox_progress(&self.deps, &m).await.map_err(&failed)?;
        let counts = crate::stages::folder_counts(&self.deps, job, &m.address).await.map_err(&failed)?;
        let mut folders = Vec::new();
        for folder in &m.details.folders {
            let key =
                crate::model::FolderKey { job: job.clone(), mailbox: m.address.to_string(), folder: folder.clone() };
            let cp = self.deps.checkpoints.load(&key).await?.unwrap_or_default();
            let ends = counts.get(folder).copied();
            folders.push(pages::FolderRow { copied: cp.copied, done: cp.done, ends, name: folder.clone() });
        }
        let errors = crate::stages::error_rows(&self.deps, job, Some(&m.address)).await.map_err(&failed)?;
        Ok(Some(MailboxView { mailbox, folders, errors }))
    }

    /// The job `id` if it belongs to one of the operator's tenants (else `None`: not found, whoever owns it).
    pub(super) async fn owned_job(&self, s: &Session, id: &str) -> Result<Option<JobId>, PortError> {
        let Ok(id) = JobId::new(id.to_string()) else { return Ok(None) };
        Ok(self.deps.store.job(&id).await?.filter(|j| s.may_see(&j.tenant)).map(|j| j.id))
    }

    /// A job's page (`done`: the message of the action just done; `view`: how its mailbox table is shown).
    pub(super) async fn job_page(
        &self,
        s: &Session,
        csrf: &str,
        id: &JobId,
        view: &super::table::View,
        done: Option<&'static str>,
    ) -> Result<Reply, PortError> {
        let record = self.deps.store.job(id).await?;
        if let Some(job) = record.filter(|j| j.kind == crate::model::JobKind::Import) {
            let page = super::imports::job_page(&self.deps, &job, (s, csrf), done).await;
            let detail = |e| PortError::Backend { op: "read import", retryable: true, detail: e, source: None };
            return Ok(html(StatusCode::OK, page.map_err(detail)?));
        }
        let Some(progress) = job_progress(&self.deps, id, true).await.map_err(super::read_failed("read progress"))?
        else {
            return Ok(not_found(false));
        };
        let held = crate::stages::held::held(&self.deps, &progress.job.tenant, id).await.ok().flatten();
        Ok(html(StatusCode::OK, super::job_page::job(&progress, held.map(|h| (h.file, h.rows)), (s, csrf), done, view)))
    }
}
