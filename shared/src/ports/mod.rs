//! The ports: small traits, one per job, whose methods match the IAM actions a function needs. Stages are
//! written against these; `aws` and `embedded` implement each one, receiving their clients from outside.
//! Every method reports a [`PortError`], which knows whether retrying can help.

mod blobs;
mod checkpoints;
mod clock;
mod counters;
mod directory;
mod dns;
mod domains;
mod error;
mod mailer;
mod operators;
mod queue;
mod schedules;
mod secret_box;
mod sign_in;
mod slots;
mod store;
mod usage;

pub use blobs::Blobs;
pub use checkpoints::{Checkpoints, decode_checkpoint, lease_time};
pub use clock::{Clock, ManualClock, SystemClock};
pub use counters::Counters;
pub use directory::Directory;
pub use dns::MxLookup;
pub use domains::DomainOwners;
pub use error::{BoxError, PortError};
pub use mailer::{Email, Mailer};
pub use operators::{Operator, Operators};
pub use queue::{Delivery, TaskQueue};
pub use schedules::Schedules;
pub use secret_box::{Sealed, SecretBox};
pub use sign_in::{Identity, SignIn};
pub use slots::Slots;
pub use store::{JobStore, strip_credentials};
pub use usage::{UsageKind, UsageLedger, UsageRecord};
