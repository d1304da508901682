//! The AWS composition roots: what each Lambda function holds, built from the environment `template.yaml` gives
//! it — [`UploadFunction`], [`SchedulerFunction`], [`CopyFunction`], [`NotifierFunction`], [`PanelFunction`],
//! each with only the ports of the stages it runs (`stages::{UploadDeps, …}`) — and the whole [`Deployment`] the
//! CLI's `--aws` commands run every stage on. Clients come from the standard SDK configuration
//! (`AWS_ENDPOINT_URL` points them at moto in tests).

use super::parts::{Parts, Vars};
use super::settings::{directory, settings};
use super::{EventBridgeSchedules, S3Blobs, load_config};
use crate::stages::{CopyDeps, Deps, NotifierDeps, PanelDeps, SchedulerDeps, UploadDeps};
use std::sync::Arc;

/// Build from the process environment (once per cold start).
macro_rules! from_env {
    () => {
        /// Build from the process environment (once per cold start).
        pub async fn from_env() -> Result<Self, String> {
            Self::from_vars(&load_config().await, &|name| std::env::var(name).ok()).await
        }
    };
}

/// The upload function: its ports, and the bucket concretely for an upload's object metadata.
#[derive(Clone)]
pub struct UploadFunction {
    pub deps: UploadDeps,
    /// For object metadata (`start-at`, `operator-email`, …).
    pub blobs: S3Blobs,
}

impl UploadFunction {
    from_env!();

    /// Build from `vars` with SDK clients from `config`.
    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Self, String> {
        let p = Parts::new(config, vars);
        let (secrets, blobs) = (p.secrets()?, p.blobs()?);
        let deps = UploadDeps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            blobs: Arc::new(blobs.clone()),
            schedules: Arc::new(p.schedules()?),
            clock: p.clock.clone(),
            directory: directory(vars, Some(&secrets)).await?,
            usage: Arc::new(p.usage()?),
            domains: Arc::new(p.domains()?),
            settings: settings(vars, Some(&secrets)).await?,
            secrets: Arc::new(secrets),
        };
        Ok(UploadFunction { deps, blobs })
    }
}

/// The scheduler function's ports.
#[derive(Clone)]
pub struct SchedulerFunction {
    pub deps: SchedulerDeps,
}

impl SchedulerFunction {
    from_env!();

    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Self, String> {
        let p = Parts::new(config, vars);
        let deps = SchedulerDeps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            tasks: Arc::new(p.tasks()?),
            events: Arc::new(p.events()?),
            blobs: Arc::new(p.blobs()?),
            schedules: Arc::new(p.schedules()?),
            clock: p.clock.clone(),
            dns: Arc::new(crate::dns::HickoryMx::default()),
            settings: settings(vars, None).await?,
        };
        Ok(SchedulerFunction { deps })
    }
}

/// The copy function: its ports, and how often a task is delivered before the dead-letter queue.
#[derive(Clone)]
pub struct CopyFunction {
    pub deps: CopyDeps,
    /// Deliveries after which a task goes to the dead-letter queue (the queue's `maxReceiveCount`).
    pub max_receives: u32,
}

impl CopyFunction {
    from_env!();

    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Self, String> {
        let p = Parts::new(config, vars);
        let secrets = p.secrets()?;
        let deps = CopyDeps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            checkpoints: Arc::new(p.checkpoints()?),
            slots: Arc::new(p.slots()?),
            tasks: Arc::new(p.tasks()?),
            events: Arc::new(p.events()?),
            blobs: Arc::new(p.blobs()?),
            schedules: Arc::new(p.schedules()?),
            clock: p.clock.clone(),
            settings: settings(vars, Some(&secrets)).await?,
            secrets: Arc::new(secrets),
        };
        Ok(CopyFunction { deps, max_receives: p.max_receives()? })
    }
}

/// The notifier function's ports.
#[derive(Clone)]
pub struct NotifierFunction {
    pub deps: NotifierDeps,
}

impl NotifierFunction {
    from_env!();

    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Self, String> {
        let p = Parts::new(config, vars);
        let deps = NotifierDeps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            checkpoints: Arc::new(p.checkpoints()?),
            blobs: Arc::new(p.blobs()?),
            mailer: Arc::new(p.mailer()),
            clock: p.clock.clone(),
            settings: settings(vars, None).await?,
        };
        Ok(NotifierFunction { deps })
    }
}

/// The control panel's ports (its sign-in and session key are the panel function's own).
#[derive(Clone)]
pub struct PanelFunction {
    pub deps: PanelDeps,
}

impl PanelFunction {
    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Self, String> {
        let p = Parts::new(config, vars);
        let secrets = p.secrets()?;
        let deps = PanelDeps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            checkpoints: Arc::new(p.checkpoints()?),
            blobs: Arc::new(p.blobs()?),
            schedules: Arc::new(p.schedules()?),
            clock: p.clock.clone(),
            directory: directory(vars, Some(&secrets)).await?,
            usage: Arc::new(p.usage()?),
            domains: Arc::new(p.domains()?),
            settings: settings(vars, Some(&secrets)).await?,
            secrets: Arc::new(secrets),
        };
        Ok(PanelFunction { deps })
    }
}

/// Every port and setting of a deployment (the operator's `--aws` commands run every stage), plus the concrete
/// parts some callers need directly.
#[derive(Clone)]
pub struct Deployment {
    pub deps: Deps,
    /// For object metadata (`start-at`, `operator-email`).
    pub blobs: S3Blobs,
    /// The schedules, concretely (the local bridge lists and fires them in tests).
    pub schedules: EventBridgeSchedules,
}

impl Deployment {
    from_env!();

    /// Build everything from `vars` with SDK clients from `config`.
    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Deployment, String> {
        let p = Parts::new(config, vars);
        let (secrets, blobs, schedules) = (p.secrets()?, p.blobs()?, p.schedules()?);
        let deps = Deps {
            store: Arc::new(p.store()?),
            counters: Arc::new(p.counters()?),
            checkpoints: Arc::new(p.checkpoints()?),
            slots: Arc::new(p.slots()?),
            tasks: Arc::new(p.tasks()?),
            events: Arc::new(p.events()?),
            blobs: Arc::new(blobs.clone()),
            mailer: Arc::new(p.mailer()),
            schedules: Arc::new(schedules.clone()),
            clock: p.clock.clone(),
            directory: directory(vars, Some(&secrets)).await?,
            usage: Arc::new(p.usage()?),
            domains: Arc::new(p.domains()?),
            dns: Arc::new(crate::dns::HickoryMx::default()),
            settings: settings(vars, Some(&secrets)).await?,
            secrets: Arc::new(secrets),
        };
        Ok(Deployment { deps, blobs, schedules })
    }
}
