//! The whole pipeline on one machine (the embedded home): `migrate`, `schedule`, `run` and `status` wire the
//! embedded ports (SQLite store, counters, checkpoints, queues and schedules; a blob directory; an outbox
//! directory for email; a local key file) under one state directory and drive the same stages as the Lambda
//! functions, with a timer instead of EventBridge and a pool of workers on the SQLite queue.
//!
//! State directory: `state.sqlite`, `key` (seals credentials), `blobs/` (uploads and `reports/`), `outbox/`
//! (notifications as `.eml`), `config.json` (destination and settings; never a password).

pub mod at;
pub mod cancel;
pub mod commands;
pub mod cutover;
pub mod jobs;
pub mod progress;
pub mod report;
pub mod retry;
pub mod runner;
pub mod smtp;
pub mod status;

use mailferry::embedded::{
    Database, DirBlobs, KeyFileSecretBox, SqliteCheckpoints, SqliteCounters, SqliteDomainOwners, SqliteQueue,
    SqliteSchedules, SqliteSlots, SqliteStore, SqliteUsage,
};
use mailferry::engine::CopySettings;
use mailferry::imap::url::parse;
use mailferry::model::Secret;
use mailferry::ports::SystemClock;
use mailferry::stages::budget::Budgets;
use mailferry::stages::{Connections, Deps, Destination, Settings};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What `migrate` remembers for later commands on the same state directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// `imaps://MASTER@HOST[:PORT]`: the destination server and its master user.
    pub dest: String,
    pub ca_file: Option<PathBuf>,
    pub workers: usize,
    pub mailboxes_in_flight: usize,
    pub sender: String,
    pub timeout_secs: u64,
    /// Source servers may be on loopback, private or link-local networks (`--allow-private-sources`).
    #[serde(default)]
    pub allow_private_sources: bool,
    /// Days the sealed credentials may be kept before the job is cancelled (`--keep-credentials-days`).
    #[serde(default = "default_retention_days")]
    pub credential_retention_days: u64,
    /// Messages per batch: one checkpoint (and one chance to stop cleanly) per batch (`--batch-messages`).
    #[serde(default = "default_batch_messages")]
    pub batch_messages: usize,
    /// Connection caps and the small-folder size (`--connections-per-mailbox`, `--connections-per-host`,
    /// `--small-folder`).
    #[serde(default)]
    pub connections: ConnectionsConfig,
    /// Download budget per mailbox (`--source-budget`: `preset`, `none` or e.g. `2500MB/24h`).
    #[serde(default)]
    pub budget: String,
    /// Notifications through an SMTP server instead of the outbox (`--smtp`, `mailferry smtp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<smtp::SmtpConfig>,
}

/// The connection settings `migrate` was given (see `mailferry::stages::Connections`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct ConnectionsConfig {
    pub per_mailbox: u32,
    pub per_source_host: u32,
    pub small_folder: u32,
}

impl Default for ConnectionsConfig {
    fn default() -> Self {
        let c = Connections::default();
        ConnectionsConfig {
            per_mailbox: c.per_mailbox,
            per_source_host: c.per_source_host,
            small_folder: c.small_folder,
        }
    }
}

impl Config {
    /// The settings `migrate` would write with its defaults, for destination `dest` (`serve --dest` on a new state
    /// directory).
    pub fn defaults(dest: String) -> Config {
        Config {
            dest,
            ca_file: None,
            workers: 4,
            mailboxes_in_flight: 10,
            sender: "mailferry@localhost".into(),
            timeout_secs: 60,
            allow_private_sources: false,
            credential_retention_days: default_retention_days(),
            batch_messages: default_batch_messages(),
            connections: ConnectionsConfig::default(),
            budget: "preset".into(),
            smtp: None,
        }
    }
}

fn default_retention_days() -> u64 {
    30
}

fn default_batch_messages() -> usize {
    250
}

/// Ports and settings of one state directory.
pub struct Home {
    pub dir: PathBuf,
    pub deps: Deps,
    pub schedules: SqliteSchedules,
    pub tasks: SqliteQueue,
    pub events: SqliteQueue,
    pub checkpoints: SqliteCheckpoints,
    pub slots: SqliteSlots,
    /// The store as itself, for what only the embedded home offers (listing every job).
    pub store: SqliteStore,
    pub config: Config,
    /// This process among those working on the directory (`runners/<holder>.lock`; receipts and leases carry it).
    pub holder: String,
}

/// The lease owner a runner `holder` writes into checkpoints.
pub fn lease_owner(holder: &str) -> String {
    format!("mailferry-run:{holder}")
}

/// Tasks are received this often before they go to the dead-letter queue.
pub const MAX_RECEIVES: u32 = 5;

/// A short random tag, so a reused process id never names an older runner.
fn uuid_part() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// A state directory that `migrate` made, or an error naming it (nothing is created).
pub(crate) fn existing(dir: &Path) -> Result<(), String> {
    if dir.join("config.json").is_file() && dir.join("state.sqlite").is_file() {
        return Ok(());
    }
    Err(format!("{} holds no mailferry state (give the --state directory `mailferry migrate` used)", dir.display()))
}

/// Create the state directory (and parents) if needed, and make it private to its owner (0700): it holds sealed
/// credentials, their key, and uploads while they are processed.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot make {} private: {e}", dir.display()))
}

impl Home {
    /// Open the state directory: with a `config` (a new migration) it is created and the config written;
    /// without one it must exist already. Commands that log in need the destination master password.
    pub fn open(dir: &Path, config: Option<Config>, password_file: Option<&Path>) -> Result<Home, String> {
        if config.is_none() {
            existing(dir)?;
        }
        let password = crate::password::read(
            "destination master password",
            "MAILFERRY_DEST_MASTER_PASSWORD",
            password_file,
            "--dest-password-file",
        )?;
        Home::build(dir, config, password)
    }

    /// The configuration an existing state directory keeps, if it has one.
    pub fn config_of(dir: &Path) -> Option<Config> {
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).ok()?).ok()
    }

    /// Open an existing state directory without the destination password, creating nothing: for commands that
    /// only read (`status`) or end a job (`cancel`).
    pub fn open_existing(dir: &Path) -> Result<Home, String> {
        existing(dir)?;
        Home::build(dir, None, Secret::new(String::new()))
    }

    fn build(dir: &Path, config: Option<Config>, master_password: Secret<String>) -> Result<Home, String> {
        if config.is_some() {
            private_dir(dir)?;
        }
        let config_path = dir.join("config.json");
        let config = match config {
            Some(c) => {
                let text = serde_json::to_string_pretty(&c).unwrap_or_default();
                std::fs::write(&config_path, text)
                    .map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;
                c
            }
            None => {
                let text = std::fs::read_to_string(&config_path)
                    .map_err(|_| format!("{} holds no migration yet (run `mailferry migrate` first)", dir.display()))?;
                serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", config_path.display()))?
            }
        };
        let dest = parse(&config.dest)?;
        let timeout = Duration::from_secs(config.timeout_secs);
        let destination = Destination {
            endpoint: dest.endpoint(config.ca_file.clone(), timeout),
            master_user: dest.user,
            master_password,
        };
        let db = Database::open(&dir.join("state.sqlite")).map_err(|e| e.to_string())?;
        let clock = Arc::new(SystemClock);
        let holder = format!("{}-{}", std::process::id(), &uuid_part());
        let tasks = SqliteQueue::new(db.clone(), "tasks", MAX_RECEIVES, clock.clone()).held_by(&holder);
        let events = SqliteQueue::new(db.clone(), "events", MAX_RECEIVES, clock.clone()).held_by(&holder);
        let schedules = SqliteSchedules::new(db.clone());
        let checkpoints = SqliteCheckpoints::new(db.clone(), clock.clone());
        let slots = SqliteSlots::new(db.clone(), clock.clone());
        let store = SqliteStore::new(db.clone());
        let owner = lease_owner(&holder);
        let secrets: Arc<dyn mailferry::ports::SecretBox> =
            Arc::new(KeyFileSecretBox::open_or_create(&dir.join("key")).map_err(|e| e.to_string())?);
        let deps = Deps {
            store: Arc::new(store.clone()),
            counters: Arc::new(SqliteCounters::new(db.clone())),
            checkpoints: Arc::new(checkpoints.clone()),
            slots: Arc::new(slots.clone()),
            tasks: Arc::new(tasks.clone()),
            events: Arc::new(events.clone()),
            blobs: Arc::new(DirBlobs::new(dir.join("blobs"))),
            mailer: smtp::mailer(dir, config.smtp.as_ref(), config.ca_file.as_ref(), secrets.clone())?,
            secrets,
            schedules: Arc::new(schedules.clone()),
            clock,
            directory: None,
            usage: Arc::new(SqliteUsage::new(db.clone())),
            domains: Arc::new(SqliteDomainOwners::new(db.clone())),
            dns: Arc::new(mailferry::dns::HickoryMx::default()),
            settings: Settings {
                destination,
                source_ca_file: config.ca_file.clone(),
                allow_private_sources: config.allow_private_sources,
                credential_retention: Duration::from_secs(86_400 * config.credential_retention_days),
                imap_timeout: timeout,
                mailboxes_in_flight: config.mailboxes_in_flight,
                preflight_concurrency: 8,
                copy: CopySettings { owner, batch_max: config.batch_messages.max(1), ..Default::default() },
                connections: Connections {
                    per_mailbox: config.connections.per_mailbox,
                    per_source_host: config.connections.per_source_host,
                    small_folder: config.connections.small_folder,
                },
                budget: Budgets::parse(&config.budget)?,
                sender: config.smtp.as_ref().map_or_else(|| config.sender.clone(), |s| s.from.clone()),
                default_operator: None,
                operator_allow: None,
                reports_at: format!("{}/blobs/", dir.display()),
                command_scope: format!("--state {}", dir.display()),
            },
        };
        Ok(Home { dir: dir.to_path_buf(), deps, schedules, tasks, events, checkpoints, slots, store, config, holder })
    }
}
