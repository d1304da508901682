//! What an import CSV asks to create on the destination platform: domains, mailboxes with quota, aliases.

use super::{Domain, EmailAddress, Secret};

/// How a mailbox password arrives in the import file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSpec {
    /// A clear password, to be hashed before it is stored anywhere.
    Plain(Secret<String>),
    /// A hash in Dovecot's `{SCHEME}…` form, stored as given. Hashes are not secrets in the same sense, but
    /// they are still never printed in reports.
    Hashed { scheme: String, hash: Secret<String> },
}

/// A domain to create, with optional limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainSpec {
    /// The line of the import file it came from (for reports).
    pub line: u64,
    pub domain: Domain,
    /// Most mailboxes the domain may hold (`None`: unlimited).
    pub max_mailboxes: Option<u32>,
    /// Most aliases the domain may hold (`None`: unlimited).
    pub max_aliases: Option<u32>,
    /// Total quota for the domain in MB (`None`: unlimited).
    pub quota_mb: Option<u64>,
}

/// A mailbox to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxSpec {
    pub line: u64,
    pub address: EmailAddress,
    pub password: PasswordSpec,
    /// Quota in MB; 0 means unlimited.
    pub quota_mb: u64,
    pub display_name: String,
}

/// An alias delivering to one or more targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasSpec {
    pub line: u64,
    pub address: EmailAddress,
    pub targets: Vec<EmailAddress>,
}

/// Everything one import file asks for, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvisionPlan {
    pub domains: Vec<DomainSpec>,
    pub mailboxes: Vec<MailboxSpec>,
    pub aliases: Vec<AliasSpec>,
}
