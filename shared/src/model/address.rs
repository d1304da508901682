//! Email addresses and domain names as customers type them, checked the way a mail platform will need them.
//!
//! Local parts follow RFC 5322 dot-atoms (plus UTF-8, RFC 6531); domains may be internationalised and are kept
//! both as typed and in their ASCII (punycode, RFC 5891) form, which is what servers and comparisons use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an address or domain is not acceptable, in words a non-programmer understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("is empty")]
    Empty,
    #[error("has no '@'")]
    NoAt,
    #[error("has more than one '@'")]
    SeveralAt,
    #[error("has nothing before the '@'")]
    EmptyLocal,
    #[error("has more than 64 characters before the '@'")]
    LocalTooLong,
    #[error("has a '.' at the start or end of the part before the '@', or two dots in a row")]
    LocalDots,
    #[error("has a character not allowed before the '@': {0:?}")]
    LocalChar(char),
    #[error("has no domain after the '@'")]
    EmptyDomain,
    #[error("has a domain without a dot ({0})")]
    DomainNoDot(String),
    #[error("has a domain that is not a valid domain name ({0})")]
    DomainInvalid(String),
    #[error("has a domain longer than 253 characters")]
    DomainTooLong,
    #[error("contains a space")]
    Space,
}

/// A domain name, validated; compared in its lower-case ASCII (punycode) form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain {
    ascii: String,
}

impl Domain {
    /// Parse a domain as typed (Unicode or ASCII).
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AddressError::EmptyDomain);
        }
        if input.contains(char::is_whitespace) {
            return Err(AddressError::Space);
        }
        let trimmed = input.strip_suffix('.').unwrap_or(input);
        let ascii = idna::domain_to_ascii(trimmed).map_err(|_| AddressError::DomainInvalid(input.to_string()))?;
        if ascii.len() > 253 {
            return Err(AddressError::DomainTooLong);
        }
        if !ascii.contains('.') {
            return Err(AddressError::DomainNoDot(input.to_string()));
        }
        let labels_ok = ascii.split('.').all(|l| dns_label(l, false));
        let tld_ok = ascii.rsplit('.').next().is_some_and(|t| !t.bytes().all(|b| b.is_ascii_digit()));
        if !labels_ok || !tld_ok {
            return Err(AddressError::DomainInvalid(input.to_string()));
        }
        Ok(Domain { ascii })
    }

    /// The lower-case ASCII form (`xn--…` for internationalised names).
    pub fn ascii(&self) -> &str {
        &self.ascii
    }
}

impl TryFrom<String> for Domain {
    type Error = AddressError;
    fn try_from(value: String) -> Result<Self, AddressError> {
        Domain::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(value: Domain) -> String {
        value.ascii
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

/// An email address: a checked local part and a [`Domain`]. Equality ignores the case of the domain only
/// (local parts are case-sensitive by the RFC, though most platforms fold them: see [`EmailAddress::key`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress {
    local: String,
    domain: Domain,
}

const LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~.";

impl EmailAddress {
    /// Parse an address as typed; surrounding blanks are ignored.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(AddressError::Empty);
        }
        if input.contains(char::is_whitespace) {
            return Err(AddressError::Space);
        }
        let mut parts = input.split('@');
        let local = parts.next().unwrap_or_default();
        let domain = parts.next().ok_or(AddressError::NoAt)?;
        if parts.next().is_some() {
            return Err(AddressError::SeveralAt);
        }
        if local.is_empty() {
            return Err(AddressError::EmptyLocal);
        }
        if local.chars().count() > 64 {
            return Err(AddressError::LocalTooLong);
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(AddressError::LocalDots);
        }
        if let Some(c) = local.chars().find(|c| {
            !(c.is_ascii_alphanumeric()
                || LOCAL_SPECIALS.contains(*c)
                || (!c.is_ascii() && !c.is_control() && !c.is_whitespace()))
        }) {
            return Err(AddressError::LocalChar(c));
        }
        let domain = Domain::parse(domain)?;
        Ok(EmailAddress { local: local.to_string(), domain })
    }

    /// The part before the `@`, as typed.
    pub fn local(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The form used to detect duplicates: local part lower-cased, domain in ASCII. Mail platforms fold case,
    /// so `Ann@x.com` and `ann@X.com` are one mailbox to them.
    pub fn key(&self) -> String {
        format!("{}@{}", self.local.to_lowercase(), self.domain.ascii())
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, AddressError> {
        EmailAddress::parse(s)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = AddressError;
    fn try_from(value: String) -> Result<Self, AddressError> {
        EmailAddress::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.to_string()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Whether `label` is one DNS label of a host name in ASCII: 1 to 63 letters, digits and hyphens, not starting or
/// ending with a hyphen (RFC 1123 §2.1); `underscore` also allows `_` (service names, some MX hosts).
pub(crate) fn dns_label(label: &str, underscore: bool) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || (underscore && b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_international_addresses() {
        let a = EmailAddress::parse(" Ann.Lee+tag@Example.COM ").unwrap();
        assert_eq!(a.to_string(), "Ann.Lee+tag@example.com");
        assert_eq!(a.key(), "ann.lee+tag@example.com");
        let b = EmailAddress::parse("josé@bücher.example").unwrap();
        assert_eq!(b.domain().ascii(), "xn--bcher-kva.example");
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases = [
            ("", AddressError::Empty),
            ("ann.example.com", AddressError::NoAt),
            ("a@b@c.com", AddressError::SeveralAt),
            ("@c.com", AddressError::EmptyLocal),
            ("a..b@c.com", AddressError::LocalDots),
            ("a b@c.com", AddressError::Space),
            ("a(b)@c.com", AddressError::LocalChar('(')),
            ("ann@", AddressError::EmptyDomain),
            ("ann@localhost", AddressError::DomainNoDot("localhost".into())),
            ("ann@-x.com", AddressError::DomainInvalid("-x.com".into())),
            ("ann@1.2.3.4", AddressError::DomainInvalid("1.2.3.4".into())),
        ];
        for (input, want) in cases {
            assert_eq!(EmailAddress::parse(input).unwrap_err(), want, "{input}");
        }
    }
}
