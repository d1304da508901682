//! mailferry's library: the model, the CSV contracts, the ports (small traits for storage, queueing, mail and
//! secrets) and their two homes, AWS and embedded. Arrows point one way: entry points → stages → (csv, model,
//! ports) ← (aws, embedded). Nothing outside `aws` names an AWS type.

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

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
