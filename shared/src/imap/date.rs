//! INTERNALDATE (RFC 3501 §9 `date-time`: `"17-Jul-1996 02:44:25 -0700"`, day possibly space-padded). Servers
//! may store only the instant (Dovecot's maildir keeps a UTC timestamp), so dates are compared as instants.

use chrono::{DateTime, FixedOffset};

/// Parse an INTERNALDATE; `None` when it is not one.
pub fn parse_internal_date(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(s.trim(), "%d-%b-%Y %H:%M:%S %z").ok()
}

/// Format an instant as an INTERNALDATE.
pub fn format_internal_date(t: &DateTime<FixedOffset>) -> String {
    t.format("%d-%b-%Y %H:%M:%S %z").to_string()
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
}
