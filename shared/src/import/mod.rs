//! The import: creating domains, mailboxes (with quota) and aliases on the destination platform from a validated
//! import file. Password handling lives here (`hash`); the directory homes (PostgreSQL with the PostfixAdmin
//! schema, a Dovecot passwd-file) come behind one small port.

pub mod hash;
pub mod reconcile;
#[cfg(test)]
mod reconcile_tests;
