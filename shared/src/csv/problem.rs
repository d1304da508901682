//! Problems found in an uploaded file: where (line and column) and what, in words a non-programmer
//! understands. Messages never contain the value of a secret column.

use serde::Serialize;
use std::fmt;

/// How bad a problem is: any error means the file creates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem at one place in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line in the file (a quoted field spanning lines counts from the record's first line).
    pub line: u64,
    /// The column as named in the file's header (or the field's role in headerless formats); `None` for a
    /// problem with the whole row or file.
    pub column: Option<String>,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    /// An error about one field.
    pub fn error(line: u64, column: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { line, column: Some(column.into()), severity: Severity::Error, message: message.into() }
    }

    /// An error about a whole row (or the whole file, at its first line).
    pub fn row_error(line: u64, message: impl Into<String>) -> Self {
        Problem { line, column: None, severity: Severity::Error, message: message.into() }
    }

    /// A warning about one field or column.
    pub fn warning(line: u64, column: Option<String>, message: impl Into<String>) -> Self {
        Problem { line, column, severity: Severity::Warning, message: message.into() }
    }

    /// True for errors (which block the whole file).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.column {
            Some(c) => write!(f, "line {}, column {c}: {level}: {}", self.line, self.message),
            None => write!(f, "line {}: {level}: {}", self.line, self.message),
        }
    }
}

/// Quote a user's value for a message, shortened so a runaway field cannot flood a report.
pub(crate) fn shown(value: &str) -> String {
    let mut s: String = value.chars().take(60).collect();
    if value.chars().count() > 60 {
        s.push('…');
    }
    format!("\"{s}\"")
}
