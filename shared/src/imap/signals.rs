//! What providers say when a client must wait, slow down or sign in again, read from their own words (see the
//! field notes) and turned into errors and pauses the engine acts on:
//! - Microsoft 365: `NO Request is throttled. Suggested Backoff Time: N milliseconds` (wait N ms),
//!   `NO Server Unavailable. 15` (the back end is busy);
//! - Gmail: `[THROTTLED]` on OK completions (slow down before it starts refusing) and on NO (wait),
//!   `NO [OVERQUOTA] Account exceeded command or bandwidth limits` on reads (the daily download limit);
//! - `* BYE Session invalidated - AccessTokenExpired` (Microsoft), `* BYE Session expired` (Gmail): the session
//!   ended with its token, sign in again with a fresh one.

use super::{ImapError, Session, TokenSource};
use crate::model::Secret;
use std::sync::Arc;
use std::time::Duration;

/// The wait when a provider throttles without saying for how long.
pub const UNSAID_WAIT: Duration = Duration::from_secs(30);
/// The wait after Gmail's bandwidth limit (`[OVERQUOTA]` on a read); it lifts within hours.
const BANDWIDTH_WAIT: Duration = Duration::from_secs(3600);
/// The longest wait a server's suggestion is believed for.
const MAX_WAIT: Duration = Duration::from_secs(86_400);
/// The pauses `[THROTTLED]` on an OK asks for: from this, doubling, up to the next.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// A NO completion: a provider's throttling (with how long to wait), or a plain refusal.
pub(crate) fn refusal(command: &'static str, text: String, code: Option<String>) -> ImapError {
    match throttle_wait(command, &text, code.as_deref()) {
        Some(wait) => ImapError::Throttled { command, text, wait },
        None => ImapError::No { command, text, code },
    }
}

/// How long the server asks to wait, when its words are a provider's throttling.
pub(crate) fn throttle_wait(command: &str, text: &str, code: Option<&str>) -> Option<Duration> {
    let lower = text.to_ascii_lowercase();
    if let Some(ms) = suggested_backoff_ms(&lower) {
        return Some(Duration::from_millis(ms).min(MAX_WAIT));
    }
    let throttled = code.is_some_and(|c| c.eq_ignore_ascii_case("THROTTLED")) || text.contains("[THROTTLED]");
    if throttled || lower.contains("request is throttled") || lower.contains("server unavailable") {
        return Some(UNSAID_WAIT);
    }
    // OVERQUOTA on an APPEND is a full destination mailbox (RFC 5530); on a read it is Gmail's bandwidth limit.
    let overquota = code.is_some_and(|c| c.eq_ignore_ascii_case("OVERQUOTA")) || text.contains("[OVERQUOTA]");
    (overquota && command != "APPEND" && lower.contains("bandwidth")).then_some(BANDWIDTH_WAIT)
}

/// N from `… suggested backoff time: N milliseconds` (lower case), if it is a number of at most 12 digits.
fn suggested_backoff_ms(lower: &str) -> Option<u64> {
    let rest = lower.split("suggested backoff time:").nth(1)?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 12 || !rest[digits.len()..].trim_start().starts_with("millisecond") {
        return None;
    }
    digits.parse().ok()
}

/// The error for a stream the server closed, after its `* BYE` words if it said any: an expired sign-in, a
/// throttled session, or a plain goodbye.
pub(crate) fn closed(bye: Option<String>) -> ImapError {
    let Some(text) = bye else { return ImapError::Bye { text: "connection closed".into() } };
    let lower = text.to_ascii_lowercase();
    if lower.contains("accesstokenexpired") || lower.contains("token expired") || lower.contains("session expired") {
        return ImapError::SignInExpired { text };
    }
    match throttle_wait("BYE", &text, None) {
        Some(wait) => ImapError::Throttled { command: "BYE", text, wait },
        None => ImapError::Bye { text },
    }
}

/// Note a response's text: Gmail puts `[THROTTLED]` after the text of an OK as well as in the code position.
pub(super) fn note_text(s: &mut Session, text: &str) {
    if text.contains("[THROTTLED]") {
        s.slow_down.seen = true;
    }
}

/// The pauses asked for by `[THROTTLED]` on answers that still succeeded.
#[derive(Debug, Default)]
pub(crate) struct SlowDown {
    /// An answer since the last [`Session::throttle_pause`] carried `[THROTTLED]`.
    pub(crate) seen: bool,
    pause: Duration,
}

impl Session {
    /// Whether to pause before the next command because the server marked an answer `[THROTTLED]` since the last
    /// call (Gmail does so on OK completions before it starts refusing): 1 s, doubling while it keeps saying so,
    /// at most 30 s; `None`, and the pause forgotten, once answers come without it.
    pub fn throttle_pause(&mut self) -> Option<Duration> {
        let sd = &mut self.slow_down;
        if !std::mem::take(&mut sd.seen) {
            sd.pause = Duration::ZERO;
            return None;
        }
        sd.pause = (sd.pause * 2).clamp(FIRST_PAUSE, MAX_PAUSE);
        Some(sd.pause)
    }

    /// The token source and the token of a minted bearer sign-in: when the server ends the session because the
    /// token expired, the caller tells the source ([`super::TokenSource::rejected`]), so the next sign-in gets a
    /// new token rather than the same one from its cache.
    pub fn signed_in_with(&self) -> Option<(Arc<dyn TokenSource>, Secret<String>)> {
        self.signed_in_with.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_words_become_waits() {
        let ms = |t: &str| throttle_wait("UID FETCH", t, None);
        let microsoft = "Request is throttled. Suggested Backoff Time: 299961 milliseconds";
        assert_eq!(ms(microsoft), Some(Duration::from_millis(299_961)));
        assert_eq!(ms("Request is throttled. Suggested Backoff Time: 99999999999999 milliseconds"), Some(UNSAID_WAIT));
        assert_eq!(ms("Request is throttled. Suggested Backoff Time: 12 fortnights"), Some(UNSAID_WAIT));
        assert_eq!(ms("Server Unavailable. 15"), Some(UNSAID_WAIT));
        assert_eq!(throttle_wait("UID FETCH", "Slow down", Some("THROTTLED")), Some(UNSAID_WAIT));
        let gmail = "[OVERQUOTA] Account exceeded command or bandwidth limits. (Failure)";
        assert_eq!(throttle_wait("UID FETCH", gmail, Some("OVERQUOTA")), Some(BANDWIDTH_WAIT));
        assert_eq!(throttle_wait("APPEND", "Quota exceeded", Some("OVERQUOTA")), None, "a full mailbox is no throttle");
        assert_eq!(ms("Mailbox does not exist"), None);
        let ImapError::SignInExpired { .. } = closed(Some("Session invalidated - AccessTokenExpired".into())) else {
            panic!("an expired token")
        };
        assert!(matches!(closed(None), ImapError::Bye { .. }));
        assert!(matches!(closed(Some("Logging out".into())), ImapError::Bye { .. }));
    }

    #[test]
    fn throttled_answers_pause_longer_until_one_comes_without() {
        let (a, b) = tokio::io::duplex(64);
        drop(b);
        let mut s = Session::new(Box::new(a), Duration::from_secs(1), 0);
        assert_eq!(s.throttle_pause(), None);
        let secs: Vec<u64> = (0..7)
            .map(|_| {
                note_text(&mut s, "Success [THROTTLED]");
                s.throttle_pause().unwrap().as_secs()
            })
            .collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(s.throttle_pause(), None);
        note_text(&mut s, "[THROTTLED] again");
        assert_eq!(s.throttle_pause(), Some(FIRST_PAUSE));
    }
}
