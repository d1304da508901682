//! mailferry's library: the model, the CSV contracts, the ports (small traits for storage, queueing, mail and
//! secrets) and their two homes, AWS and embedded. Arrows point one way: entry points → stages → (csv, model,
//! ports) ← (aws, embedded). Nothing outside `aws` names an AWS type.
//!
//! # Layout
//!
//! Each module below uses only the ones above it (the entry points — the CLI, the Lambda functions, `mailferry
//! serve` — build a home and call `stages` or `panel`):
//!
//! - `model`: the nouns (jobs, mailboxes, accounts, addresses and domains, UIDs, checkpoints, cutover
//!   observations) and `Secret`. No I/O.
//! - `text` (making other parties' text safe to show), `files` (replacing a file that holds secrets), `crypto`
//!   (sealing with AES-256-GCM, Argon2id password hashes), `tls` (the TLS client settings of every connection).
//! - `csv`: the upload contracts, read and validated in the formats people have (no I/O).
//! - `ports`: one small trait per job (store, counters, checkpoints, queues, blobs, mail, secrets, schedules,
//!   directory, usage, domains, MX lookup, sign-in).
//! - `imap` (the IMAP client and folder planning), `oauth` (tokens for sign-ins without passwords), `dns` (the MX
//!   lookup both homes use).
//! - `engine`: the copy engine: one folder at a time between two IMAP sessions, checkpointed through the port.
//! - `import`: the destination's directory (a Dovecot passwd-file, PostgreSQL) and reconciling an import with it.
//! - `stages`: the pipeline (upload, schedule, copy, notify, cutover, retry, cancel, import review), against the
//!   ports only; each stage names the ones it uses (`impl HasStore + …`), each function holds only its own.
//! - `panel`: the control panel, one router from an HTTP request to a response over the stages.
//! - `aws` and `embedded`: the two homes, every port on AWS services or on one machine (SQLite, directories).
//! - `fuzz`: the fuzz targets' entry points (feature `fuzzing`).

pub mod crypto;
pub mod csv;
pub mod dns;
pub mod engine;
pub mod files;
pub mod imap;
pub mod import;
pub mod model;
pub mod oauth;
pub mod panel;
pub mod ports;
pub mod stages;
pub mod text;
pub mod tls;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
