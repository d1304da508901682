//! A wrapper for passwords and tokens that never shows its content by accident.

use std::fmt;

/// A secret value (password, master password, OAuth token).
///
/// `Debug` and `Display` always print `****`, so a secret inside any struct, error or `tracing` field is
/// redacted wherever it is formatted. The only way to the clear text is [`Secret::expose`], which is easy to
/// grep for. There is deliberately no `Serialize`: a secret reaches storage only sealed by a `SecretBox`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

/// What every redacted secret prints as.
pub const REDACTED: &str = "****";

impl<T> Secret<T> {
    /// Wrap a value; from here on it prints as `****`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The clear value, for the one place that must send it (an IMAP login, a seal).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl Secret<String> {
    /// True when the secret is the empty string (a missing password).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?}"), "****");
        assert_eq!(format!("{s}"), "****");
        assert_eq!(format!("{:?}", Some(&s)), "Some(****)");
        assert_eq!(s.expose(), "hunter2");
    }
}
