//! Reconciling an import plan with what the destination already holds, before anything is written: a pure
//! function, so every rule is tested without a server. Each row ends as "create", "unchanged", "update" (only in
//! update mode) or a problem; any problem (an unknown domain, an alias colliding with a mailbox, a domain over its
//! limit, an alias loop, a row that differs from what exists) means nothing is created at all.
//!
//! Passwords of existing mailboxes are never compared or changed by an import (a plain password hashes
//! differently every time); update mode changes quota, display name, domain limits and alias targets.

use crate::csv::Problem;
use crate::model::ProvisionPlan;
pub use crate::model::directory::{Changes, Existing, ExistingDomain, ExistingMailbox};
use std::collections::{BTreeMap, BTreeSet};

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

/// Compare `plan` with `existing` under `mode`: domains first (the others need to know which exist), then
/// mailboxes, aliases, alias loops and the domains' limits.
pub fn reconcile(plan: &ProvisionPlan, existing: &Existing, mode: Mode) -> Reconciled {
    let mut w = Work {
        r: Reconciled::default(),
        mode,
        domains: existing.domains.clone(),
        mailbox_keys: existing.mailboxes.keys().cloned().collect(),
        per_domain: BTreeMap::new(),
    };
    for key in existing.mailboxes.keys() {
        w.per_domain.entry(key.rsplit('@').next().unwrap_or_default().to_string()).or_default().0 += 1;
    }
    for key in existing.aliases.keys() {
        w.per_domain.entry(key.rsplit('@').next().unwrap_or_default().to_string()).or_default().1 += 1;
    }
    w.domains(plan, existing);
    w.mailboxes(plan, existing);
    w.aliases(plan, existing);
    w.limits(plan);
    w.r.problems.sort_by_key(|p| p.line);
    w.r
}

/// A reconciliation under way: the outcome so far, and what the destination will hold once it is applied.
struct Work {
    r: Reconciled,
    mode: Mode,
    /// Existing domains, and the file's as they will be.
    domains: BTreeMap<String, ExistingDomain>,
    /// Every mailbox address (key) there will be.
    mailbox_keys: BTreeSet<String>,
    /// Mailboxes and aliases per domain there will be.
    per_domain: BTreeMap<String, (u32, u32)>,
}

impl Work {
    /// A row that differs from what exists: an update in update mode (true), else a conflict.
    fn differ(&mut self, line: u64, kind: &'static str, key: String, what: String) -> bool {
        if self.mode == Mode::Update {
            self.r.rows.push(RowOutcome { line, kind, key, action: Action::Update { what } });
            true
        } else {
            self.r.problems.push(Problem::row_error(
                line,
                format!("conflict: {kind} {key} already exists with {what}; import with update mode to change it"),
            ));
            false
        }
    }

    fn row(&mut self, line: u64, kind: &'static str, key: String, action: Action) {
        self.r.rows.push(RowOutcome { line, kind, key, action });
    }

    /// Whether a row's domain exists or is created by the file (a problem when not).
    fn known(&mut self, line: u64, kind: &str, domain: &str) -> bool {
        let ok = self.domains.contains_key(domain);
        if !ok {
            self.r.problems.push(Problem::row_error(
                line,
                format!("the {kind}'s domain {domain} neither exists on the destination nor is created by this file"),
            ));
        }
        ok
    }

    fn domains(&mut self, plan: &ProvisionPlan, existing: &Existing) {
        for d in &plan.domains {
            let key = d.domain.ascii().to_string();
            let wanted =
                ExistingDomain { max_mailboxes: d.max_mailboxes, max_aliases: d.max_aliases, quota_mb: d.quota_mb };
            match existing.domains.get(&key) {
                None => {
                    self.row(d.line, "domain", key.clone(), Action::Create);
                    self.r.changes.create_domains.push(d.clone());
                }
                Some(e) if *e == wanted => self.row(d.line, "domain", key.clone(), Action::Unchanged),
                Some(e) => {
                    let what = format!(
                        "max_mailboxes {} (file: {}), max_aliases {} (file: {})",
                        limit(e.max_mailboxes),
                        limit(d.max_mailboxes),
                        limit(e.max_aliases),
                        limit(d.max_aliases)
                    );
                    if self.differ(d.line, "domain", key.clone(), what) {
                        self.r.changes.update_domains.push(d.clone());
                    }
                }
            }
            self.domains.insert(key, wanted);
        }
    }

    fn mailboxes(&mut self, plan: &ProvisionPlan, existing: &Existing) {
        for m in &plan.mailboxes {
            let (key, domain) = (m.address.key(), m.address.domain().ascii().to_string());
            if !self.known(m.line, "mailbox", &domain) {
                continue;
            }
            if existing.aliases.contains_key(&key) {
                let text = format!("{key} already exists on the destination as an alias");
                self.r.problems.push(Problem::row_error(m.line, text));
                continue;
            }
            match existing.mailboxes.get(&key) {
                None => {
                    self.per_domain.entry(domain).or_default().0 += 1;
                    self.mailbox_keys.insert(key.clone());
                    self.row(m.line, "mailbox", key, Action::Create);
                    self.r.changes.create_mailboxes.push(m.clone());
                }
                Some(e) if e.quota_mb == m.quota_mb && e.display_name == m.display_name => {
                    self.row(m.line, "mailbox", key, Action::Unchanged)
                }
                Some(e) => {
                    let what = format!(
                        "quota {} MB (file: {} MB), display name {:?} (file: {:?})",
                        e.quota_mb, m.quota_mb, e.display_name, m.display_name
                    );
                    if self.differ(m.line, "mailbox", key, what) {
                        self.r.changes.update_mailboxes.push(m.clone());
                    }
                }
            }
        }
    }

    /// The aliases, then any loop they would make with the ones that exist.
    fn aliases(&mut self, plan: &ProvisionPlan, existing: &Existing) {
        let mut graph: BTreeMap<String, Vec<String>> = existing.aliases.clone();
        for a in &plan.aliases {
            let (key, domain) = (a.address.key(), a.address.domain().ascii().to_string());
            if !self.known(a.line, "alias", &domain) {
                continue;
            }
            if self.mailbox_keys.contains(&key) {
                let text = format!("{key} is a mailbox; an alias cannot have its address");
                self.r.problems.push(Problem::row_error(a.line, text));
                continue;
            }
            let targets: Vec<String> = a.targets.iter().map(|t| t.key()).collect();
            match existing.aliases.get(&key) {
                None => {
                    self.per_domain.entry(domain).or_default().1 += 1;
                    self.row(a.line, "alias", key.clone(), Action::Create);
                    self.r.changes.create_aliases.push(a.clone());
                }
                Some(e) if sorted(e) == sorted(&targets) => self.row(a.line, "alias", key.clone(), Action::Unchanged),
                Some(e) => {
                    let what = format!("targets {} (file: {})", e.join(", "), targets.join(", "));
                    if self.differ(a.line, "alias", key.clone(), what) {
                        self.r.changes.update_aliases.push(a.clone());
                    }
                }
            }
            graph.insert(key, targets);
        }
        for a in &plan.aliases {
            if let Some(cycle) = cycle_from(&graph, &a.address.key()) {
                self.r.problems.push(Problem::row_error(a.line, format!("alias loop: {}", cycle.join(" → "))));
            }
        }
    }

    /// Domain limits, counting what exists and what the file adds.
    fn limits(&mut self, plan: &ProvisionPlan) {
        for (domain, (mailboxes, aliases)) in &self.per_domain {
            let Some(d) = self.domains.get(domain) else { continue };
            let line = plan.domains.iter().find(|s| s.domain.ascii() == domain).map_or(1, |s| s.line);
            if let Some(max) = d.max_mailboxes.filter(|max| mailboxes > max) {
                let text = format!("domain {domain} would hold {mailboxes} mailboxes; its limit is {max}");
                self.r.problems.push(Problem::row_error(line, text));
            }
            if let Some(max) = d.max_aliases.filter(|max| aliases > max) {
                let text = format!("domain {domain} would hold {aliases} aliases; its limit is {max}");
                self.r.problems.push(Problem::row_error(line, text));
            }
        }
    }
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
