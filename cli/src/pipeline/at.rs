//! `--at`: when a pass starts — `now`, a delay (`+30s`, `+5m`, `+2h`) or an RFC 3339 time, never in the past.

use chrono::{DateTime, Utc};

/// Parse `--at`.
pub fn parse_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let usage = "use now, +30s, +5m, +2h, or an RFC 3339 time such as 2026-11-24T22:00:00Z";
    if s == "now" {
        return Ok(now);
    }
    if let Some(rest) = s.strip_prefix('+') {
        let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len()));
        let per = match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => return Err(format!("--at {s:?}: unknown unit {unit:?}; {usage}")),
        };
        let later = n
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(per))
            .and_then(chrono::Duration::try_seconds)
            .and_then(|d| now.checked_add_signed(d));
        return later.ok_or_else(|| format!("--at {s:?}: not a delay mailferry can wait; {usage}"));
    }
    let at = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("--at {s:?}: not a time; {usage}"))?;
    // A minute of grace for the time it took to type the command; an older time is a mistake, not "now".
    if at < now - chrono::Duration::seconds(60) {
        return Err(format!("--at {s:?} is in the past (it is now {}); use now or a later time", now.to_rfc3339()));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::parse_at;

    #[test]
    fn start_times() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
        assert_eq!(parse_at("now", now).unwrap(), now);
        assert_eq!(parse_at("+5m", now).unwrap(), now + chrono::Duration::minutes(5));
        assert_eq!(parse_at("2026-12-01T22:00:00+01:00", now).unwrap().to_rfc3339(), "2026-12-01T21:00:00+00:00");
        let err = parse_at("tomorrow", now).unwrap_err();
        assert!(err.contains("not a time; use now, +30s"), "{err}");
        let err = parse_at("2026-11-29T12:00:00Z", now).unwrap_err();
        assert!(err.contains("is in the past"), "{err}");
        assert!(parse_at("+99999999999999999h", now).unwrap_err().contains("not a delay"));
        assert!(parse_at("+3d", now).unwrap_err().contains("unknown unit \"d\""));
    }
}
