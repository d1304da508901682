//! Reconciling an import plan with what the destination already holds, before anything is written: a pure
//! function, so every rule is tested without a server. Each row ends as "create", "unchanged", "update" (only in
//! update mode) or a problem; any problem (an unknown domain, an alias colliding with a mailbox, a domain over its
//! limit, an alias loop, a row that differs from what exists) means nothing is created at all.
//!
//! Passwords of existing mailboxes are never compared or changed by an import (a plain password hashes
//! differently every time); update mode changes quota, display name, domain limits and alias targets.

use crate::csv::Problem;
use crate::model::{AliasSpec, DomainSpec, MailboxSpec, ProvisionPlan};
use std::collections::{BTreeMap, BTreeSet};

/// A domain as it exists on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingDomain {
    pub max_mailboxes: Option<u32>,
    pub max_aliases: Option<u32>,
    pub quota_mb: Option<u64>,
}

/// A mailbox as it exists on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingMailbox {
    pub quota_mb: u64,
    pub display_name: String,
}

/// What the destination holds, keyed by ASCII domain and by [`crate::model::EmailAddress::key`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Existing {
    pub domains: BTreeMap<String, ExistingDomain>,
    pub mailboxes: BTreeMap<String, ExistingMailbox>,
    /// Alias address → its targets (keys).
    pub aliases: BTreeMap<String, Vec<String>>,
}

/// Whether rows that differ from what exists are applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Differences are conflicts (the default).
    #[default]
    CreateOnly,
    /// Differences are applied.
    Update,
}

/// What happens to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Unchanged,
    Update { what: String },
}

/// One row's outcome, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowOutcome {
    pub line: u64,
    /// `domain`, `mailbox` or `alias`.
    pub kind: &'static str,
    pub key: String,
    pub action: Action,
}

/// What to write: the rows to create and to update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub create_domains: Vec<DomainSpec>,
    pub update_domains: Vec<DomainSpec>,
    pub create_mailboxes: Vec<MailboxSpec>,
    pub update_mailboxes: Vec<MailboxSpec>,
    pub create_aliases: Vec<AliasSpec>,
    pub update_aliases: Vec<AliasSpec>,
}

impl Changes {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.create_domains.is_empty()
            && self.update_domains.is_empty()
            && self.create_mailboxes.is_empty()
            && self.update_mailboxes.is_empty()
            && self.create_aliases.is_empty()
            && self.update_aliases.is_empty()
    }
}

/// The outcome: per-row actions, the changes, and the problems (any problem: apply nothing).
#[derive(Clone, Debug, Default)]
pub struct Reconciled {
    pub rows: Vec<RowOutcome>,
    pub changes: Changes,
    pub problems: Vec<Problem>,
}

fn limit(n: Option<u32>) -> String {
    n.map_or("no limit".into(), |n| n.to_string())
}

/// Compare `plan` with `existing` under `mode`.
pub fn reconcile(plan: &ProvisionPlan, existing: &Existing, mode: Mode) -> Reconciled {
    let mut r = Reconciled::default();
    // A row that differs from what exists: an update in update mode (true), else a conflict.
    let differ = |r: &mut Reconciled, line: u64, kind: &'static str, key: String, what: String| {
        if mode == Mode::Update {
            r.rows.push(RowOutcome { line, kind, key, action: Action::Update { what } });
            true
        } else {
            r.problems.push(Problem::row_error(
                line,
                format!("conflict: {kind} {key} already exists with {what}; import with update mode to change it"),
            ));
            false
        }
    };
    // Domains.
    let mut domains: BTreeMap<String, ExistingDomain> = existing.domains.clone();
    for d in &plan.domains {
        let key = d.domain.ascii().to_string();
        let wanted =
            ExistingDomain { max_mailboxes: d.max_mailboxes, max_aliases: d.max_aliases, quota_mb: d.quota_mb };
        match existing.domains.get(&key) {
            None => {
                r.rows.push(RowOutcome { line: d.line, kind: "domain", key: key.clone(), action: Action::Create });
                r.changes.create_domains.push(d.clone());
            }
            Some(e) if *e == wanted => {
                r.rows.push(RowOutcome { line: d.line, kind: "domain", key: key.clone(), action: Action::Unchanged })
            }
            Some(e) => {
                let what = format!(
                    "max_mailboxes {} (file: {}), max_aliases {} (file: {})",
                    limit(e.max_mailboxes),
                    limit(d.max_mailboxes),
                    limit(e.max_aliases),
                    limit(d.max_aliases)
                );
                if differ(&mut r, d.line, "domain", key.clone(), what) {
                    r.changes.update_domains.push(d.clone());
                }
            }
        }
        domains.insert(key, wanted);
    }
    let known = |r: &mut Reconciled, line: u64, kind: &str, domain: &str| {
        let ok = domains.contains_key(domain);
        if !ok {
            r.problems.push(Problem::row_error(
                line,
                format!("the {kind}'s domain {domain} neither exists on the destination nor is created by this file"),
            ));
        }
        ok
    };
    // Mailboxes.
    let mut mailbox_keys: BTreeSet<String> = existing.mailboxes.keys().cloned().collect();
    let mut per_domain: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for key in existing.mailboxes.keys() {
        per_domain.entry(key.rsplit('@').next().unwrap_or_default().to_string()).or_default().0 += 1;
    }
    for key in existing.aliases.keys() {
        per_domain.entry(key.rsplit('@').next().unwrap_or_default().to_string()).or_default().1 += 1;
    }
    for m in &plan.mailboxes {
        let (key, domain) = (m.address.key(), m.address.domain().ascii().to_string());
        if !known(&mut r, m.line, "mailbox", &domain) {
            continue;
        }
        if existing.aliases.contains_key(&key) {
            r.problems.push(Problem::row_error(m.line, format!("{key} already exists on the destination as an alias")));
            continue;
        }
        match existing.mailboxes.get(&key) {
            None => {
                per_domain.entry(domain).or_default().0 += 1;
                mailbox_keys.insert(key.clone());
                r.rows.push(RowOutcome { line: m.line, kind: "mailbox", key, action: Action::Create });
                r.changes.create_mailboxes.push(m.clone());
            }
            Some(e) if e.quota_mb == m.quota_mb && e.display_name == m.display_name => {
                r.rows.push(RowOutcome { line: m.line, kind: "mailbox", key, action: Action::Unchanged })
            }
            Some(e) => {
                let what = format!(
                    "quota {} MB (file: {} MB), display name {:?} (file: {:?})",
                    e.quota_mb, m.quota_mb, e.display_name, m.display_name
                );
                if differ(&mut r, m.line, "mailbox", key, what) {
                    r.changes.update_mailboxes.push(m.clone());
                }
            }
        }
    }
    // Aliases.
    let mut graph: BTreeMap<String, Vec<String>> = existing.aliases.clone();
    for a in &plan.aliases {
        let (key, domain) = (a.address.key(), a.address.domain().ascii().to_string());
        if !known(&mut r, a.line, "alias", &domain) {
            continue;
        }
        if mailbox_keys.contains(&key) {
            r.problems
                .push(Problem::row_error(a.line, format!("{key} is a mailbox; an alias cannot have its address")));
            continue;
        }
        let targets: Vec<String> = a.targets.iter().map(|t| t.key()).collect();
        match existing.aliases.get(&key) {
            None => {
                per_domain.entry(domain).or_default().1 += 1;
                r.rows.push(RowOutcome { line: a.line, kind: "alias", key: key.clone(), action: Action::Create });
                r.changes.create_aliases.push(a.clone());
            }
            Some(e) if sorted(e) == sorted(&targets) => {
                r.rows.push(RowOutcome { line: a.line, kind: "alias", key: key.clone(), action: Action::Unchanged })
            }
            Some(e) => {
                let what = format!("targets {} (file: {})", e.join(", "), targets.join(", "));
                if differ(&mut r, a.line, "alias", key.clone(), what) {
                    r.changes.update_aliases.push(a.clone());
                }
            }
        }
        graph.insert(key, targets);
    }
    for a in &plan.aliases {
        if let Some(cycle) = cycle_from(&graph, &a.address.key()) {
            r.problems.push(Problem::row_error(a.line, format!("alias loop: {}", cycle.join(" → "))));
        }
    }
    // Domain limits, counting what exists and what the file adds.
    for (domain, (mailboxes, aliases)) in &per_domain {
        let Some(d) = domains.get(domain) else { continue };
        let line = plan.domains.iter().find(|s| s.domain.ascii() == domain).map_or(1, |s| s.line);
        if let Some(max) = d.max_mailboxes.filter(|max| mailboxes > max) {
            r.problems.push(Problem::row_error(
                line,
                format!("domain {domain} would hold {mailboxes} mailboxes; its limit is {max}"),
            ));
        }
        if let Some(max) = d.max_aliases.filter(|max| aliases > max) {
            r.problems.push(Problem::row_error(
                line,
                format!("domain {domain} would hold {aliases} aliases; its limit is {max}"),
            ));
        }
    }
    r.problems.sort_by_key(|p| p.line);
    r
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// A path of aliases from `start` back to itself, if there is one.
fn cycle_from(graph: &BTreeMap<String, Vec<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}
