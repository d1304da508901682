//! Import checks across rows: a domain declared twice, an address used twice (as mailbox or alias), a mailbox
//! or alias in a domain neither declared in the file nor existing on the destination, and domain limits.

use super::Options;
use super::columns::Columns;
use super::problem::Problem;
use crate::model::{Domain, DomainSpec, EmailAddress, ProvisionPlan};
use std::collections::HashMap;

/// The line of each accepted spec, by position, for cross-row messages; and the valid name of each row that has
/// errors elsewhere.
#[derive(Default)]
pub(crate) struct Lines {
    pub domains: Vec<u64>,
    pub mailboxes: Vec<u64>,
    pub aliases: Vec<u64>,
    pub partial: Vec<Partial>,
}

/// What is valid of a row with errors: its domain name, or its address.
pub(crate) enum Partial {
    Domain(u64, Domain),
    Mailbox(u64, EmailAddress),
    Alias(u64, EmailAddress),
}

/// What an address already stands for, and where.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Use {
    Mailbox,
    Alias,
}

struct Checker<'a> {
    /// Declared domains: line and limits (none for a domain row with errors of its own).
    domains: HashMap<&'a str, (u64, Option<&'a DomainSpec>)>,
    options: &'a Options,
    addresses: HashMap<String, (u64, Use)>,
    counts: HashMap<(&'a str, Use), u32>,
    column: String,
}

/// Run every cross-row check, pushing problems. Rows with errors of their own take part with what of them is
/// valid (`lines.partial`), so a duplicate or an undeclared domain is reported with them, not after a fix.
pub(crate) fn cross_check(
    plan: &ProvisionPlan,
    lines: &'_ Lines,
    cols: &Columns,
    options: &Options,
    problems: &mut Vec<Problem>,
) {
    let mut declared: Vec<(u64, &Domain, Option<&DomainSpec>)> =
        plan.domains.iter().zip(&lines.domains).map(|(d, &line)| (line, &d.domain, Some(d))).collect();
    let mut used: Vec<(u64, &EmailAddress, Use)> = Vec::new();
    used.extend(plan.mailboxes.iter().zip(&lines.mailboxes).map(|(m, &line)| (line, &m.address, Use::Mailbox)));
    used.extend(plan.aliases.iter().zip(&lines.aliases).map(|(a, &line)| (line, &a.address, Use::Alias)));
    for p in &lines.partial {
        match p {
            Partial::Domain(line, d) => declared.push((*line, d, None)),
            Partial::Mailbox(line, a) => used.push((*line, a, Use::Mailbox)),
            Partial::Alias(line, a) => used.push((*line, a, Use::Alias)),
        }
    }
    declared.sort_by_key(|d| d.0);
    used.sort_by_key(|u| u.0);
    let mut domains = HashMap::new();
    for (line, domain, spec) in declared {
        match domains.get(domain.ascii()) {
            Some((first, _)) => problems.push(Problem::error(
                line,
                cols.label("domain"),
                format!("the domain {domain} is already declared on line {first}"),
            )),
            None => {
                domains.insert(domain.ascii(), (line, spec));
            }
        }
    }
    let mut c =
        Checker { domains, options, addresses: HashMap::new(), counts: HashMap::new(), column: cols.label("address") };
    for (line, address, kind) in used {
        c.check(address, kind, line, problems);
    }
    problems.sort_by_key(|p| p.line);
}

impl<'a> Checker<'a> {
    fn check(&mut self, address: &'a EmailAddress, kind: Use, line: u64, problems: &mut Vec<Problem>) {
        let mut error = |message: String| problems.push(Problem::error(line, self.column.clone(), message));
        if let Some(&(first, was)) = self.addresses.get(&address.key()) {
            error(match (kind, was) {
                (Use::Mailbox, _) => format!("the mailbox {address} is already on line {first}"),
                (Use::Alias, Use::Mailbox) => format!(
                    "the alias {address} has the same address as the mailbox on line {first}; an address is either a \
                     mailbox or an alias"
                ),
                (Use::Alias, Use::Alias) => {
                    format!("the alias {address} is already on line {first}")
                }
            });
            return;
        }
        self.addresses.insert(address.key(), (line, kind));
        let domain = address.domain();
        if !self.domains.contains_key(domain.ascii())
            && !self.options.known_domains.contains(domain.ascii())
            && !self.options.domains_checked_later
        {
            error(undeclared(domain));
            return;
        }
        let n = self.counts.entry((domain.ascii(), kind)).or_default();
        *n += 1;
        let Some(&(dline, Some(spec))) = self.domains.get(domain.ascii()) else {
            return;
        };
        let (limit, one, many) = match kind {
            Use::Mailbox => (spec.max_mailboxes, "mailbox", "mailboxes"),
            Use::Alias => (spec.max_aliases, "alias", "aliases"),
        };
        if let Some(max) = limit.filter(|max| *n > *max) {
            let noun = if max == 1 { one } else { many };
            error(format!("the domain {domain} allows at most {max} {noun} (line {dline}); this is {one} number {n}"));
        }
    }
}

fn undeclared(domain: &Domain) -> String {
    format!(
        "the domain {domain} is not declared in this file and does not exist on the destination; add a domain row for \
         it"
    )
}
