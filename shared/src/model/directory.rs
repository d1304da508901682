//! What a destination platform's account directory holds and what an import writes to it: the two sides of the
//! `ports::Directory` port (read what exists, write every change at once), reconciled by `import::reconcile`.

use super::{AliasSpec, DomainSpec, MailboxSpec};
use std::collections::BTreeMap;

/// A domain as it exists on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingDomain {
    pub max_mailboxes: Option<u32>,
    pub max_aliases: Option<u32>,
    pub quota_mb: Option<u64>,
}

/// A mailbox as it exists on the destination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingMailbox {
    pub quota_mb: u64,
    pub display_name: String,
}

/// What the destination holds, keyed by ASCII domain and by [`crate::model::EmailAddress::key`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Existing {
    pub domains: BTreeMap<String, ExistingDomain>,
    pub mailboxes: BTreeMap<String, ExistingMailbox>,
    /// Alias address → its targets (keys).
    pub aliases: BTreeMap<String, Vec<String>>,
}

/// What to write: the rows to create and to update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub create_domains: Vec<DomainSpec>,
    pub update_domains: Vec<DomainSpec>,
    pub create_mailboxes: Vec<MailboxSpec>,
    pub update_mailboxes: Vec<MailboxSpec>,
    pub create_aliases: Vec<AliasSpec>,
    pub update_aliases: Vec<AliasSpec>,
}

impl Changes {
    /// Nothing to write.
    pub fn is_empty(&self) -> bool {
        self.create_domains.is_empty()
            && self.update_domains.is_empty()
            && self.create_mailboxes.is_empty()
            && self.update_mailboxes.is_empty()
            && self.create_aliases.is_empty()
            && self.update_aliases.is_empty()
    }
}
