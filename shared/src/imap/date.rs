//! INTERNALDATE (RFC 3501 §9 `date-time`: `"17-Jul-1996 02:44:25 -0700"`, day possibly space-padded). Servers
//! may store only the instant (Dovecot's maildir keeps a UTC timestamp), so dates are compared as instants.
//! A date from a source is untrusted text: it becomes an [`InternalDate`] (parsed) and only that is written
//! back, re-formatted, so no byte of the source's text reaches the destination.

use chrono::{DateTime, FixedOffset};
use std::fmt;

/// Parse an INTERNALDATE; `None` when it is not one.
pub fn parse_internal_date(s: &str) -> Option<DateTime<FixedOffset>> {
    // A date-time is 26 or 27 characters; anything much longer is not one (and not worth parsing).
    if s.len() > 64 {
        return None;
    }
    DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok()
}

/// Format an instant as an INTERNALDATE.
pub fn format_internal_date(t: &DateTime<FixedOffset>) -> String {
    t.format("%d-%b-%Y %H:%M:%S %z").to_string()
}

/// A parsed INTERNALDATE: the instant and the zone it was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InternalDate(DateTime<FixedOffset>);

impl InternalDate {
    /// Parse the text a server sent; `None` when it is not a `date-time`.
    pub fn parse(s: &str) -> Option<InternalDate> {
        parse_internal_date(s).map(InternalDate)
    }

    pub fn new(t: DateTime<FixedOffset>) -> InternalDate {
        InternalDate(t)
    }

    pub fn instant(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

/// The date as written in APPEND: always the 26 characters `dd-Mon-yyyy hh:mm:ss +zzzz` (no quotes).
impl fmt::Display for InternalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_internal_date(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_instant_in_other_zones() {
        let a = parse_internal_date("01-Feb-2020 10:11:12 +0100").unwrap();
        let b = parse_internal_date(" 1-Feb-2020 09:11:12 +0000").unwrap();
        assert_eq!(a, b);
        assert_eq!(format_internal_date(&a), "01-Feb-2020 10:11:12 +0100");
        assert!(parse_internal_date("yesterday").is_none());
    }

    #[test]
    fn only_dates_come_back_out() {
        assert_eq!(
            InternalDate::parse(" 7-Jul-2024 02:44:25 +0200").unwrap().to_string(),
            "07-Jul-2024 02:44:25 +0200"
        );
        for bad in ["01-Feb-2020 10:11:12 +0100\r\nZ1 DELETE INBOX", "01-Feb-2020 10:11:12 +0100\"", "", "x"] {
            assert!(InternalDate::parse(bad).is_none(), "{bad:?}");
        }
    }
}
