//! A tenant acts only on its own domains. Before a migration is stored, every row's destination domain must
//! belong to the uploading tenant; before an import is applied, every domain it declares must be the tenant's or
//! new to the platform (then the tenant claims it, atomically, before anything is created), and every mailbox
//! and alias must be in one of those. Everything else is refused by line, and nothing of the file is used.

use super::StageError;
use super::holds::HasDomains;
use crate::csv::{MigrationEntry, Problem};
use crate::model::{ProvisionPlan, TenantId};
use crate::ports::Directory;
use std::collections::{BTreeMap, BTreeSet};

/// Whose a domain is, from this tenant's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    Own,
    Other,
    Nobody,
}

async fn standing(
    deps: &impl HasDomains,
    tenant: &TenantId,
    domain: &str,
    seen: &mut BTreeMap<String, Standing>,
) -> Result<Standing, StageError> {
    if let Some(s) = seen.get(domain) {
        return Ok(*s);
    }
    let owner = deps.domains().owner(domain).await.map_err(StageError::port("read domain owner"))?;
    let s = match owner {
        Some(t) if &t == tenant => Standing::Own,
        Some(_) => Standing::Other,
        None => Standing::Nobody,
    };
    seen.insert(domain.to_string(), s);
    Ok(s)
}

fn refusal(domain: &str, tenant: &TenantId, s: Standing) -> String {
    match s {
        Standing::Other => format!("the domain {domain} belongs to another tenant; tenant {tenant} cannot use it"),
        _ => format!(
            "the domain {domain} belongs to no tenant: import it as tenant {tenant}, or have the operator assign it \
             (mailferry domains claim {domain} --tenant {tenant})"
        ),
    }
}

/// Problems (by line, column `destination`) for rows migrating into a domain that is not `tenant`'s.
pub(crate) async fn check_migration(
    deps: &impl HasDomains,
    tenant: &TenantId,
    entries: &[MigrationEntry],
) -> Result<Vec<Problem>, StageError> {
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    for e in entries {
        let domain = e.account.destination.domain().ascii().to_string();
        let s = standing(deps, tenant, &domain, &mut seen).await?;
        if s != Standing::Own {
            problems.push(Problem::error(e.line, "destination", refusal(&domain, tenant, s)));
        }
    }
    Ok(problems)
}

/// Check an import plan without claiming anything: the problems (by line), and the domains `tenant` would
/// claim (new to the platform). For a preview; [`check_and_claim_import`] before anything is created.
pub(crate) async fn check_import(
    deps: &impl HasDomains,
    tenant: &TenantId,
    plan: &ProvisionPlan,
    directory: &dyn Directory,
) -> Result<(Vec<Problem>, BTreeSet<String>), StageError> {
    let mut seen = BTreeMap::new();
    let mut problems = Vec::new();
    let declared: Vec<String> = plan.domains.iter().map(|d| d.domain.ascii().to_string()).collect();
    let existing = directory.existing(&declared).await.map_err(StageError::port("read directory"))?;
    let mut to_claim = BTreeSet::new();
    for d in &plan.domains {
        let name = d.domain.ascii();
        match standing(deps, tenant, name, &mut seen).await? {
            Standing::Own => {}
            Standing::Nobody if !existing.domains.contains_key(name) => {
                to_claim.insert(name.to_string());
            }
            s => problems.push(Problem::error(d.line, "domain", refusal(name, tenant, s))),
        }
    }
    let rows =
        plan.mailboxes.iter().map(|m| (m.line, &m.address)).chain(plan.aliases.iter().map(|a| (a.line, &a.address)));
    for (line, address) in rows {
        let domain = address.domain().ascii();
        if declared.iter().any(|d| d == domain) {
            continue; // judged on its domain row
        }
        let s = standing(deps, tenant, domain, &mut seen).await?;
        if s != Standing::Own {
            problems.push(Problem::error(line, "address", refusal(domain, tenant, s)));
        }
    }
    Ok((problems, to_claim))
}

/// Check an import plan; when nothing is wrong, claim its new domains for `tenant` and return no problem.
pub(crate) async fn check_and_claim_import(
    deps: &impl HasDomains,
    tenant: &TenantId,
    plan: &ProvisionPlan,
    directory: &dyn Directory,
) -> Result<Vec<Problem>, StageError> {
    let (mut problems, to_claim) = check_import(deps, tenant, plan, directory).await?;
    if problems.is_empty() {
        for domain in &to_claim {
            if let Err(e) = deps.domains().claim(tenant, domain).await {
                // Another tenant claimed it since it was read: refuse its rows as if it had been theirs.
                tracing::warn!(domain = %domain, error = %e, "domain claimed by another tenant meanwhile");
                let line = plan.domains.iter().find(|d| d.domain.ascii() == domain).map_or(1, |d| d.line);
                problems.push(Problem::error(line, "domain", refusal(domain, tenant, Standing::Other)));
            }
        }
    }
    Ok(problems)
}
