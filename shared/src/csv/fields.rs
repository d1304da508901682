//! Parsing single fields into typed values, with messages that say what is wrong and how to fix it. No
//! message quotes the value: in a row whose fields have shifted (a missing or an unquoted delimiter) any cell
//! may hold a password, so the line and the column name the cell instead.

use crate::model::{EmailAddress, Host};

/// An email address, or a message giving the reason.
pub(crate) fn email(value: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(value).map_err(|e| format!("the value is not a valid email address: it {e}"))
}

/// A TCP port from 1 to 65535.
pub(crate) fn port(value: &str) -> Result<u16, String> {
    match value.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err("the value is not a port: use a number from 1 to 65535".to_string()),
    }
}

/// A host name or IP address.
pub(crate) fn host(value: &str) -> Result<Host, String> {
    Host::parse(value).map_err(|why| format!("the value is not a valid server name: it {why}"))
}

/// One of a fixed set of words (case-insensitive); `accepted` lists (word, value) including synonyms, and
/// `canonical` is what the message offers.
pub(crate) fn choice<T: Copy>(value: &str, accepted: &[(&str, T)], canonical: &str) -> Result<T, String> {
    let v = value.trim().to_lowercase();
    accepted
        .iter()
        .find(|(word, _)| *word == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("the value is not one of: {canonical}"))
}

/// A whole number (for quotas and limits), with a hint when a unit was written.
pub(crate) fn count(value: &str, unit_hint: &str) -> Result<u64, String> {
    value.parse::<u64>().map_err(|_| {
        let has_unit = value.chars().any(|c| c.is_ascii_alphabetic()) && value.chars().any(|c| c.is_ascii_digit());
        if has_unit {
            format!("the value is not a whole number; write the number only, {unit_hint}")
        } else {
            format!("the value is not a whole number {unit_hint}")
        }
    })
}

/// Split a list cell: patterns and targets are separated by `|` (and, for targets, also `,` `;` or blanks).
pub(crate) fn list(value: &str, separators: &[char]) -> Vec<String> {
    value.split(separators).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// The `provider` / `oauth_provider` column's words (shared by the account and its credentials).
pub(crate) const PROVIDER: &[(&str, crate::model::Provider)] = &[
    ("imap", crate::model::Provider::Imap),
    ("gmail", crate::model::Provider::Gmail),
    ("google", crate::model::Provider::Gmail),
    ("office365", crate::model::Provider::Office365),
    ("microsoft365", crate::model::Provider::Office365),
    ("m365", crate::model::Provider::Office365),
    ("exchange", crate::model::Provider::Exchange),
];
