//! The upload stage: a CSV arrived under `migrations/<tenant>/` or `imports/<tenant>/`. Validate it (the CSV
//! contracts), check every source account live (pre-flight), write the report, store the job and its mailboxes
//! with sealed credentials, delete the CSV (no clear-text password rests in storage), and schedule the first
//! pass when a start time came with the file.
//!
//! Idempotent: the job id is derived from the key and the content, the job row is written last (after the
//! mailboxes), and a second delivery of the same event finds the job, or the CSV already gone.

use super::holds::{
    HasBlobs, HasClock, HasCounters, HasDirectory, HasDomains, HasSchedules, HasSecrets, HasSettings, HasStore,
    HasUsage,
};
use super::job_credentials::{self, CredentialObjects};
use super::report::{self, CheckedMailbox};
use super::{ScheduleAction, ScheduleInput, StageError, credentials, preflight, schedule, tenancy};
use crate::csv::{self, Options, Plan, Problem, Purpose};
use crate::model::{EmailAddress, Job, JobId, JobKind, JobStatus, MailboxRecord, Pass, TenantId};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// An uploaded object to process.
#[derive(Clone, Debug, Default)]
pub struct Upload {
    /// The object's key (`migrations/acme/batch-1.csv`).
    pub key: String,
    /// When to start the first pass (S3 metadata `start-at`, or `mailferry migrate --at`).
    pub start_at: Option<DateTime<Utc>>,
    /// Who gets the notifications (S3 metadata `operator-email`); else the deployment's default.
    pub operator_email: Option<String>,
    /// Source server for rows (or formats, such as Microsoft 365's) that name none: S3 metadata `source-host`,
    /// `source-port`, `source-security`, `provider`, or `mailferry migrate --source-host …`.
    pub source_defaults: csv::SourceDefaults,
    /// Provider credentials uploaded beside the CSV (S3 metadata `google-service-account`, `microsoft-app`).
    pub credential_objects: CredentialObjects,
    /// Catch-up passes after the first one (S3 metadata `catch-up-every`, `catch-ups`; `migrate --catch-up-every`).
    pub catch_up: Option<crate::model::CatchUp>,
    /// The new platform's MX hosts, for the cutover assistant (S3 metadata `new-mx`; `migrate --new-mx`).
    pub new_mx: Vec<crate::model::cutover::MxPattern>,
}

/// What the upload stage did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Nothing to do: not an upload place, or the object is gone (handled before).
    Ignored { reason: String },
    /// This object was processed before (a repeated event).
    AlreadyHandled { job: JobId },
    /// The file has errors: nothing is stored but the report.
    Rejected { job: JobId, report: String, errors: usize },
    /// An import file was applied to the directory (or refused with problems, then nothing was created).
    Imported { job: JobId, report: String, applied: super::import::Applied },
    /// The job is stored; `failed` lists the accounts the pre-flight refused (line, address, why).
    Accepted {
        job: JobId,
        report: String,
        ready: usize,
        failed: Vec<(u64, String, String)>,
        scheduled: Option<DateTime<Utc>>,
    },
}

/// Where an upload belongs: its purpose and tenant, from the key.
fn place(key: &str) -> Result<(Purpose, TenantId, String), String> {
    let parts: Vec<&str> = key.splitn(3, '/').collect();
    let purpose = match parts.first() {
        Some(&"migrations") => Purpose::Migration,
        Some(&"imports") => Purpose::Import,
        _ => return Err(format!("{key} is not under migrations/ or imports/")),
    };
    let (Some(tenant), Some(file)) = (parts.get(1), parts.get(2)) else {
        return Err(format!("{key} has no tenant: expected {}/<tenant>/<file>", parts[0]));
    };
    let tenant = TenantId::new(*tenant).map_err(|e| e.to_string())?;
    Ok((purpose, tenant, file.to_string()))
}

/// Whom to notify: the upload's `operator-email` when the deployment allows that address, else its default.
fn operator(deps: &impl HasSettings, asked: Option<&str>) -> Option<String> {
    let default = || deps.settings().default_operator.clone();
    let Some(asked) = asked.map(str::trim).filter(|a| !a.is_empty()) else { return default() };
    let allowed = match &deps.settings().operator_allow {
        None => true,
        Some(list) => {
            let lower = asked.to_ascii_lowercase();
            list.iter().map(|a| a.trim().to_ascii_lowercase()).any(|a| {
                if a.starts_with('@') { lower.ends_with(&a) && lower.matches('@').count() == 1 } else { a == lower }
            })
        }
    };
    if allowed && crate::model::EmailAddress::parse(asked).is_ok() {
        Some(asked.to_string())
    } else {
        tracing::warn!(asked = ?asked, "operator-email not allowed by this deployment; using the default operator");
        default()
    }
}

/// The job id of an upload: the same object always gives the same job.
pub(super) fn job_id(key: &str, bytes: &[u8]) -> JobId {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update([0]);
    h.update(bytes);
    let hex: String = h.finalize().iter().take(10).map(|b| format!("{b:02x}")).collect();
    JobId::new(format!("job-{hex}")).expect("hex is a valid id")
}

/// Process one uploaded object.
pub async fn on_upload<D>(deps: &D, upload: &Upload) -> Result<UploadOutcome, StageError>
where
    D: HasStore
        + HasCounters
        + HasBlobs
        + HasSecrets
        + HasSchedules
        + HasClock
        + HasDirectory
        + HasUsage
        + HasDomains
        + HasSettings,
{
    let (purpose, tenant, file) = match place(&upload.key) {
        Ok(p) => p,
        Err(reason) => return Ok(UploadOutcome::Ignored { reason }),
    };
    let Some(bytes) = deps.blobs().get(&upload.key).await.map_err(StageError::port("read upload"))? else {
        return Ok(UploadOutcome::Ignored { reason: format!("{} is gone (processed before)", upload.key) });
    };
    let id = job_id(&upload.key, &bytes);
    let delete_upload = || async {
        job_credentials::delete(deps, &tenant, &upload.credential_objects).await?;
        deps.blobs().delete(&upload.key).await.map_err(StageError::port("delete upload"))
    };
    if deps.store().job(&id).await.map_err(StageError::port("read job"))?.is_some() {
        delete_upload().await?;
        return Ok(UploadOutcome::AlreadyHandled { job: id });
    }
    let mut job = new_job(deps, upload, (&id, &tenant), purpose, file);
    let mut source_defaults = upload.source_defaults.clone();
    let objects = &upload.credential_objects;
    if let Err(problem) = job_credentials::resolve(deps, &job.tenant, objects, &mut source_defaults).await? {
        job_credentials::delete(deps, &job.tenant, objects).await?;
        return reject(deps, &mut job, &upload.key, None, &[Problem::row_error(1, problem)]).await;
    }
    let (kind, problems, plan) = validate(deps, &bytes, purpose, source_defaults);
    drop(bytes);
    let Some((plan, summary)) = plan else {
        job_credentials::delete(deps, &job.tenant, &upload.credential_objects).await?;
        return reject(deps, &mut job, &upload.key, kind, &problems).await;
    };
    let entries = match plan {
        Plan::Migration(entries) => {
            let refused = tenancy::check_migration(deps, &job.tenant, &entries).await?;
            if !refused.is_empty() {
                let all = [problems.as_slice(), &refused].concat();
                return reject_all(deps, &mut job, upload, kind, all).await;
            }
            entries
        }
        Plan::Import(plan) => {
            let outcome = import(deps, &mut job, &plan, upload, (kind, &problems, &summary)).await?;
            create(deps, &job).await?;
            delete_upload().await?;
            return Ok(outcome);
        }
    };
    let (records, checked) = check_and_seal(deps, &id, &entries).await?;
    let failed: Vec<(u64, String, String)> =
        checked.iter().filter_map(|c| c.preflight.problem.clone().map(|p| (c.line, c.address.clone(), p))).collect();
    let ready = records.len() - failed.len();
    let summary = format!("{summary}; pre-flight: {ready} ready, {} failed", failed.len());
    let report = report::write(deps, &id, &upload.key, kind, &summary, &problems, &checked).await?;
    deps.store().put_mailboxes(&records).await.map_err(StageError::port("store mailboxes"))?;
    create(deps, &job).await?;
    expire_later(deps, &id).await?;
    delete_upload().await?;
    tracing::info!(job = %id, ready, failed = failed.len(), "upload accepted");
    if let Some(at) = upload.start_at {
        schedule::schedule_pass(deps, &id, Pass::Initial, at).await?;
    }
    Ok(UploadOutcome::Accepted { job: id, report, ready, failed, scheduled: upload.start_at })
}

/// The job an upload becomes, `Validated` until its checks are done.
fn new_job(
    deps: &(impl HasClock + HasSettings),
    upload: &Upload,
    (id, tenant): (&JobId, &TenantId),
    purpose: Purpose,
    source_file: String,
) -> Job {
    Job {
        id: id.clone(),
        tenant: tenant.clone(),
        kind: if purpose == Purpose::Import { JobKind::Import } else { JobKind::Migration },
        status: JobStatus::Validated,
        operator_email: operator(deps, upload.operator_email.as_deref()),
        source_file,
        created_at: deps.clock().now(),
        catch_up: upload.catch_up,
        new_mx: upload.new_mx.clone(),
    }
}

/// Refuse the whole file for `problems` (in line order), deleting the credential objects uploaded with it.
async fn reject_all(
    deps: &(impl HasStore + HasBlobs),
    job: &mut Job,
    upload: &Upload,
    kind: Option<String>,
    mut problems: Vec<Problem>,
) -> Result<UploadOutcome, StageError> {
    problems.sort_by_key(|p| p.line);
    job_credentials::delete(deps, &job.tenant, &upload.credential_objects).await?;
    reject(deps, job, &upload.key, kind, &problems).await
}

/// The file validated for `purpose`: its kind, every problem, and (without errors) its plan and summary. Import
/// rows may use domains the destination already has: with a directory, the import checks them against it.
fn validate(
    deps: &impl HasDirectory,
    bytes: &[u8],
    purpose: Purpose,
    source_defaults: csv::SourceDefaults,
) -> (Option<String>, Vec<Problem>, Option<(Plan, String)>) {
    let options = Options {
        expect: Some(purpose),
        domains_checked_later: deps.directory().is_some(),
        source_defaults,
        ..Default::default()
    };
    match csv::validate(bytes, &options) {
        Ok(v) => (v.kind.map(|k| k.to_string()), v.problems.clone(), v.plan.clone().map(|p| (p, v.summary()))),
        Err(e) => (None, vec![Problem::row_error(1, e.to_string())], None),
    }
}

/// An import file: applied to the deployment's directory when there is one (`job`'s status set to the outcome);
/// else validated and recorded only.
async fn import(
    deps: &(impl HasBlobs + HasClock + HasDirectory + HasUsage + HasDomains),
    job: &mut Job,
    plan: &crate::model::ProvisionPlan,
    upload: &Upload,
    (kind, problems, summary): (Option<String>, &[Problem], &str),
) -> Result<UploadOutcome, StageError> {
    let by = format!("upload:{}", upload.key);
    let id = job.id.clone();
    Ok(match super::import::apply(deps, job, plan, &upload.key, &by, kind.clone(), problems).await? {
        Some((applied, report)) => UploadOutcome::Imported { job: id, report, applied },
        None => {
            let report = report::write(deps, &id, &upload.key, kind, summary, problems, &[]).await?;
            UploadOutcome::Accepted { job: id, report, ready: 0, failed: Vec::new(), scheduled: None }
        }
    })
}

/// Check every account of a migration live (the destination first: one wrong setting fails the upload, not each
/// row), and seal each one's credentials for job `id`: the mailbox records and what the report says of them.
async fn check_and_seal(
    deps: &(impl HasSecrets + HasClock + HasSettings),
    id: &JobId,
    entries: &[crate::csv::MigrationEntry],
) -> Result<(Vec<MailboxRecord>, Vec<CheckedMailbox>), StageError> {
    let accounts: Vec<_> = entries.iter().map(|e| &e.account).collect();
    let addresses: Vec<EmailAddress> = accounts.iter().map(|a| a.destination.clone()).collect();
    preflight::check_destination(deps, &addresses).await.map_err(|e| StageError::Destination(Box::new(e)))?;
    let checks = preflight::check_all(deps, &accounts).await;
    let mut records = Vec::with_capacity(entries.len());
    let mut checked = Vec::with_capacity(entries.len());
    for (entry, check) in entries.iter().zip(checks) {
        let a = &entry.account;
        let source = format!("{}:{}", a.host, a.port);
        checked.push(CheckedMailbox {
            line: entry.line,
            address: a.destination.to_string(),
            source: source.clone(),
            preflight: check.clone(),
        });
        records.push(MailboxRecord {
            job: id.clone(),
            address: a.destination.clone(),
            source,
            source_user: a.user.clone(),
            line: entry.line,
            sealed_credentials: Some(credentials::seal(deps, id, a).await?),
            details: credentials::details_of(a, check),
        });
    }
    Ok((records, checked))
}

/// Schedule the end of the credentials' retention period: unless the final pass purges them first, the job is
/// then cancelled and they are purged.
pub(super) async fn expire_later(
    deps: &(impl HasSchedules + HasClock + HasSettings),
    job: &JobId,
) -> Result<(), StageError> {
    let retention = chrono::Duration::from_std(deps.settings().credential_retention).unwrap_or(chrono::Duration::MAX);
    let at = deps.clock().now().checked_add_signed(retention).unwrap_or(DateTime::<Utc>::MAX_UTC);
    let input = ScheduleInput { job: job.clone(), pass: Pass::Initial, action: ScheduleAction::Expire };
    let input = serde_json::to_string(&input).unwrap_or_default();
    deps.schedules()
        .schedule_at(&super::end::expiry_name(job), at, &input)
        .await
        .map_err(StageError::port("schedule credential expiry"))
}

/// A file with errors: the report, a failed job, the CSV deleted; nothing else is stored.
pub(super) async fn reject(
    deps: &(impl HasStore + HasBlobs),
    job: &mut Job,
    key: &str,
    kind: Option<String>,
    problems: &[Problem],
) -> Result<UploadOutcome, StageError> {
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let summary = format!("{errors} error(s): nothing will be created or migrated");
    let report = report::write(deps, &job.id, key, kind, &summary, problems, &[]).await?;
    job.status = JobStatus::Failed;
    create(deps, job).await?;
    deps.blobs().delete(key).await.map_err(StageError::port("delete upload"))?;
    tracing::info!(job = %job.id, errors, "upload rejected");
    Ok(UploadOutcome::Rejected { job: job.id.clone(), report, errors })
}

pub(super) async fn create(deps: &impl HasStore, job: &Job) -> Result<(), StageError> {
    match deps.store().create_job(job).await {
        Ok(()) | Err(crate::ports::PortError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(StageError::Port { op: "store job", source: e }),
    }
}
