//! The deployment from the environment: table, bucket, queues, key, schedule group and the destination
//! platform, as `template.yaml` sets them. Clients come from the standard SDK configuration (`AWS_ENDPOINT_URL`
//! points them at moto in tests).

use mailferry::aws::{
    DynamoCheckpoints, DynamoCounters, DynamoDomainOwners, DynamoSlots, DynamoStore, DynamoUsage, EventBridgeSchedules,
    KmsSecretBox, S3Blobs, SesMailer, SqsQueue, load_config, s3_client,
};
use mailferry::engine::CopySettings;
use mailferry::imap::url::parse;
use mailferry::imap::{Endpoint, Networks};
use mailferry::import::postgres::{PostgresDirectory, connect};
use mailferry::model::Secret;
use mailferry::ports::{Directory, Sealed, SecretBox, SystemClock};
use mailferry::stages::{Connections, Deps, Destination, Settings};
use std::sync::Arc;
use std::time::Duration;

/// A function's ports and settings, plus the concrete parts some handlers need directly.
#[derive(Clone)]
pub struct Lambda {
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

impl Lambda {
    /// Build everything from the environment (once per cold start).
    pub async fn from_env() -> Result<Lambda, String> {
        Self::from_vars(&load_config().await, &|name| std::env::var(name).ok()).await
    }

    /// Build everything from `vars` with SDK clients from `config`.
    pub async fn from_vars(config: &aws_config::SdkConfig, vars: Vars<'_>) -> Result<Lambda, String> {
        let var = |name: &str| vars(name).ok_or_else(|| format!("environment variable {name} is not set"));
        let number = |name: &str, default: usize| match vars(name) {
            Some(v) => v.parse().map_err(|_| format!("{name}={v:?} is not a number")),
            None => Ok(default),
        };
        let config = config.clone();
        let table = var("TABLE_NAME")?;
        let dynamo = aws_sdk_dynamodb::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let secrets = KmsSecretBox::new(aws_sdk_kms::Client::new(&config), var("KMS_KEY_ID")?);
        let blobs = S3Blobs::new(s3_client(&config), var("BUCKET_NAME")?);
        let schedules = EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(&config),
            var("SCHEDULE_GROUP")?,
            var("SCHEDULER_TARGET_ARN")?,
            var("SCHEDULER_ROLE_ARN")?,
        );
        // The destination's master password is stored sealed with the deployment's key (`mailferry seal`).
        let dest = parse(&var("DEST_IMAP_URL")?)?;
        let master_password = match vars("DEST_MASTER_PASSWORD_SEALED") {
            Some(sealed) => secrets
                .open(&Sealed(sealed), "destination")
                .await
                .map_err(|e| format!("DEST_MASTER_PASSWORD_SEALED: {e}"))?,
            None => Secret::new(String::new()),
        };
        let timeout = Duration::from_secs(60);
        let clock = Arc::new(SystemClock);
        let settings = Settings {
            destination: Destination {
                endpoint: Endpoint {
                    host: dest.host,
                    port: dest.port,
                    security: dest.security,
                    ca_file: None,
                    timeout,
                    networks: Networks::Any,
                },
                master_user: dest.user,
                master_password,
            },
            source_ca_file: None,
            // Off unless the deployment says so (template parameter AllowPrivateSources).
            allow_private_sources: vars("ALLOW_PRIVATE_SOURCES").is_some_and(|v| v == "true"),
            imap_timeout: timeout,
            credential_retention: Duration::from_secs(86_400 * number("CREDENTIAL_RETENTION_DAYS", 30)? as u64),
            mailboxes_in_flight: number("MAILBOXES_IN_FLIGHT", 10)?,
            preflight_concurrency: number("PREFLIGHT_CONCURRENCY", 8)?,
            copy: CopySettings {
                owner: format!("lambda:{}", vars("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default()),
                ..Default::default()
            },
            connections: Connections {
                per_mailbox: number("CONNECTIONS_PER_MAILBOX", 4)? as u32,
                per_source_host: number("CONNECTIONS_PER_SOURCE_HOST", 20)? as u32,
                small_folder: number("SMALL_FOLDER_MESSAGES", 2000)? as u32,
            },
            budget: mailferry::stages::budget::Budgets::parse(&vars("SOURCE_BUDGET").unwrap_or_default())
                .map_err(|e| format!("SOURCE_BUDGET: {e}"))?,
            sender: var("SENDER_EMAIL")?,
            default_operator: vars("OPERATOR_EMAIL").filter(|s| !s.is_empty()),
            operator_allow: Some(
                vars("OPERATOR_EMAIL_ALLOW")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            reports_at: format!("s3://{}/", var("BUCKET_NAME")?),
            command_scope: "--aws".into(),
        };
        // Imports create accounts in PostgreSQL (PostfixAdmin schema, e.g. RDS in the function's VPC) when a
        // target is configured; its password is sealed with the deployment's key (context `import-target`).
        let directory: Option<Arc<dyn Directory>> = match vars("IMPORT_TARGET").filter(|t| !t.is_empty()) {
            Some(url) => {
                let password = match vars("IMPORT_TARGET_PASSWORD_SEALED").filter(|p| !p.is_empty()) {
                    Some(sealed) => Some(
                        secrets
                            .open(&Sealed(sealed), "import-target")
                            .await
                            .map_err(|e| format!("IMPORT_TARGET_PASSWORD_SEALED: {e}"))?,
                    ),
                    None => None,
                };
                let ca = vars("IMPORT_CA_FILE").map(std::path::PathBuf::from);
                let client =
                    connect(&url, password.as_ref(), ca.as_deref()).await.map_err(|e| format!("IMPORT_TARGET: {e}"))?;
                Some(Arc::new(PostgresDirectory::new(client)))
            }
            None => None,
        };
        let dynamo_usage = dynamo.clone();
        let deps = Deps {
            store: Arc::new(DynamoStore::new(dynamo.clone(), &table)),
            counters: Arc::new(DynamoCounters::new(dynamo.clone(), &table)),
            checkpoints: Arc::new(DynamoCheckpoints::new(dynamo.clone(), &table, clock.clone())),
            slots: Arc::new(DynamoSlots::new(dynamo.clone(), &table, clock.clone())),
            tasks: Arc::new(SqsQueue::new(sqs.clone(), var("TASK_QUEUE_URL")?, var("TASK_DLQ_URL")?)),
            events: Arc::new(SqsQueue::new(sqs, var("EVENT_QUEUE_URL")?, var("EVENT_DLQ_URL")?)),
            blobs: Arc::new(blobs.clone()),
            mailer: Arc::new(SesMailer::new(aws_sdk_sesv2::Client::new(&config))),
            secrets: Arc::new(secrets),
            schedules: Arc::new(schedules.clone()),
            clock,
            directory,
            usage: Arc::new(DynamoUsage::new(dynamo_usage.clone(), &table)),
            domains: Arc::new(DynamoDomainOwners::new(dynamo_usage, &table)),
            dns: Arc::new(mailferry::dns::HickoryMx::default()),
            settings,
        };
        Ok(Lambda { deps, blobs, schedules, max_receives: number("MAX_RECEIVE_COUNT", 5)? as u32 })
    }
}
