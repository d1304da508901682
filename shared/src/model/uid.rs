//! IMAP message identifiers (RFC 3501 §2.3.1.1): a UID is a non-zero 32-bit number that only grows within one
//! UIDVALIDITY; UIDVALIDITY itself is non-zero. Zero is unrepresentable here, so "no UID yet" is an `Option`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU32;

/// A message's unique identifier within a folder (RFC 3501 §2.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uid(NonZeroU32);

impl Uid {
    /// The first UID a folder hands out (1).
    pub const FIRST: Uid = Uid(NonZeroU32::MIN);

    /// `None` for 0, which is not a UID.
    pub fn new(value: u32) -> Option<Self> {
        NonZeroU32::new(value).map(Uid)
    }

    /// The numeric value, never 0.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A folder's UIDVALIDITY (RFC 3501 §2.3.1.1): when it changes, every UID learnt before is meaningless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UidValidity(NonZeroU32);

impl UidValidity {
    /// `None` for 0, which servers must not send.
    pub fn new(value: u32) -> Option<Self> {
        NonZeroU32::new(value).map(UidValidity)
    }

    /// The numeric value, never 0.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for UidValidity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_not_a_uid() {
        assert!(Uid::new(0).is_none());
        assert!(UidValidity::new(0).is_none());
        assert_eq!(Uid::new(7).map(Uid::get), Some(7));
        assert_eq!(serde_json::to_string(&Uid::new(42)).unwrap(), "42");
        assert!(serde_json::from_str::<Uid>("0").is_err());
    }
}
