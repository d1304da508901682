//! Provider presets: what a provider's IMAP service allows, applied to each mailbox whose source it is (found
//! from the source host, or from the sign-in: a Google key means Gmail, a Microsoft app Microsoft 365). A preset
//! only ever tightens what the job set: fewer connections per mailbox, a message-size cap, folders that are not
//! mail left out, a daily download budget (applied by `budget` unless the deployment sets one).

use crate::model::Budget;
use crate::model::{AuthKind, Provider};

/// One provider's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Preset {
    pub name: &'static str,
    /// Pairs of connections per mailbox at most (the user's own clients share the provider's per-user limit).
    pub per_mailbox: u32,
    /// Messages larger than this are not fetched (the provider does not serve them over IMAP).
    pub max_message: u64,
    /// Folder patterns left out unless an include pattern names them: the provider's folders that are not mail.
    pub skip: &'static [&'static str],
    /// How much one mailbox may download per window.
    pub budget: Option<Budget>,
}

/// Gmail: 15 connections per account, the user's phone and laptop included; messages up to 35 MB
/// (`APPENDLIMIT=35651584`).
const GMAIL: Preset =
    Preset { name: "Gmail", per_mailbox: 3, max_message: 35_651_584, skip: &[], budget: Some(Budget::GMAIL) };

/// Microsoft 365: few connections (throttled early); items up to 150 MB; the sync-conflict, Skype conversation,
/// outbox and Files folders are not mail.
const MICROSOFT_365: Preset = Preset {
    name: "Microsoft 365",
    per_mailbox: 2,
    max_message: 150_000_000,
    skip: &["Sync Issues", "Sync Issues/*", "Conversation History", "Conversation History/*", "Outbox", "Files"],
    budget: None,
};

/// The preset of a source, if it is a provider mailferry knows.
pub(crate) fn of(host: &str, auth: Option<AuthKind>) -> Option<Preset> {
    let host = host.to_ascii_lowercase();
    let is =
        |p: Provider, aliases: &[&str]| p.default_host() == Some(host.as_str()) || aliases.contains(&host.as_str());
    if is(Provider::Gmail, &["imap.googlemail.com"]) || auth == Some(AuthKind::Google) {
        return Some(GMAIL);
    }
    let microsoft = is(Provider::Office365, &["outlook.office.com", "imap-mail.outlook.com"]);
    (microsoft || auth == Some(AuthKind::Microsoft)).then_some(MICROSOFT_365)
}

/// The row's exclude patterns plus the preset's folders, except those an include pattern names (without
/// wildcards).
pub(crate) fn exclude(preset: Option<Preset>, include: &[String], exclude: &[String]) -> Vec<String> {
    let mut out = exclude.to_vec();
    for skip in preset.map_or(&[][..], |p| p.skip) {
        let named = include.iter().any(|i| !i.contains(['*', '%']) && i.eq_ignore_ascii_case(skip));
        if !named && !out.iter().any(|e| e == skip) {
            out.push(skip.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_by_host_or_sign_in() {
        assert_eq!(of("IMAP.Gmail.com", None), Some(GMAIL));
        assert_eq!(of("127.0.0.1", Some(AuthKind::Google)), Some(GMAIL));
        assert_eq!(of("outlook.office365.com", Some(AuthKind::Password)), Some(MICROSOFT_365));
        assert_eq!(of("127.0.0.1", Some(AuthKind::Microsoft)), Some(MICROSOFT_365));
        assert_eq!(of("mail.example.com", Some(AuthKind::Password)), None);
    }

    #[test]
    fn preset_folders_are_left_out_unless_named() {
        let ex = exclude(Some(MICROSOFT_365), &["*".into(), "Outbox".into()], &["Junk".into()]);
        assert!(ex.contains(&"Junk".to_string()) && ex.contains(&"Sync Issues/*".to_string()));
        assert!(!ex.contains(&"Outbox".to_string()), "named in include: copied");
        assert_eq!(exclude(None, &[], &["Junk".into()]), ["Junk"]);
    }
}
