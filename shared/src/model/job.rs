//! Jobs and their mailboxes as they are stored: what the job/mailbox store holds and the stages read.

use super::{JobId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Create domains, mailboxes and aliases on the destination.
    Import,
    /// Copy mail from source accounts into destination mailboxes.
    Migration,
}

/// Which copy pass: the first full copy, the final one after the MX change, or a later one over chosen
/// mailboxes (`mailferry retry`: the failed or refused ones, perhaps with corrected credentials; or all of them
/// again after the final pass). Stored and shown as `initial`, `final`, `extra-N` (N from 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Pass {
    #[default]
    Initial,
    Final,
    /// Round N of the job's later passes; its mailboxes are those whose [`MailboxDetails::round`] is N.
    Extra(u32),
    /// The N-th catch-up pass (from 1): every mailbox, new mail and flag changes, between the first pass and the
    /// final one, on the job's catch-up schedule.
    CatchUp(u32),
}

impl fmt::Display for Pass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pass::Initial => f.write_str("initial"),
            Pass::Final => f.write_str("final"),
            Pass::Extra(n) => write!(f, "extra-{n}"),
            Pass::CatchUp(n) => write!(f, "catch-up-{n}"),
        }
    }
}

impl From<Pass> for String {
    fn from(p: Pass) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Pass {
    type Error = String;

    /// The inverse of `Display`.
    fn try_from(s: String) -> Result<Pass, String> {
        match s.as_str() {
            "initial" => Ok(Pass::Initial),
            "final" => Ok(Pass::Final),
            other => {
                let number = |prefix: &str, least: u32| {
                    other.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok()).filter(|n| *n >= least)
                };
                number("extra-", 2)
                    .map(Pass::Extra)
                    .or_else(|| number("catch-up-", 1).map(Pass::CatchUp))
                    .ok_or_else(|| format!("unknown pass {other:?}: initial, final, extra-N or catch-up-N"))
            }
        }
    }
}

/// Where a job stands. Transitions are compare-and-set in the store, so two workers never both move a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// The file was read and every check passed; nothing copied yet.
    Validated,
    /// A pass is scheduled.
    Scheduled,
    /// A pass is running.
    Running,
    /// The initial pass finished; waiting for the MX change and the final pass.
    InitialDone,
    /// The final pass finished; credentials purged.
    Complete,
    /// Stopped by a permanent error.
    Failed,
    /// Stopped by the operator, or because its credentials reached the end of their retention period; the
    /// credentials are purged.
    Cancelled,
}

impl JobStatus {
    /// The stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Validated => "validated",
            JobStatus::Scheduled => "scheduled",
            JobStatus::Running => "running",
            JobStatus::InitialDone => "initial_done",
            JobStatus::Complete => "complete",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for JobStatus {
    type Err = String;

    /// The inverse of [`JobStatus::as_str`].
    fn from_str(s: &str) -> Result<Self, String> {
        [
            JobStatus::Validated,
            JobStatus::Scheduled,
            JobStatus::Running,
            JobStatus::InitialDone,
            JobStatus::Complete,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
        .ok_or_else(|| format!("unknown job status {s:?}"))
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub tenant: TenantId,
    pub kind: JobKind,
    pub status: JobStatus,
    /// Who receives the notifications.
    pub operator_email: Option<String>,
    /// The uploaded file's name (for reports), never its content.
    pub source_file: String,
    pub created_at: DateTime<Utc>,
    /// Catch-up passes after the first pass, until the final one is scheduled (or `max` of them ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<CatchUp>,
    /// The new platform's MX hosts, for the cutover assistant (`migrate --new-mx`, metadata `new-mx`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_mx: Vec<super::cutover::MxPattern>,
}

/// A job's catch-up schedule: a pass over every mailbox `every_secs` after the pass before ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatchUp {
    pub every_secs: u64,
    /// At most this many (none: until the final pass is scheduled).
    pub max: Option<u32>,
}

/// A period as people write it: `45s`, `30m` (or `30min`), `6h`, `1d`; in seconds, from 1 s to 30 days.
pub fn parse_period(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = match t[digits.len()..].trim().to_ascii_lowercase().as_str() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit).filter(|s| (1..=30 * 86_400).contains(s))
}

impl CatchUp {
    /// `every` as [`parse_period`] reads it; `max` a count from 1.
    pub fn parse(every: &str, max: Option<&str>) -> Result<CatchUp, String> {
        let t = every.trim();
        let every_secs = parse_period(t).ok_or_else(|| format!("{t:?} is not a period like 6h, 30m, 45s or 1d"))?;
        let max = match max.map(str::trim) {
            None | Some("") => None,
            Some(m) => Some(m.parse::<u32>().ok().filter(|m| *m >= 1).ok_or_else(|| format!("{m:?} is not a count"))?),
        };
        Ok(CatchUp { every_secs, max })
    }
}

/// One mailbox of a migration job as stored. Credentials are only ever here sealed (see `SecretBox`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRecord {
    pub job: JobId,
    /// The destination address: the mailbox's key within the job (stored as text, read back checked).
    pub address: super::EmailAddress,
    /// `host:port` of the source, for reports.
    pub source: String,
    /// The source login name.
    pub source_user: String,
    /// The CSV line the mailbox came from, for reports.
    pub line: u64,
    /// Sealed credentials; `None` once purged.
    pub sealed_credentials: Option<super::Sealed>,
    /// How to reach and log in to the source, and what the pre-flight found (no secret in here).
    #[serde(default)]
    pub details: MailboxDetails,
}

/// The non-secret half of a source account, as stored with the mailbox, and what the pre-flight check found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxDetails {
    pub host: String,
    pub port: u16,
    pub security: Option<super::Security>,
    pub auth: Option<super::AuthKind>,
    /// The master/admin user, for `auth = master`.
    pub master_user: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// See `SourceAccount::gmail_single_copy`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gmail_single_copy: bool,
    pub preflight: Option<Preflight>,
    /// Folder paths the copy planned (the union over passes), for progress.
    pub folders: Vec<String>,
    /// The latest later pass (`Pass::Extra`) this mailbox takes part in; 0 when none.
    #[serde(default)]
    pub round: u32,
    /// Folders found renamed on the source between passes (and renamed on the destination to match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<FolderRename>,
}

/// A folder renamed on the source, found in `pass` (source paths).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderRename {
    pub from: String,
    pub to: String,
    pub pass: Pass,
}

/// What the live check of a source account found before anything was scheduled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preflight {
    /// Why the account cannot be migrated; `None` when it can.
    pub problem: Option<String>,
    /// Folders that will be copied and the messages in them.
    pub folders: u32,
    pub messages: u64,
    /// Their size in octets, where the source reports it (`STATUS=SIZE`).
    #[serde(default)]
    pub bytes: Option<u64>,
}

impl MailboxRecord {
    /// Whether the pre-flight check passed (a mailbox that failed it is reported and never copied).
    pub fn ready(&self) -> bool {
        self.details.preflight.as_ref().is_some_and(|p| p.problem.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::Pass;

    #[test]
    fn passes_are_stored_as_their_names() {
        for (pass, name) in
            [(Pass::Initial, "\"initial\""), (Pass::Final, "\"final\""), (Pass::Extra(3), "\"extra-3\"")]
        {
            assert_eq!(serde_json::to_string(&pass).unwrap(), name);
            assert_eq!(serde_json::from_str::<Pass>(name).unwrap(), pass);
        }
        for bad in ["\"extra-1\"", "\"extra-x\"", "\"Final\"", "\"retry\""] {
            assert!(serde_json::from_str::<Pass>(bad).is_err(), "{bad}");
        }
    }
}
