//! The pipeline's stages, written against the ports only, so the Lambda functions and the embedded runner call
//! the very same code: `upload` (validate + pre-flight + store), `schedule` (a pass's fan-out), `copy` (mailbox
//! and folder tasks), `notify` (the operator's email), `status` (progress per mailbox) and `cutover` (is it time
//! for the final pass?).
//!
//! ## Each function holds only its ports
//! A stage takes `deps: &impl HasStore + HasCounters + …`, naming the ports it uses (`holds`); a Lambda function
//! builds one of `UploadDeps`, `SchedulerDeps`, `CopyDeps`, `NotifierDeps`, `PanelDeps`, so a stage reaching for
//! a port its function does not hold does not compile. [`Deps`] holds every port (the embedded home, the CLI).
//!
//! ## Exactly once on an at-least-once queue
//! Every message may arrive twice. Totals are fixed once (`Counters::add_once` with events such as `fanout` or
//! `planned`); a folder or mailbox is counted done once (`folder:<path>`, `mailbox:<address>`); the caller whose
//! add brings `done` to the total is the only one that sees that value, so the mailbox (and then the pass)
//! completes exactly once, and "pass complete" is emitted once. The notifier claims `notified` before it sends.
//!
//! Counter scopes: `<job>/<pass>` (mailboxes, started, done, copied, bytes, skipped, failed) and
//! `<job>/<pass>/<address>` (folders, done, copied, bytes, skipped, failed, started_ms, finished_ms).

pub mod budget;
mod connections;
mod copy;
mod counter;
mod credentials;
pub mod cutover;
mod cutover_state;
pub mod delivery;
mod dispatch;
mod end;
mod error;
mod errors;
mod fan_out;
mod finish;
pub mod held;
mod holds;
mod import;
pub mod import_review;
mod job_credentials;
mod mailbox_task;
mod messages;
mod notify;
mod preflight;
mod presets;
mod provider_tokens;
pub mod rate;
mod recheck;
mod report;
mod retry;
mod schedule;
mod sealing;
mod status;
mod tenancy;
mod upload;

pub use connections::{Connections, holder_prefix};
pub use copy::TaskOutcome;
pub use dispatch::on_task;
pub use end::cancel;
pub use error::StageError;
pub use errors::{ERRORS_HEADER, error_report, error_rows};
pub use fan_out::on_schedule;
pub use holds::{
    CopyDeps, CopyPorts, HasBlobs, HasCheckpoints, HasClock, HasCounters, HasDirectory, HasDns, HasDomains, HasEvents,
    HasMailer, HasSchedules, HasSecrets, HasSettings, HasSlots, HasStore, HasTasks, HasUsage, NotifierDeps, PanelDeps,
    SchedulerDeps, UploadDeps,
};
pub use import::Applied;
pub(crate) use job_credentials::delete as delete_credentials;
pub use job_credentials::{CredentialObjects, MAX_CREDENTIAL_FILE, apply_credential, credential_field};
pub(crate) use messages::form_decode as form_value;
pub use messages::{FolderTaskSpec, PassEvent, ScheduleAction, ScheduleInput, Task, parse_s3_event};
pub use notify::on_pass_complete;
pub use recheck::recheck;
pub use retry::{Retried, Retry, retry};
pub use schedule::schedule_pass;
pub use status::{Eta, JobProgress, MailboxProgress, PassProgress, folder_counts, job_progress, mailbox_progress};
pub use upload::{Upload, UploadOutcome, on_upload};

use crate::engine::CopySettings;
use crate::imap::Endpoint;
use crate::model::{EmailAddress, JobId, Pass, Secret};
use crate::ports::{
    Blobs, Checkpoints, Clock, Counters, Directory, DomainOwners, JobStore, Mailer, MxLookup, Schedules, SecretBox,
    Slots, TaskQueue, UsageLedger,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The destination platform: one IMAP server, logged in to with a master user on each mailbox's behalf (the
/// usual set-up of a provider's platform; the mailboxes exist before the migration, see the import).
#[derive(Clone, Debug)]
pub struct Destination {
    pub endpoint: Endpoint,
    pub master_user: String,
    pub master_password: Secret<String>,
}

/// Deployment settings every stage may need.
#[derive(Clone, Debug)]
pub struct Settings {
    pub destination: Destination,
    /// Trust this CA for source servers too (private CAs, tests).
    pub source_ca_file: Option<PathBuf>,
    /// Let source servers be on loopback, private or link-local networks (an old server on the same LAN as an
    /// on-premises deployment, tests). Off by default: an uploaded CSV must not reach the deployment's own network.
    pub allow_private_sources: bool,
    /// Timeout of every network wait.
    pub imap_timeout: Duration,
    /// How long sealed credentials may be kept: a job still not complete this long after its upload is
    /// cancelled and its credentials purged (an abandoned job must not keep passwords for ever).
    pub credential_retention: Duration,
    /// Mailboxes of one job copied at once.
    pub mailboxes_in_flight: usize,
    /// Source accounts checked at once during the pre-flight.
    pub preflight_concurrency: usize,
    /// Batches, lease and owner for the engine (the deadline is set per task).
    pub copy: CopySettings,
    /// Connection caps per mailbox and per source server, and which folders share the mailbox task's
    /// connections.
    pub connections: Connections,
    /// Download budgets per mailbox (Gmail's preset unless set otherwise; see `budget`).
    pub budget: budget::Budgets,
    /// The notifications' sender, and the recipient when the job names none.
    pub sender: String,
    pub default_operator: Option<String>,
    /// Who an upload may name as its operator (`operator-email` metadata): addresses or `@domain`s. `None`: anyone
    /// (the embedded home, where the operator types it); on AWS, whoever can upload must not be able to make the
    /// service send mail anywhere, so anything not listed goes to `default_operator`.
    pub operator_allow: Option<Vec<String>>,
    /// Where reports are, as the operator sees it (`s3://bucket/` or a directory), for the email.
    pub reports_at: String,
    /// How the operator's commands reach this home (`--state DIR` or `--aws`), so the email can give the exact
    /// command for the next step.
    pub command_scope: String,
}

/// The ports and settings the stages run on.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn JobStore>,
    pub counters: Arc<dyn Counters>,
    pub checkpoints: Arc<dyn Checkpoints>,
    /// Connection slots (the caps in `settings.connections`).
    pub slots: Arc<dyn Slots>,
    /// Mailbox and folder tasks.
    pub tasks: Arc<dyn TaskQueue>,
    /// "Pass complete" events for the notifier.
    pub events: Arc<dyn TaskQueue>,
    pub blobs: Arc<dyn Blobs>,
    pub mailer: Arc<dyn Mailer>,
    pub secrets: Arc<dyn SecretBox>,
    pub schedules: Arc<dyn Schedules>,
    pub clock: Arc<dyn Clock>,
    /// Where imports create accounts; `None`: import files are validated and recorded, not applied.
    pub directory: Option<Arc<dyn Directory>>,
    /// What imports created, for billing.
    pub usage: Arc<dyn UsageLedger>,
    /// Which tenant owns which destination domain.
    pub domains: Arc<dyn DomainOwners>,
    /// MX lookups for the cutover assistant.
    pub dns: Arc<dyn MxLookup>,
    pub settings: Settings,
}

/// Counter scope of a pass.
pub(crate) fn pass_scope(job: &JobId, pass: Pass) -> String {
    format!("{job}/{pass}")
}

/// Counter scope of one mailbox in a pass.
pub(crate) fn mailbox_scope(job: &JobId, pass: Pass, address: &EmailAddress) -> String {
    format!("{job}/{pass}/{address}")
}

/// The addresses of a job's mailboxes that passed the pre-flight, in address order: the order the scheduler and
/// the completions start them in.
pub(crate) async fn ready_mailboxes(
    deps: &impl HasStore,
    job: &JobId,
    pass: Pass,
) -> Result<Vec<EmailAddress>, StageError> {
    let all = deps.store().mailboxes(job).await.map_err(StageError::port("read mailboxes"))?;
    let in_pass = |m: &crate::model::MailboxRecord| match pass {
        Pass::Extra(n) => m.details.round == n,
        Pass::Initial | Pass::Final | Pass::CatchUp(_) => true,
    };
    Ok(all.into_iter().filter(|m| m.ready() && in_pass(m)).map(|m| m.address).collect())
}

/// Whether the job's final pass has finished.
pub(crate) async fn final_done(deps: &impl HasCounters, job: &JobId) -> Result<bool, StageError> {
    deps.counters()
        .seen(&pass_scope(job, Pass::Final), counter::COMPLETE)
        .await
        .map_err(StageError::port("read counters"))
}

/// Every pass a job can have had so far: initial, its catch-ups, final, and its later passes, oldest first.
pub async fn passes_of(deps: &impl HasCounters, job: &JobId) -> Result<Vec<Pass>, StageError> {
    let mut all = vec![Pass::Initial];
    all.extend((1..=catch_up_rounds(deps, job).await?).map(Pass::CatchUp));
    all.push(Pass::Final);
    all.extend(extra_passes(deps, job).await?);
    Ok(all)
}

/// How many catch-up passes of the job were scheduled so far.
pub(crate) async fn catch_up_rounds(deps: &impl HasCounters, job: &JobId) -> Result<u32, StageError> {
    let c = deps.counters().get(&format!("{job}/catch-up")).await.map_err(StageError::port("read counters"))?;
    Ok(u32::try_from(c.get(counter::ROUNDS).copied().unwrap_or(0)).unwrap_or(0))
}

/// The later passes (`Pass::Extra`) a job has had so far, oldest first.
pub(crate) async fn extra_passes(deps: &impl HasCounters, job: &JobId) -> Result<Vec<Pass>, StageError> {
    let c = deps.counters().get(&format!("{job}/extra")).await.map_err(StageError::port("read counters"))?;
    let last = c.get(counter::ROUNDS).copied().unwrap_or(0);
    Ok((2..=u32::try_from(last).unwrap_or(0).saturating_add(1)).map(Pass::Extra).collect())
}
