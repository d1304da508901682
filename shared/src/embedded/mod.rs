//! The embedded home: every port implemented on one machine with no cloud account. SQLite (one file, WAL) holds
//! the store, counters, checkpoints and queue; a directory holds blobs; an outbox directory receives email as
//! `.eml` files (or, configured, an SMTP submission server takes them); a local key file seals secrets.

mod blobs;
mod checkpoints;
mod counters;
mod db;
mod domains;
mod mailer;
mod operators;
mod queue;
pub mod runners;
mod schedules;
mod secret_box;
mod slots;
mod smtp;
mod store;
mod usage;

pub use blobs::DirBlobs;
pub use checkpoints::SqliteCheckpoints;
pub use counters::SqliteCounters;
pub use db::Database;
pub use domains::SqliteDomainOwners;
pub use mailer::OutboxMailer;
pub use operators::SqliteOperators;
pub use queue::SqliteQueue;
pub use schedules::SqliteSchedules;
pub use secret_box::KeyFileSecretBox;
pub use slots::SqliteSlots;
pub use smtp::{SMTP_CONTEXT, SmtpMailer, SmtpSecurity, SmtpServer};
pub use store::SqliteStore;
pub use usage::SqliteUsage;
