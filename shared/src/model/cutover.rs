//! The cutover assistant's model: which MX hosts are the new platform's (a job setting), what a domain's MX
//! lookup answered, and what was seen of each domain over time, from which it follows when the old records have
//! left every resolver's cache and the final pass may run.
//!
//! A resolver may keep an answer for its TTL (RFC 1035 §3.2.1, §7.3; RFC 2181 §8). The change happened after
//! the last look that still saw the old hosts and before the first look that saw only new ones, so an old
//! answer cached anywhere is gone at the latest `old TTL` after that first new look: that is the safe time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an unknown old TTL is taken to be: a day, the most common resolvers keep any answer (unbound's
/// `cache-max-ttl`, and most zones' TTLs are well below it).
pub const ASSUMED_OLD_TTL: u32 = 86_400;

/// One expected MX host of the new platform: a host name (`mx1.newhost.example`) or every host under a domain
/// (`*.mx.newhost.example`). Lowercase, without the root's trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MxPattern(String);

impl MxPattern {
    /// A host name of DNS labels (letters, digits, `-`, `_`), optionally starting with `*.`.
    pub fn parse(text: &str) -> Result<MxPattern, String> {
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let name = t.strip_prefix("*.").unwrap_or(&t);
        if name.is_empty() || name.len() > 253 || !name.split('.').all(|l| super::address::dns_label(l, true)) {
            return Err(format!("{text:?} is not an MX host name (like mx1.newhost.example or *.newhost.example)"));
        }
        Ok(MxPattern(t))
    }

    /// A comma- or space-separated list (`--new-mx`, metadata `new-mx`); at least one.
    pub fn parse_list(text: &str) -> Result<Vec<MxPattern>, String> {
        let list: Vec<MxPattern> =
            text.split([',', ' ']).filter(|s| !s.trim().is_empty()).map(MxPattern::parse).collect::<Result<_, _>>()?;
        if list.is_empty() {
            return Err("no MX host given".into());
        }
        Ok(list)
    }

    /// Whether `host` (any case, with or without the trailing dot) is this host or under this domain.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match self.0.strip_prefix("*.") {
            Some(domain) => host.strip_suffix(domain).is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
            None => host == self.0,
        }
    }
}

impl TryFrom<String> for MxPattern {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        MxPattern::parse(&s)
    }
}

impl From<MxPattern> for String {
    fn from(p: MxPattern) -> String {
        p.0
    }
}

impl std::fmt::Display for MxPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One MX record: its preference and the exchange host (lowercase, no trailing dot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MxHost {
    pub preference: u16,
    pub host: String,
}

/// What a domain's MX lookup answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MxAnswer {
    /// MX records, sorted by preference, with the TTL they were given with (the smallest of the set).
    Hosts { hosts: Vec<MxHost>, ttl: u32 },
    /// The domain exists but has no MX records (mail would go to its address records, RFC 5321 §5.1).
    NoMx,
    /// The domain does not exist (NXDOMAIN).
    NoDomain,
}

/// Where a domain's mail goes now, as far as its MX records say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pointing {
    /// Every MX host is one of the new platform's.
    New,
    /// No MX host is.
    Old,
    /// Some are, some are not: part of the mail still goes to the old server.
    Mixed,
    NoMx,
    NoDomain,
    /// The lookup failed (timeout, SERVFAIL): nothing is known.
    Unknown,
}

impl Pointing {
    /// Where `answer` points given the new platform's `expected` hosts.
    pub fn of(answer: &MxAnswer, expected: &[MxPattern]) -> Pointing {
        match answer {
            MxAnswer::NoMx => Pointing::NoMx,
            MxAnswer::NoDomain => Pointing::NoDomain,
            MxAnswer::Hosts { hosts, .. } => {
                let new = hosts.iter().filter(|h| expected.iter().any(|p| p.matches(&h.host))).count();
                match new {
                    0 => Pointing::Old,
                    n if n == hosts.len() => Pointing::New,
                    _ => Pointing::Mixed,
                }
            }
        }
    }
}

/// What was seen of one domain across checks (kept in the job's cutover state).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainSeen {
    /// The last answer's hosts and TTL, and where they pointed.
    pub hosts: Vec<MxHost>,
    pub ttl: Option<u32>,
    pub pointing: Option<Pointing>,
    pub checked_at: Option<DateTime<Utc>>,
    /// The largest TTL seen while the records did not point only to the new platform.
    pub old_ttl: Option<u32>,
    /// The last check that still saw an old host (or no MX at all).
    pub old_seen_at: Option<DateTime<Utc>>,
    /// The first check of the current run of checks that saw only new hosts.
    pub new_since: Option<DateTime<Utc>>,
}

impl DomainSeen {
    /// Record the answer of a check at `now`. A failed lookup (`None`) changes nothing but the time.
    pub fn observe(&mut self, now: DateTime<Utc>, answer: Option<&MxAnswer>, expected: &[MxPattern]) {
        self.checked_at = Some(now);
        let Some(answer) = answer else {
            self.pointing = Some(Pointing::Unknown);
            return;
        };
        let pointing = Pointing::of(answer, expected);
        let (hosts, ttl) = match answer {
            MxAnswer::Hosts { hosts, ttl } => (hosts.clone(), Some(*ttl)),
            _ => (Vec::new(), None),
        };
        if pointing == Pointing::New {
            self.new_since.get_or_insert(now);
        } else {
            self.new_since = None;
            self.old_seen_at = Some(now);
            if let Some(t) = ttl {
                self.old_ttl = Some(self.old_ttl.map_or(t, |o| o.max(t)));
            }
        }
        (self.hosts, self.ttl, self.pointing) = (hosts, ttl, Some(pointing));
    }

    /// The old TTL to wait for: the largest seen, else `assumed`; and whether it was assumed.
    pub fn old_ttl_or(&self, assumed: u32) -> (u32, bool) {
        match self.old_ttl {
            Some(t) => (t, false),
            None => (assumed, true),
        }
    }

    /// When the final pass is safe for this domain: `None` while it does not point only to the new platform.
    pub fn safe_at(&self, assumed_old_ttl: u32) -> Option<DateTime<Utc>> {
        let since = self.new_since?;
        let (ttl, _) = self.old_ttl_or(assumed_old_ttl);
        Some(since + Duration::seconds(i64::from(ttl)))
    }
}

/// The cutover assistant's state for one job (a small JSON object in the blob store, `cutover/<job>.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoverState {
    /// The new platform's MX hosts, when given to `cutover` (else the job's `new_mx`).
    #[serde(default)]
    pub new_mx: Vec<MxPattern>,
    /// Ask this name server (e.g. the domains' authoritative one) instead of the system's resolver.
    #[serde(default)]
    pub name_server: Option<std::net::SocketAddr>,
    /// The old records' TTL where it was never seen (the first check already found the new hosts).
    #[serde(default)]
    pub assumed_old_ttl: Option<u32>,
    /// Schedule the final pass once every domain is safe; checking again every `every_secs`.
    #[serde(default)]
    pub final_when_ready: bool,
    #[serde(default)]
    pub every_secs: u64,
    /// When the assistant scheduled the final pass (it then stops watching).
    #[serde(default)]
    pub final_scheduled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub domains: BTreeMap<String, DomainSeen>,
}

impl CutoverState {
    /// The old TTL taken for domains whose old records were never seen.
    pub fn assumed_ttl(&self) -> u32 {
        self.assumed_old_ttl.unwrap_or(ASSUMED_OLD_TTL)
    }

    /// When every domain is safe (the latest of their safe times), or `None` while one is not pointing to the
    /// new platform (or there are no domains).
    pub fn ready_at(&self) -> Option<DateTime<Utc>> {
        let assumed = self.assumed_ttl();
        if self.domains.is_empty() {
            return None;
        }
        self.domains.values().map(|d| d.safe_at(assumed)).collect::<Option<Vec<_>>>()?.into_iter().max()
    }

    /// Whether the assistant is waiting to schedule the final pass.
    pub fn watching(&self) -> bool {
        self.final_when_ready && self.final_scheduled_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(s), 0).unwrap()
    }

    fn mx(hosts: &[&str], ttl: u32) -> MxAnswer {
        let hosts = hosts.iter().map(|h| MxHost { preference: 10, host: h.to_string() }).collect();
        MxAnswer::Hosts { hosts, ttl }
    }

    #[test]
    fn patterns_match_hosts_and_subdomains() {
        let p = MxPattern::parse_list("MX1.New.example., *.mx.new.example").unwrap();
        assert!(p[0].matches("mx1.new.example.") && !p[0].matches("mx2.new.example"));
        assert!(
            p[1].matches("a.mx.new.example") && !p[1].matches("mx.new.example") && !p[1].matches("xmx.new.example")
        );
        for bad in ["", "a..b", "-a.b", "a b", "a/b", "*.", "é.example"] {
            assert!(MxPattern::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MxPattern::parse_list(" , ").is_err());
    }

    #[test]
    fn safe_time_is_the_first_new_look_plus_the_largest_old_ttl() {
        let new = MxPattern::parse_list("mx.new.example").unwrap();
        let mut d = DomainSeen::default();
        d.observe(at(0), Some(&mx(&["mx.old.example"], 300)), &new);
        d.observe(at(10), Some(&mx(&["mx.old.example", "mx.new.example"], 600)), &new);
        assert_eq!((d.pointing, d.safe_at(0)), (Some(Pointing::Mixed), None));
        d.observe(at(20), None, &new); // a failed lookup changes nothing
        d.observe(at(30), Some(&mx(&["mx.new.example"], 60)), &new);
        d.observe(at(40), Some(&mx(&["MX.NEW.EXAMPLE."], 60)), &new);
        assert_eq!((d.old_ttl, d.new_since, d.safe_at(0)), (Some(600), Some(at(30)), Some(at(630))));
        // Pointed back: the wait starts again.
        d.observe(at(50), Some(&mx(&["mx.old.example"], 300)), &new);
        assert_eq!(d.safe_at(0), None);
    }

    #[test]
    fn ready_when_every_domain_is_safe() {
        let new = MxPattern::parse_list("mx.new.example").unwrap();
        let mut s = CutoverState { assumed_old_ttl: Some(100), ..Default::default() };
        assert_eq!(s.ready_at(), None);
        s.domains.entry("a.example".into()).or_default().observe(at(0), Some(&mx(&["mx.new.example"], 5)), &new);
        assert_eq!(s.ready_at(), Some(at(100)), "never seen old: the assumed TTL");
        s.domains.entry("b.example".into()).or_default().observe(at(0), Some(&MxAnswer::NoMx), &new);
        assert_eq!(s.ready_at(), None);
    }
}
