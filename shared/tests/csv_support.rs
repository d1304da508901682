//! Helpers shared by the CSV contract tests (included with `mod csv_support;`).
#![allow(dead_code)]

use mailferry::csv::{Options, Validation, validate};

/// Validate text with default options.
pub fn check(text: &str) -> Validation {
    check_with(text, &Options::default())
}

/// Validate text with options.
pub fn check_with(text: &str, options: &Options) -> Validation {
    validate(text.as_bytes(), options).expect("readable")
}

/// Assert the file is rejected and has exactly this error (line, column as named in the file, message).
pub fn assert_error(v: &Validation, line: u64, column: Option<&str>, message: &str) {
    assert!(v.plan.is_none(), "a file with errors must yield no plan");
    let hit = v
        .problems
        .iter()
        .any(|p| p.is_error() && p.line == line && p.column.as_deref() == column && p.message == message);
    assert!(hit, "expected error at line {line}, column {column:?}: {message}\nbut got:\n{:#?}", v.problems);
}

/// Assert the file is accepted with this warning.
pub fn assert_warning(v: &Validation, line: u64, column: Option<&str>, message: &str) {
    let hit = v
        .problems
        .iter()
        .any(|p| !p.is_error() && p.line == line && p.column.as_deref() == column && p.message == message);
    assert!(hit, "expected warning at line {line}, column {column:?}: {message}\nbut got:\n{:#?}", v.problems);
}

/// Declare a test that validates `$input` and expects one exact error.
#[macro_export]
macro_rules! bad {
    ($name:ident, $input:expr, $line:expr, $col:expr, $msg:expr) => {
        #[test]
        fn $name() {
            let v = csv_support::check(&$input);
            csv_support::assert_error(&v, $line, $col, $msg);
        }
    };
}
