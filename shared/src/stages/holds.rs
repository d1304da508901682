//! What a stage may touch, one trait per port: a stage's signature names the ports it uses
//! (`deps: &(impl HasStore + HasCounters)`), and each Lambda function builds a struct holding only the ports of
//! the stages it runs ([`UploadDeps`], [`SchedulerDeps`], [`CopyDeps`], [`NotifierDeps`], [`PanelDeps`]), so a
//! stage that reaches for a port its function does not hold does not compile — and the function's IAM policy in
//! `template.yaml` grants exactly what its struct's [`PORTS`](UploadDeps::PORTS) need (a test compares them).
//! The full [`Deps`] holds them all: the embedded home and the CLI run every stage.

use super::Deps;

/// One trait per port: `$trait` gives the port `$field` as `&$ty`.
macro_rules! port_traits {
    ($($(#[$doc:meta])* $trait:ident $field:ident: $ty:ty;)*) => {$(
        $(#[$doc])*
        pub trait $trait: Send + Sync {
            fn $field(&self) -> &$ty;
        }
    )*};
}

port_traits! {
    /// Jobs and mailboxes (DynamoDB / SQLite).
    HasStore store: port::Store;
    /// Counters and once-only events (DynamoDB / SQLite).
    HasCounters counters: port::Counters;
    /// Folder checkpoints and leases (DynamoDB / SQLite).
    HasCheckpoints checkpoints: port::Checkpoints;
    /// Connection slots (DynamoDB / SQLite).
    HasSlots slots: port::Slots;
    /// Mailbox and folder tasks (SQS / the in-process queue).
    HasTasks tasks: port::Tasks;
    /// "Pass complete" events for the notifier (SQS / the in-process queue).
    HasEvents events: port::Events;
    /// Uploads, reports, ledgers, held files (S3 / a directory).
    HasBlobs blobs: port::Blobs;
    /// The operator's email (SES / SMTP or an outbox).
    HasMailer mailer: port::Mailer;
    /// Sealing and opening credentials (KMS / the local key).
    HasSecrets secrets: port::Secrets;
    /// One-time schedules of passes and cutover checks (EventBridge Scheduler / the timer).
    HasSchedules schedules: port::Schedules;
    /// The time.
    HasClock clock: port::Clock;
    /// Where imports create accounts (`None`: imports are validated and recorded, not applied).
    HasDirectory directory: port::Directory;
    /// What imports created, for billing (DynamoDB / SQLite).
    HasUsage usage: port::Usage;
    /// Which tenant owns which destination domain (DynamoDB / SQLite).
    HasDomains domains: port::Domains;
    /// MX lookups for the cutover assistant.
    HasDns dns: port::Dns;
    /// The deployment's settings (not a port: every function has them).
    HasSettings settings: port::Settings;
}

/// The ports' types, by the names the traits and fields use.
pub(crate) mod port {
    use crate::ports as p;
    use std::sync::Arc;

    pub use crate::stages::Settings;
    pub type Store = Arc<dyn p::JobStore>;
    pub type Counters = Arc<dyn p::Counters>;
    pub type Checkpoints = Arc<dyn p::Checkpoints>;
    pub type Slots = Arc<dyn p::Slots>;
    pub type Tasks = Arc<dyn p::TaskQueue>;
    pub type Events = Arc<dyn p::TaskQueue>;
    pub type Blobs = Arc<dyn p::Blobs>;
    pub type Mailer = Arc<dyn p::Mailer>;
    pub type Secrets = Arc<dyn p::SecretBox>;
    pub type Schedules = Arc<dyn p::Schedules>;
    pub type Clock = Arc<dyn p::Clock>;
    pub type Directory = Option<Arc<dyn p::Directory>>;
    pub type Usage = Arc<dyn p::UsageLedger>;
    pub type Domains = Arc<dyn p::DomainOwners>;
    pub type Dns = Arc<dyn p::MxLookup>;
}

/// Implement each named port's trait for `$ty` by its field of the same name.
macro_rules! holds {
    ($ty:ty: $($field:ident),+) => {$( holds!(@one $ty, $field); )+};
    (@one $ty:ty, store) => { holds!(@impl $ty, HasStore, store, Store); };
    (@one $ty:ty, counters) => { holds!(@impl $ty, HasCounters, counters, Counters); };
    (@one $ty:ty, checkpoints) => { holds!(@impl $ty, HasCheckpoints, checkpoints, Checkpoints); };
    (@one $ty:ty, slots) => { holds!(@impl $ty, HasSlots, slots, Slots); };
    (@one $ty:ty, tasks) => { holds!(@impl $ty, HasTasks, tasks, Tasks); };
    (@one $ty:ty, events) => { holds!(@impl $ty, HasEvents, events, Events); };
    (@one $ty:ty, blobs) => { holds!(@impl $ty, HasBlobs, blobs, Blobs); };
    (@one $ty:ty, mailer) => { holds!(@impl $ty, HasMailer, mailer, Mailer); };
    (@one $ty:ty, secrets) => { holds!(@impl $ty, HasSecrets, secrets, Secrets); };
    (@one $ty:ty, schedules) => { holds!(@impl $ty, HasSchedules, schedules, Schedules); };
    (@one $ty:ty, clock) => { holds!(@impl $ty, HasClock, clock, Clock); };
    (@one $ty:ty, directory) => { holds!(@impl $ty, HasDirectory, directory, Directory); };
    (@one $ty:ty, usage) => { holds!(@impl $ty, HasUsage, usage, Usage); };
    (@one $ty:ty, domains) => { holds!(@impl $ty, HasDomains, domains, Domains); };
    (@one $ty:ty, dns) => { holds!(@impl $ty, HasDns, dns, Dns); };
    (@one $ty:ty, settings) => { holds!(@impl $ty, HasSettings, settings, Settings); };
    (@impl $ty:ty, $trait:ident, $field:ident, $port:ident) => {
        impl $crate::stages::$trait for $ty {
            fn $field(&self) -> &$crate::stages::holds::port::$port {
                &self.$field
            }
        }
    };
}
pub(crate) use holds;

holds!(Deps: store, counters, checkpoints, slots, tasks, events, blobs, mailer, secrets, schedules, clock, directory,
    usage, domains, dns, settings);

/// A struct holding the named ports (fields of the types [`Deps`] has), with the traits and `PORTS` (their names).
macro_rules! function_deps {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)+
        }

        impl $name {
            /// The ports this function holds, by name (what its IAM policy must grant and nothing more).
            pub const PORTS: &'static [&'static str] = &[$(stringify!($field)),+];

            /// The same ports taken from the whole set (the embedded home runs every function on one [`Deps`]).
            pub fn from_deps(deps: &Deps) -> Self {
                $name { $($field: deps.$field.clone()),+ }
            }
        }

        holds!($name: $($field),+);
    };
}

function_deps! {
    /// The upload function: validate, pre-flight and store a job (sealing its credentials), apply an import,
    /// schedule the first pass.
    UploadDeps {
        store: port::Store,
        counters: port::Counters,
        blobs: port::Blobs,
        secrets: port::Secrets,
        schedules: port::Schedules,
        clock: port::Clock,
        directory: port::Directory,
        usage: port::Usage,
        domains: port::Domains,
        settings: port::Settings,
    }
}

function_deps! {
    /// The scheduler function: a pass's fan-out, the cutover assistant's checks, a job's end when its
    /// credentials expire.
    SchedulerDeps {
        store: port::Store,
        counters: port::Counters,
        tasks: port::Tasks,
        events: port::Events,
        blobs: port::Blobs,
        schedules: port::Schedules,
        clock: port::Clock,
        dns: port::Dns,
        settings: port::Settings,
    }
}

function_deps! {
    /// The copy function: mailbox and folder tasks, a pass's completion.
    CopyDeps {
        store: port::Store,
        counters: port::Counters,
        checkpoints: port::Checkpoints,
        slots: port::Slots,
        tasks: port::Tasks,
        events: port::Events,
        blobs: port::Blobs,
        secrets: port::Secrets,
        schedules: port::Schedules,
        clock: port::Clock,
        settings: port::Settings,
    }
}

/// The ports a copy task may use, whole: a mailbox or folder task, the slots it takes, and what finishing the
/// pass starts (the notifier's event, the next pass's schedule). [`CopyDeps`] holds exactly these.
pub trait CopyPorts:
    HasStore
    + HasCounters
    + HasCheckpoints
    + HasSlots
    + HasTasks
    + HasEvents
    + HasBlobs
    + HasSecrets
    + HasSchedules
    + HasClock
    + HasSettings
{
}

impl<T> CopyPorts for T where
    T: HasStore
        + HasCounters
        + HasCheckpoints
        + HasSlots
        + HasTasks
        + HasEvents
        + HasBlobs
        + HasSecrets
        + HasSchedules
        + HasClock
        + HasSettings
{
}

function_deps! {
    /// The notifier function: the operator's email when a pass completes.
    NotifierDeps {
        store: port::Store,
        counters: port::Counters,
        blobs: port::Blobs,
        checkpoints: port::Checkpoints,
        mailer: port::Mailer,
        clock: port::Clock,
        settings: port::Settings,
    }
}

function_deps! {
    /// The control panel: what its pages read and its actions start (uploads, imports, retries, re-checks,
    /// cancels, passes), never a queue or an email of its own (sign-in mail goes through its own sender).
    PanelDeps {
        store: port::Store,
        counters: port::Counters,
        checkpoints: port::Checkpoints,
        blobs: port::Blobs,
        secrets: port::Secrets,
        schedules: port::Schedules,
        clock: port::Clock,
        directory: port::Directory,
        usage: port::Usage,
        domains: port::Domains,
        settings: port::Settings,
    }
}
