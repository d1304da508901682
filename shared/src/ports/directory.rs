//! The directory port: where the destination platform keeps its domains, mailboxes and aliases (PostgreSQL with
//! the PostfixAdmin schema, or a Dovecot passwd-file). Sized to the import's two steps: read what exists, then
//! write every change at once or nothing.

use super::PortError;
use crate::model::Secret;
use crate::model::directory::{Changes, Existing};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// A destination platform's account directory.
#[async_trait]
pub trait Directory: Send + Sync {
    /// What exists in these domains (ASCII names): the domains, every mailbox and every alias in them.
    async fn existing(&self, domains: &[String]) -> Result<Existing, PortError>;
    /// Write all `changes` at once, or nothing. `passwords` holds the stored form (`{SCHEME}…`) of each new
    /// mailbox's password, by address key.
    async fn apply(&self, changes: &Changes, passwords: &BTreeMap<String, Secret<String>>) -> Result<(), PortError>;
}
