//! A wrapper for passwords and tokens that never shows its content by accident, and wipes it when dropped.

use std::fmt;
use zeroize::Zeroize;

/// A secret value (password, master password, OAuth token).
///
/// `Debug` and `Display` always print `****`, so a secret inside any struct, error or `tracing` field is
/// redacted wherever it is formatted. The only way to the clear text is [`Secret::expose`], which is easy to
/// grep for. There is deliberately no `Serialize`: a secret reaches storage only sealed by a `SecretBox`.
/// When a secret (or any clone of it) is dropped its memory is overwritten with zeros (`zeroize`), so a
/// password does not linger in freed heap memory for a core dump or a later allocation to find.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// What every redacted secret prints as.
pub const REDACTED: &str = "****";

impl<T: Zeroize> Secret<T> {
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

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: Zeroize> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A secret that may be replaced while it is shared (a refresh token that the token endpoint rotates): every
/// clone sees the newest value. Compares by value and prints redacted, like [`Secret`].
#[derive(Clone)]
pub struct SecretCell(std::sync::Arc<std::sync::Mutex<Secret<String>>>);

impl SecretCell {
    pub fn new(value: Secret<String>) -> SecretCell {
        SecretCell(std::sync::Arc::new(std::sync::Mutex::new(value)))
    }

    /// The current value.
    pub fn get(&self) -> Secret<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replace the value (the old one is wiped as it drops).
    pub fn set(&self, value: Secret<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }
}

impl PartialEq for SecretCell {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for SecretCell {}

impl fmt::Debug for SecretCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A sealed secret as stored: opaque text, safe to keep in DynamoDB, SQLite or a report (it says nothing). Made
/// and opened by a `ports::SecretBox`; bound to the context it was sealed for.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sealed(pub String);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
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

    #[test]
    fn dropped_secrets_are_wiped() {
        let mut s = Secret::new("hunter2".to_string());
        let (ptr, len) = (s.expose().as_ptr(), s.expose().len());
        // What Drop does, observed without freeing the buffer: every byte becomes zero.
        s.0.zeroize();
        // SAFETY: the String's buffer is still allocated (zeroize keeps the capacity; `s` is alive).
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        assert!(bytes.iter().all(|&b| b == 0), "{bytes:?}");
    }
}
