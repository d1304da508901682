//! The validation report of an upload: `reports/<job>/validation.json` (everything) and
//! `reports/<job>/validation.csv` (one problem a line, by line number, for a spreadsheet). Never a secret: CSV
//! problems never quote secret columns, and pre-flight messages carry server words, not credentials.

use super::StageError;
use super::holds::HasBlobs;
use crate::csv::{Problem, Severity};
use crate::model::{JobId, Preflight};
use serde::Serialize;

/// One mailbox's pre-flight outcome, as reported.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct CheckedMailbox {
    pub line: u64,
    pub address: String,
    pub source: String,
    #[serde(flatten)]
    pub preflight: Preflight,
}

#[derive(Serialize)]
struct Report<'a> {
    job: &'a JobId,
    file: &'a str,
    kind: Option<String>,
    valid: bool,
    summary: &'a str,
    problems: &'a [Problem],
    mailboxes: &'a [CheckedMailbox],
}

/// Write both report files; returns the JSON's key.
pub(crate) async fn write(
    deps: &impl HasBlobs,
    job: &JobId,
    file: &str,
    kind: Option<String>,
    summary: &str,
    problems: &[Problem],
    mailboxes: &[CheckedMailbox],
) -> Result<String, StageError> {
    let valid = !problems.iter().any(Problem::is_error);
    let report = Report { job, file, kind, valid, summary, problems, mailboxes };
    let json = serde_json::to_vec_pretty(&report).unwrap_or_default();
    let mut csv = String::from("line,column,severity,message\n");
    let failed = mailboxes.iter().filter_map(|m| {
        m.preflight.problem.as_ref().map(|p| Problem::row_error(m.line, format!("pre-flight check failed: {p}")))
    });
    let mut all: Vec<Problem> = problems.iter().cloned().chain(failed).collect();
    all.sort_by_key(|p| p.line);
    for p in &all {
        let severity = if p.severity == Severity::Error { "error" } else { "warning" };
        csv.push_str(&format!(
            "{},{},{},{}\n",
            p.line,
            cell(p.column.as_deref().unwrap_or("")),
            severity,
            cell(&p.message)
        ));
    }
    let key = format!("reports/{job}/validation.json");
    deps.blobs().put(&key, json, "application/json").await.map_err(StageError::port("write report"))?;
    deps.blobs()
        .put(&format!("reports/{job}/validation.csv"), csv.into_bytes(), "text/csv")
        .await
        .map_err(StageError::port("write report"))?;
    Ok(key)
}

/// A CSV field for a report that will be opened in a spreadsheet: a value starting with `=`, `+`, `-`, `@`, tab
/// or CR would be run as a formula (OWASP "CSV injection"), so it gets a leading `'`; then it is quoted (RFC 4180)
/// when it holds a comma, quote or line break.
pub(crate) fn cell(s: &str) -> String {
    quoted(defused(s))
}

/// The value with a leading `'` when a spreadsheet would run it as a formula (see [`cell`]).
pub(crate) fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

/// The value as one CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
pub(crate) fn quoted(s: String) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_never_become_formulas() {
        assert_eq!(super::cell("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
        assert_eq!(super::cell("+1"), "'+1");
        assert_eq!(super::cell("-2+3"), "'-2+3");
        assert_eq!(super::cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::cell("plain, text"), "\"plain, text\"");
        assert_eq!(super::cell("ann@example.com"), "ann@example.com");
    }
}
