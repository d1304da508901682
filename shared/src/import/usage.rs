//! Usage for billing: the records an import leaves in the ledger (what was created or changed, by whom, when),
//! and the billing export: per day and domain, the mailboxes that existed at the end of that day and the quota
//! they reserve.

use super::ImportReport;
use super::reconcile::Action;
use crate::model::{ProvisionPlan, TenantId};
use crate::ports::{UsageKind, UsageRecord};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Who ran an import, for which tenant, from which file, and when.
#[derive(Clone, Debug)]
pub struct ImportContext {
    pub tenant: TenantId,
    pub at: DateTime<Utc>,
    pub by: String,
    pub source_file: String,
}

/// The records of an applied import: one per created or updated row (unchanged rows leave none).
pub fn records_of(report: &ImportReport, plan: &ProvisionPlan, ctx: &ImportContext) -> Vec<UsageRecord> {
    if !report.applied {
        return Vec::new();
    }
    let quota: BTreeMap<String, u64> = plan.mailboxes.iter().map(|m| (m.address.key(), m.quota_mb)).collect();
    report
        .rows
        .iter()
        .filter_map(|r| {
            let action = match r.action {
                Action::Create => "created",
                Action::Update { .. } => "updated",
                Action::Unchanged => return None,
            };
            let domain = r.key.rsplit('@').next().unwrap_or(&r.key).to_string();
            let kind = UsageKind::of_row(r.kind)?;
            Some(UsageRecord {
                tenant: ctx.tenant.clone(),
                at: ctx.at,
                kind,
                address: r.key.clone(),
                domain,
                quota_mb: quota.get(&r.key).copied().unwrap_or(0),
                action: action.to_string(),
                by: ctx.by.clone(),
                source_file: ctx.source_file.clone(),
            })
        })
        .collect()
}

/// `date,domain,mailboxes,reserved_quota_mb` for every day from the first record to `until` (inclusive), each
/// domain's mailboxes at the end of the day and the sum of their quotas (0 = unlimited is counted as 0).
pub fn billing_csv(records: &[UsageRecord], until: NaiveDate) -> String {
    let mut out = String::from("date,domain,mailboxes,reserved_quota_mb\n");
    let Some(first) = records.iter().map(|r| r.at.date_naive()).min() else { return out };
    let mut mailboxes: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut sorted: Vec<&UsageRecord> = records.iter().filter(|r| r.kind == UsageKind::Mailbox).collect();
    sorted.sort_by_key(|r| r.at);
    let mut next = 0;
    let mut day = first;
    while day <= until {
        while let Some(r) = sorted.get(next).filter(|r| r.at.date_naive() <= day) {
            mailboxes.insert(r.address.clone(), (r.domain.clone(), r.quota_mb));
            next += 1;
        }
        let mut per_domain: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for (domain, quota) in mailboxes.values() {
            let e = per_domain.entry(domain).or_default();
            e.0 += 1;
            e.1 += quota;
        }
        for (domain, (count, quota)) in per_domain {
            out.push_str(&format!("{day},{domain},{count},{quota}\n"));
        }
        let Some(d) = day.succ_opt() else { break };
        day = d;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(day: u32, address: &str, quota_mb: u64, action: &str) -> UsageRecord {
        UsageRecord {
            tenant: TenantId::new("acme").unwrap(),
            at: format!("2026-11-{day:02}T10:00:00Z").parse().unwrap(),
            kind: UsageKind::Mailbox,
            address: address.into(),
            domain: address.rsplit('@').next().unwrap().into(),
            quota_mb,
            action: action.into(),
            by: "ops".into(),
            source_file: "a.csv".into(),
        }
    }

    #[test]
    fn mailboxes_and_quota_per_domain_per_day() {
        let records = [
            rec(20, "a@x.test", 100, "created"),
            rec(21, "b@x.test", 50, "created"),
            rec(22, "a@x.test", 200, "updated"),
        ];
        let csv = billing_csv(&records, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(
            csv,
            "date,domain,mailboxes,reserved_quota_mb\n2026-11-20,x.test,1,100\n2026-11-21,x.test,2,150\n\
             2026-11-22,x.test,2,250\n2026-11-23,x.test,2,250\n"
        );
        assert_eq!(
            billing_csv(&[], NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            "date,domain,mailboxes,reserved_quota_mb\n"
        );
    }
}
