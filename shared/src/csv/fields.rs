//! Parsing single fields into typed values, with messages that say what is wrong and how to fix it. A secret
//! field's value never enters a message.

use super::problem::shown;
use crate::model::{EmailAddress, Host};

/// An email address, or a message naming the value and the reason.
pub(crate) fn email(value: &str) -> Result<EmailAddress, String> {
    EmailAddress::parse(value).map_err(|e| format!("{} is not a valid email address: it {e}", shown(value)))
}

/// A TCP port from 1 to 65535.
pub(crate) fn port(value: &str) -> Result<u16, String> {
    match value.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!("{} is not a port: use a number from 1 to 65535", shown(value))),
    }
}

/// A host name or IP address.
pub(crate) fn host(value: &str) -> Result<Host, String> {
    Host::parse(value).map_err(|why| format!("{} is not a valid server name: it {why}", shown(value)))
}

/// One of a fixed set of words (case-insensitive); `accepted` lists (word, value) including synonyms, and
/// `canonical` is what the message offers.
pub(crate) fn choice<T: Copy>(value: &str, accepted: &[(&str, T)], canonical: &str) -> Result<T, String> {
    let v = value.trim().to_lowercase();
    accepted
        .iter()
        .find(|(word, _)| *word == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| format!("{} is not one of: {canonical}", shown(value)))
}

/// A whole number (for quotas and limits), with a hint when a unit was written.
pub(crate) fn count(value: &str, unit_hint: &str) -> Result<u64, String> {
    value.parse::<u64>().map_err(|_| {
        let has_unit = value.chars().any(|c| c.is_ascii_alphabetic()) && value.chars().any(|c| c.is_ascii_digit());
        if has_unit {
            format!("{} is not a whole number; write the number only, {unit_hint}", shown(value))
        } else {
            format!("{} is not a whole number {unit_hint}", shown(value))
        }
    })
}

/// Split a list cell: patterns and targets are separated by `|` (and, for targets, also `,` `;` or blanks).
pub(crate) fn list(value: &str, separators: &[char]) -> Vec<String> {
    value.split(separators).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}
