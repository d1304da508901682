//! The nouns of mailferry: jobs, mailboxes, accounts, checkpoints, the cutover's MX observations, what a
//! destination's directory holds, typed ids and UIDs. No I/O here.

mod account;
mod address;
mod budget;
mod checkpoint;
pub mod cutover;
pub mod directory;
mod ids;
mod job;
mod provision;
mod secret;
mod uid;

pub use account::{AuthKind, Credentials, Host, Provider, Security, SourceAccount};
pub use address::{AddressError, Domain, EmailAddress};
pub use budget::Budget;
pub use checkpoint::{Checkpoint, Claim, FolderKey, Lease, OpenBatch};
pub use ids::{InvalidId, JobId, TenantId};
pub use job::{
    CatchUp, FolderRename, Job, JobKind, JobStatus, MailboxDetails, MailboxRecord, Pass, Preflight, parse_period,
};
pub use provision::{AliasSpec, DomainSpec, MailboxSpec, PasswordSpec, ProvisionPlan};
pub use secret::{REDACTED, Sealed, Secret, SecretCell};
pub use uid::{Uid, UidValidity};
