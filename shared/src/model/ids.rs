//! Typed identifiers: a job, a tenant. Both end up inside storage keys and S3 paths, so they are restricted to
//! characters that are safe in both (letters, digits, `.`, `_`, `-`), 1 to 64 of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is not valid: use 1 to 64 letters, digits, '.', '_' or '-'")]
pub struct InvalidId {
    kind: &'static str,
    value: String,
}

fn check(kind: &'static str, value: &str) -> Result<(), InvalidId> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && !value.starts_with('.')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(InvalidId { kind, value: value.chars().take(80).collect() }) }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validate and wrap.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                check($kind, &value)?;
                Ok($name(value))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, InvalidId> {
                $name::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// Identifies one migration or import job (for example `job-3f2a…`).
    JobId,
    "job id"
);
id_type!(
    /// Identifies a customer of the operator (the path segment after `migrations/` or `imports/`).
    TenantId,
    "tenant id"
);

impl JobId {
    /// A fresh random job id.
    pub fn generate() -> Self {
        JobId(format!("job-{}", uuid::Uuid::new_v4().simple()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_path_safe() {
        assert!(JobId::new("job-1").is_ok());
        assert!(TenantId::new("acme.example").is_ok());
        assert!(JobId::new("").is_err());
        assert!(JobId::new("a/b").is_err());
        assert!(JobId::new("..").is_err());
        assert!(JobId::new("x".repeat(65)).is_err());
        let e = TenantId::new("a b").unwrap_err().to_string();
        assert_eq!(e, "tenant id \"a b\" is not valid: use 1 to 64 letters, digits, '.', '_' or '-'");
        assert!(JobId::generate().as_str().starts_with("job-"));
    }
}
