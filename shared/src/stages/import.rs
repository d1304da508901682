//! The upload stage's import branch: a valid import file under `imports/<tenant>/` is applied to the deployment's
//! directory (all or nothing), its rows listed in `reports/<job>/import.csv`, and what it created recorded in
//! the usage ledger. The job ends `complete`, or `failed` with every problem in the validation report.

use super::holds::{HasBlobs, HasClock, HasDirectory, HasDomains, HasUsage};
use super::report;
use super::{StageError, tenancy};
use crate::csv::Problem;
use crate::import::reconcile::{Action, Mode};
use crate::import::usage::{ImportContext, records_of};
use crate::import::{ImportReport, import};
use crate::model::{Job, JobStatus, ProvisionPlan};

/// What applying an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Problems found against the destination (then nothing was written).
    pub problems: usize,
}

pub(crate) fn rows_csv(r: &ImportReport) -> String {
    let mut csv = String::from("line,kind,key,action\n");
    for row in &r.rows {
        let action = match &row.action {
            Action::Create => "created",
            Action::Unchanged => "already exists, unchanged",
            Action::Update { .. } => "updated",
        };
        csv.push_str(&format!("{},{},{},{action}\n", row.line, row.kind, report::cell(&row.key)));
    }
    csv
}

/// Apply `plan` for `job` (whose status is set to the outcome), recording usage as done `by` (`upload:KEY`,
/// `panel:OPERATOR`). `None` when no directory is configured.
pub(crate) async fn apply(
    deps: &(impl HasBlobs + HasClock + HasDirectory + HasUsage + HasDomains),
    job: &mut Job,
    plan: &ProvisionPlan,
    file_key: &str,
    by: &str,
    kind: Option<String>,
    warnings: &[Problem],
) -> Result<Option<(Applied, String)>, StageError> {
    let Some(directory) = deps.directory().as_ref() else { return Ok(None) };
    let refused = tenancy::check_and_claim_import(deps, &job.tenant, plan, directory.as_ref()).await?;
    let outcome = if refused.is_empty() {
        import(plan, directory.as_ref(), Mode::CreateOnly, false).await.map_err(StageError::port("import accounts"))?
    } else {
        ImportReport { rows: Vec::new(), problems: refused, applied: false }
    };
    let mut all: Vec<Problem> = warnings.to_vec();
    all.extend(outcome.problems.iter().cloned());
    let counts = outcome.counts();
    let applied = Applied {
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        problems: outcome.problems.len(),
    };
    let summary = if outcome.problems.is_empty() {
        format!("imported: {} created, {} unchanged", applied.created, applied.unchanged)
    } else {
        format!("{} problem(s) against the destination: nothing was created", outcome.problems.len())
    };
    let report = report::write(deps, &job.id, file_key, kind, &summary, &all, &[]).await?;
    deps.blobs()
        .put(&format!("reports/{}/import.csv", job.id), rows_csv(&outcome).into_bytes(), "text/csv")
        .await
        .map_err(StageError::port("write report"))?;
    let ctx = ImportContext {
        tenant: job.tenant.clone(),
        at: deps.clock().now(),
        by: by.to_string(),
        source_file: job.source_file.clone(),
    };
    deps.usage().record(&records_of(&outcome, plan, &ctx)).await.map_err(StageError::port("record usage"))?;
    job.status = if outcome.problems.is_empty() { JobStatus::Complete } else { JobStatus::Failed };
    Ok(Some((applied, report)))
}
