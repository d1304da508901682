//! The AWS composition root: a deployment's ports and settings from the environment `template.yaml` gives each
//! function (table, bucket, queues, key, schedule group, the destination platform, the import target). The
//! Lambda functions and the CLI's `--aws` commands build it the same way. Clients come from the standard SDK
//! configuration (`AWS_ENDPOINT_URL` points them at moto in tests).

use super::{
    DynamoCheckpoints, DynamoCounters, DynamoDomainOwners, DynamoSlots, DynamoStore, DynamoUsage, EventBridgeSchedules,
    KmsSecretBox, S3Blobs, SesMailer, SqsQueue, load_config, s3_client,
};
use crate::engine::CopySettings;
use crate::imap::url::parse;
use crate::model::Secret;
use crate::ports::{Directory, Sealed, SecretBox, SystemClock};
use crate::stages::{Connections, Deps, Destination, Settings};
use std::sync::Arc;
use std::time::Duration;

/// A deployment's ports and settings, plus the concrete parts some handlers need directly.
#[derive(Clone)]
pub struct Deployment {
    pub deps: Deps,
    /// For object metadata (`start-at`, `operator-email`).
    pub blobs: S3Blobs,
    /// The schedules, concretely (the local bridge lists and fires them in tests).
    pub schedules: EventBridgeSchedules,
    /// Deliveries after which a message goes to the dead-letter queue (the queue's `maxReceiveCount`).
    pub max_receives: u32,
}

/// Where settings are looked up: the process environment in a function, a map in tests.
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

fn var(vars: Vars<'_>, name: &str) -> Result<String, String> {
    vars(name).ok_or_else(|| format!("environment variable {name} is not set"))
}

fn number(vars: Vars<'_>, name: &str, default: usize) -> Result<usize, String> {
    match vars(name) {
        Some(v) => v.parse().map_err(|_| format!("{name}={v:?} is not a number")),
        None => Ok(default),
    }
}

/// A value sealed with the deployment's key under `context`, from variable `name` (`None` when unset).
async fn opened(
    vars: Vars<'_>,
    name: &str,
    secrets: &KmsSecretBox,
    context: &str,
) -> Result<Option<Secret<String>>, String> {
    match vars(name).filter(|v| !v.is_empty()) {
        Some(sealed) => secrets.open(&Sealed(sealed), context).await.map(Some).map_err(|e| format!("{name}: {e}")),
        None => Ok(None),
    }
}

impl Deployment {
    /// Build everything from the environment (once per cold start).
    pub async fn from_env() -> Result<Deployment, String> {
        Self::from_vars(&load_config().await, &|name| std::env::var(name).ok()).await
    }

    /// Build everything from `vars` with SDK clients from `config`.
    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Deployment, String> {
        let table = var(vars, "TABLE_NAME")?;
        let dynamo = aws_sdk_dynamodb::Client::new(config);
        let sqs = aws_sdk_sqs::Client::new(config);
        let secrets = KmsSecretBox::new(aws_sdk_kms::Client::new(config), var(vars, "KMS_KEY_ID")?);
        let blobs = S3Blobs::new(s3_client(config), var(vars, "BUCKET_NAME")?);
        let schedules = EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(config),
            var(vars, "SCHEDULE_GROUP")?,
            var(vars, "SCHEDULER_TARGET_ARN")?,
            var(vars, "SCHEDULER_ROLE_ARN")?,
        );
        let settings = settings(vars, &secrets).await?;
        let directory = directory(vars, &secrets).await?;
        let clock = Arc::new(SystemClock);
        let deps = Deps {
            store: Arc::new(DynamoStore::new(dynamo.clone(), &table)),
            counters: Arc::new(DynamoCounters::new(dynamo.clone(), &table)),
            checkpoints: Arc::new(DynamoCheckpoints::new(dynamo.clone(), &table, clock.clone())),
            slots: Arc::new(DynamoSlots::new(dynamo.clone(), &table, clock.clone())),
            tasks: Arc::new(SqsQueue::new(sqs.clone(), var(vars, "TASK_QUEUE_URL")?, var(vars, "TASK_DLQ_URL")?)),
            events: Arc::new(SqsQueue::new(sqs, var(vars, "EVENT_QUEUE_URL")?, var(vars, "EVENT_DLQ_URL")?)),
            blobs: Arc::new(blobs.clone()),
            mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(config))),
            secrets: Arc::new(secrets),
            schedules: Arc::new(schedules.clone()),
            clock,
            directory,
            usage: Arc::new(DynamoUsage::new(dynamo.clone(), &table)),
            domains: Arc::new(DynamoDomainOwners::new(dynamo, &table)),
            dns: Arc::new(crate::dns::HickoryMx::default()),
            settings,
        };
        let max_receives = number(vars, "MAX_RECEIVE_COUNT", 5)? as u32;
        Ok(Deployment { deps, blobs, schedules, max_receives })
    }
}

/// The deployment's settings; the destination's master password is stored sealed with the deployment's key
/// (`mailferry seal`, context `destination`).
async fn settings(vars: Vars<'_>, secrets: &KmsSecretBox) -> Result<Settings, String> {
    let dest = parse(&var(vars, "DEST_IMAP_URL")?)?;
    let master_password = opened(vars, "DEST_MASTER_PASSWORD_SEALED", secrets, "destination")
        .await?
        .unwrap_or_else(|| Secret::new(String::new()));
    let timeout = Duration::from_secs(60);
    let allow: Vec<String> = vars("OPERATOR_EMAIL_ALLOW")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Settings {
        destination: Destination { endpoint: dest.endpoint(None, timeout), master_user: dest.user, master_password },
        source_ca_file: None,
        // Off unless the deployment says so (template parameter AllowPrivateSources).
        allow_private_sources: vars("ALLOW_PRIVATE_SOURCES").is_some_and(|v| v == "true"),
        imap_timeout: timeout,
        credential_retention: Duration::from_secs(86_400 * number(vars, "CREDENTIAL_RETENTION_DAYS", 30)? as u64),
        mailboxes_in_flight: number(vars, "MAILBOXES_IN_FLIGHT", 10)?,
        preflight_concurrency: number(vars, "PREFLIGHT_CONCURRENCY", 8)?,
        copy: CopySettings {
            owner: format!("lambda:{}", vars("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default()),
            ..Default::default()
        },
        connections: Connections {
            per_mailbox: number(vars, "CONNECTIONS_PER_MAILBOX", 4)? as u32,
            per_source_host: number(vars, "CONNECTIONS_PER_SOURCE_HOST", 20)? as u32,
            small_folder: number(vars, "SMALL_FOLDER_MESSAGES", 2000)? as u32,
        },
        budget: crate::stages::budget::Budgets::parse(&vars("SOURCE_BUDGET").unwrap_or_default())
            .map_err(|e| format!("SOURCE_BUDGET: {e}"))?,
        sender: var(vars, "SENDER_EMAIL")?,
        default_operator: vars("OPERATOR_EMAIL").filter(|s| !s.is_empty()),
        operator_allow: Some(allow),
        reports_at: format!("s3://{}/", var(vars, "BUCKET_NAME")?),
        command_scope: "--aws".into(),
    })
}

/// Where imports create accounts: PostgreSQL (PostfixAdmin schema, e.g. RDS in the function's VPC) when a target
/// is configured, its password sealed with the deployment's key (context `import-target`).
#[cfg(feature = "postgres")]
async fn directory(vars: Vars<'_>, secrets: &KmsSecretBox) -> Result<Option<Arc<dyn Directory>>, String> {
    use crate::import::postgres::{PostgresDirectory, connect};
    let Some(url) = vars("IMPORT_TARGET").filter(|t| !t.is_empty()) else { return Ok(None) };
    let password = opened(vars, "IMPORT_TARGET_PASSWORD_SEALED", secrets, "import-target").await?;
    let ca = vars("IMPORT_CA_FILE").map(std::path::PathBuf::from);
    let client = connect(&url, password.as_ref(), ca.as_deref()).await.map_err(|e| format!("IMPORT_TARGET: {e}"))?;
    Ok(Some(Arc::new(PostgresDirectory::new(client))))
}

#[cfg(not(feature = "postgres"))]
async fn directory(vars: Vars<'_>, _: &KmsSecretBox) -> Result<Option<Arc<dyn Directory>>, String> {
    match vars("IMPORT_TARGET").filter(|t| !t.is_empty()) {
        Some(_) => Err("IMPORT_TARGET: this build has no PostgreSQL support (feature postgres)".into()),
        None => Ok(None),
    }
}
