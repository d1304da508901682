//! An import file held for the operator's review (the panel's import): validated when it is uploaded, kept
//! sealed (it holds passwords) in the `held` store, shown as what it would create, leave unchanged or conflict
//! with — computed afresh against the directory each time it is looked at, nothing written — and applied, all
//! or nothing, only when the operator says "Create", through the same [`super::import::apply`] as a file
//! dropped under `imports/`. Until then its job waits as `validated`; a cancel, or the end of the credentials'
//! retention period (scheduled at upload, as for a migration), purges the held file.

use super::holds::{
    HasBlobs, HasClock, HasDirectory, HasDomains, HasSchedules, HasSecrets, HasSettings, HasStore, HasUsage,
};
use super::import::Applied;
use super::{StageError, held, report, tenancy, upload};
use crate::csv::{self, Options, Plan, Problem, Purpose};
use crate::import::reconcile::{Mode, RowOutcome};
use crate::model::{Job, JobId, JobKind, JobStatus, ProvisionPlan, Secret, TenantId};

/// What became of an import file handed over for review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewed {
    /// Valid: held sealed, its job `validated`, waiting for "Create".
    Held { job: JobId },
    /// The file has errors: a failed job with its validation report; nothing is held.
    Refused { job: JobId, errors: usize },
    /// The same file was handed over before.
    Exists { job: JobId },
    /// A valid migration file, not an import.
    NotAnImport,
}

/// What creating a held import would do now.
#[derive(Clone, Debug)]
pub struct Preview {
    /// Each row and what would happen to it (created or unchanged).
    pub rows: Vec<RowOutcome>,
    /// Why it cannot be created as it stands (another tenant's domain, a row that differs from what exists):
    /// any of them and "Create" is refused.
    pub conflicts: Vec<Problem>,
    /// Domains new to the platform that the tenant would claim.
    pub claims: Vec<String>,
    /// Whether the deployment has a directory to create accounts in at all.
    pub target: bool,
}

impl Preview {
    /// As the API gives it: `{target, claims, rows: [{line, kind, key, action}], conflicts: [problem]}`.
    pub fn to_json(&self) -> serde_json::Value {
        use crate::import::reconcile::Action;
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let action = match r.action {
                    Action::Create => "create",
                    Action::Unchanged => "unchanged",
                    Action::Update { .. } => "differs",
                };
                serde_json::json!({"line": r.line, "kind": r.kind, "key": r.key, "action": action})
            })
            .collect();
        serde_json::json!({"target": self.target, "claims": self.claims, "rows": rows, "conflicts": self.conflicts})
    }
}

fn options(deps: &impl HasDirectory) -> Options {
    Options { expect: Some(Purpose::Import), domains_checked_later: deps.directory().is_some(), ..Default::default() }
}

/// Validate import file `name` of `tenant` and hold it for review (see the module).
pub async fn hold_import(
    deps: &(impl HasStore + HasBlobs + HasSecrets + HasSchedules + HasClock + HasDirectory + HasSettings),
    tenant: &TenantId,
    name: &str,
    bytes: Vec<u8>,
) -> Result<Reviewed, StageError> {
    let key = format!("imports/{tenant}/{name}");
    let id = upload::job_id(&key, &bytes);
    if deps.store().job(&id).await.map_err(StageError::port("read job"))?.is_some() {
        return Ok(Reviewed::Exists { job: id });
    }
    let mut job = Job {
        id: id.clone(),
        tenant: tenant.clone(),
        kind: JobKind::Import,
        status: JobStatus::Validated,
        operator_email: None,
        source_file: name.to_string(),
        created_at: deps.clock().now(),
        catch_up: None,
        new_mx: Vec::new(),
    };
    let (kind, problems, plan, summary) = match csv::validate(&bytes, &options(deps)) {
        Ok(v) => (v.kind.map(|k| k.to_string()), v.problems.clone(), v.plan.clone(), v.summary()),
        Err(e) => (None, vec![Problem::row_error(1, e.to_string())], None, String::new()),
    };
    let plan = match plan {
        None => {
            let errors = problems.iter().filter(|p| p.is_error()).count();
            upload::reject(deps, &mut job, &key, kind, &problems).await?;
            return Ok(Reviewed::Refused { job: id, errors });
        }
        Some(Plan::Migration(_)) => return Ok(Reviewed::NotAnImport),
        Some(Plan::Import(plan)) => plan,
    };
    let summary = format!("{summary}; held for review until “Create”");
    report::write(deps, &id, &key, kind, &summary, &problems, &[]).await?;
    let rows = plan.domains.len() + plan.mailboxes.len() + plan.aliases.len();
    // A valid plan was read from UTF-8 text: nothing is lost in the string.
    let text = Secret::new(String::from_utf8_lossy(&bytes).into_owned());
    drop(bytes);
    held::hold(deps, tenant, &id, (name, rows), text, None).await?;
    upload::expire_later(deps, &id).await?;
    upload::create(deps, &job).await?;
    tracing::info!(job = %id, rows, "import held for review");
    Ok(Reviewed::Held { job: id })
}

/// The held file of `job`, validated again: its plan, kind and warnings (`None`: nothing held, or not valid).
async fn plan_of(
    deps: &(impl HasBlobs + HasSecrets + HasDirectory),
    job: &Job,
) -> Result<Option<(ProvisionPlan, Option<String>, Vec<Problem>)>, StageError> {
    let Some(opened) = held::open(deps, &job.tenant, &job.id).await? else { return Ok(None) };
    let Ok(v) = csv::validate(opened.text.expose().as_bytes(), &options(deps)) else { return Ok(None) };
    let kind = v.kind.map(|k| k.to_string());
    Ok(match v.plan {
        Some(Plan::Import(plan)) => Some((plan, kind, v.problems)),
        _ => None,
    })
}

/// What creating `job`'s held import would do now (`None`: nothing is held for it).
pub async fn preview(
    deps: &(impl HasBlobs + HasSecrets + HasDirectory + HasDomains),
    job: &Job,
) -> Result<Option<Preview>, StageError> {
    let Some((plan, _, _)) = plan_of(deps, job).await? else { return Ok(None) };
    let Some(directory) = deps.directory().as_ref() else {
        return Ok(Some(Preview { rows: Vec::new(), conflicts: Vec::new(), claims: Vec::new(), target: false }));
    };
    let (mut conflicts, claims) = tenancy::check_import(deps, &job.tenant, &plan, directory.as_ref()).await?;
    let dry = crate::import::import(&plan, directory.as_ref(), Mode::CreateOnly, true)
        .await
        .map_err(StageError::port("read directory"))?;
    conflicts.extend(dry.problems);
    conflicts.sort_by_key(|p| p.line);
    Ok(Some(Preview { rows: dry.rows, conflicts, claims: claims.into_iter().collect(), target: true }))
}

/// Create `job`'s held import, all or nothing, as done `by` (`panel:OPERATOR`): the job ends `complete`, or
/// `failed` with the conflicts in its report. Refused (`Err`) when nothing is held, the job is not waiting, or
/// the deployment has no directory; a second "Create" while one runs is refused, not applied twice.
pub async fn create(
    deps: &(impl HasStore + HasBlobs + HasSecrets + HasSchedules + HasClock + HasDirectory + HasUsage + HasDomains),
    job: &JobId,
    by: &str,
) -> Result<Applied, StageError> {
    let refuse = |detail: &str| StageError::BadMessage { what: "import", detail: detail.to_string() };
    let mut job =
        deps.store().job(job).await.map_err(StageError::port("read job"))?.ok_or_else(|| refuse("no such job"))?;
    if job.kind != JobKind::Import || job.status != JobStatus::Validated {
        return Err(refuse("this import is not waiting to be created (created or cancelled already)"));
    }
    if deps.directory().is_none() {
        return Err(refuse("this deployment has no directory to create accounts in (see README: import target)"));
    }
    let Some((plan, kind, warnings)) = plan_of(deps, &job).await? else {
        return Err(refuse("nothing of this file is held any more (purged, or its retention period ended)"));
    };
    // Claimed first, so a second click (or another operator) finds it running and changes nothing.
    let claimed = deps.store().transition_job(&job.id, JobStatus::Validated, JobStatus::Running).await;
    if !claimed.map_err(StageError::port("claim import"))? {
        return Err(refuse("this import is being created already"));
    }
    let key = format!("imports/{}/{}", job.tenant, job.source_file);
    let applied = match super::import::apply(deps, &mut job, &plan, &key, by, kind, &warnings).await {
        Ok(Some((applied, _))) => applied,
        other => {
            // Nothing was written (the import is all or nothing): the operator may try again.
            let _ = deps.store().transition_job(&job.id, JobStatus::Running, JobStatus::Validated).await;
            return Err(other.err().unwrap_or_else(|| refuse("this deployment has no directory")));
        }
    };
    deps.store()
        .transition_job(&job.id, JobStatus::Running, job.status)
        .await
        .map_err(StageError::port("end import"))?;
    held::remove(deps, &job.tenant, &job.id).await?;
    deps.schedules().cancel(&super::end::expiry_name(&job.id)).await.map_err(StageError::port("remove schedule"))?;
    tracing::info!(job = %job.id, created = applied.created, problems = applied.problems, "held import applied");
    Ok(applied)
}
