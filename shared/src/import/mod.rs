//! The import: creating domains, mailboxes (with quota) and aliases on the destination platform from a validated
//! import file. `reconcile` compares the plan with what the destination holds; `hash` turns plain passwords into
//! Dovecot hashes; the directory homes (`passwd_file`, and PostgreSQL with the PostfixAdmin schema) sit behind the
//! [`Directory`] port. [`import`] ties them together: read, reconcile, and only when nothing is wrong, hash and
//! write everything at once.

pub mod hash;
pub mod passwd_file;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod reconcile;
#[cfg(test)]
mod reconcile_tests;
pub mod usage;

use crate::csv::Problem;
use crate::model::ProvisionPlan;
use crate::ports::{Directory, PortError};
use reconcile::{Mode, RowOutcome, reconcile};
use std::collections::BTreeSet;

/// What an import did (or, in a dry run or with problems, would do).
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub rows: Vec<RowOutcome>,
    /// Any problem means nothing was written.
    pub problems: Vec<Problem>,
    /// Whether changes were written.
    pub applied: bool,
}

/// How many rows an import created, updated and left unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl ImportReport {
    /// The rows counted by what happened to them.
    pub fn counts(&self) -> RowCounts {
        let mut c = RowCounts::default();
        for r in &self.rows {
            match r.action {
                reconcile::Action::Create => c.created += 1,
                reconcile::Action::Update { .. } => c.updated += 1,
                reconcile::Action::Unchanged => c.unchanged += 1,
            }
        }
        c
    }
}

/// Every domain a plan touches, in ASCII.
fn domains_of(plan: &ProvisionPlan) -> Vec<String> {
    let mut set = BTreeSet::new();
    set.extend(plan.domains.iter().map(|d| d.domain.ascii().to_string()));
    set.extend(plan.mailboxes.iter().map(|m| m.address.domain().ascii().to_string()));
    set.extend(plan.aliases.iter().map(|a| a.address.domain().ascii().to_string()));
    set.into_iter().collect()
}

/// Import `plan` into `directory`. With `dry_run`, or when any row has a problem, nothing is written.
pub async fn import(
    plan: &ProvisionPlan,
    directory: &dyn Directory,
    mode: Mode,
    dry_run: bool,
) -> Result<ImportReport, PortError> {
    let existing = directory.existing(&domains_of(plan)).await?;
    let r = reconcile(plan, &existing, mode);
    let mut report = ImportReport { rows: r.rows, problems: r.problems, applied: false };
    if dry_run || !report.problems.is_empty() || r.changes.is_empty() {
        return Ok(report);
    }
    // Hashing is CPU- and memory-bound (Argon2id, 19 MiB each): one thread per core, off the async threads.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let specs: Vec<_> = r.changes.create_mailboxes.iter().map(|m| (m.address.key(), m.password.clone())).collect();
    let passwords = tokio::task::spawn_blocking(move || hash::stored_forms(&specs, cores))
        .await
        .map_err(|e| PortError::backend("hash passwords", false, e))?
        .map_err(|e| PortError::backend("hash passwords", false, e))?;
    directory.apply(&r.changes, &passwords).await?;
    report.applied = true;
    Ok(report)
}
