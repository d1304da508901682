//! A deployment's ports, each built on request from the SDK configuration and the function's environment, so a
//! function makes the clients (and reads the variables) of the ports it holds and no others: the upload function
//! never builds an SES client, the notifier never a KMS one.

use super::{
    DynamoCheckpoints, DynamoCounters, DynamoDomainOwners, DynamoSlots, DynamoStore, DynamoUsage, EventBridgeSchedules,
    KmsSecretBox, S3Blobs, SesMailer, SqsQueue, s3_client,
};
use crate::ports::SystemClock;
use std::sync::{Arc, OnceLock};

/// Where settings are looked up: the process environment in a function, a map in tests.
pub type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A required variable.
pub(super) fn var(vars: Vars<'_>, name: &str) -> Result<String, String> {
    vars(name).ok_or_else(|| format!("environment variable {name} is not set"))
}

/// An optional number (`default` when unset).
pub(super) fn number(vars: Vars<'_>, name: &str, default: usize) -> Result<usize, String> {
    match vars(name) {
        Some(v) => v.parse().map_err(|_| format!("{name}={v:?} is not a number")),
        None => Ok(default),
    }
}

/// The port factory of one function's cold start; clients of one service are made once and shared.
pub(super) struct Parts<'a> {
    config: &'a aws_config::SdkConfig,
    pub vars: Vars<'a>,
    pub clock: Arc<SystemClock>,
    dynamo: OnceLock<aws_sdk_dynamodb::Client>,
    sqs: OnceLock<aws_sdk_sqs::Client>,
}

impl<'a> Parts<'a> {
    pub fn new(config: &'a aws_config::SdkConfig, vars: Vars<'a>) -> Self {
        Parts { config, vars, clock: Arc::new(SystemClock), dynamo: OnceLock::new(), sqs: OnceLock::new() }
    }

    /// The state table's client and name (`TABLE_NAME`).
    fn table(&self) -> Result<(aws_sdk_dynamodb::Client, String), String> {
        let table = var(self.vars, "TABLE_NAME")?;
        Ok((self.dynamo.get_or_init(|| aws_sdk_dynamodb::Client::new(self.config)).clone(), table))
    }

    pub fn store(&self) -> Result<DynamoStore, String> {
        self.table().map(|(client, table)| DynamoStore::new(client, table))
    }

    pub fn counters(&self) -> Result<DynamoCounters, String> {
        self.table().map(|(client, table)| DynamoCounters::new(client, table))
    }

    pub fn checkpoints(&self) -> Result<DynamoCheckpoints, String> {
        self.table().map(|(client, table)| DynamoCheckpoints::new(client, table, self.clock.clone()))
    }

    pub fn slots(&self) -> Result<DynamoSlots, String> {
        self.table().map(|(client, table)| DynamoSlots::new(client, table, self.clock.clone()))
    }

    pub fn usage(&self) -> Result<DynamoUsage, String> {
        self.table().map(|(client, table)| DynamoUsage::new(client, table))
    }

    pub fn domains(&self) -> Result<DynamoDomainOwners, String> {
        self.table().map(|(client, table)| DynamoDomainOwners::new(client, table))
    }

    /// A queue and its dead-letter queue from `<NAME>_QUEUE_URL` and `<NAME>_DLQ_URL`.
    fn queue(&self, name: &str) -> Result<SqsQueue, String> {
        let (url, dlq) = (var(self.vars, &format!("{name}_QUEUE_URL"))?, var(self.vars, &format!("{name}_DLQ_URL"))?);
        Ok(SqsQueue::new(self.sqs.get_or_init(|| aws_sdk_sqs::Client::new(self.config)).clone(), url, dlq))
    }

    /// Mailbox and folder tasks.
    pub fn tasks(&self) -> Result<SqsQueue, String> {
        self.queue("TASK")
    }

    /// "Pass complete" events.
    pub fn events(&self) -> Result<SqsQueue, String> {
        self.queue("EVENT")
    }

    pub fn blobs(&self) -> Result<S3Blobs, String> {
        Ok(S3Blobs::new(s3_client(self.config), var(self.vars, "BUCKET_NAME")?))
    }

    pub fn secrets(&self) -> Result<KmsSecretBox, String> {
        Ok(KmsSecretBox::new(aws_sdk_kms::Client::new(self.config), var(self.vars, "KMS_KEY_ID")?))
    }

    pub fn schedules(&self) -> Result<EventBridgeSchedules, String> {
        Ok(EventBridgeSchedules::new(
            aws_sdk_scheduler::Client::new(self.config),
            var(self.vars, "SCHEDULE_GROUP")?,
            var(self.vars, "SCHEDULER_TARGET_ARN")?,
            var(self.vars, "SCHEDULER_ROLE_ARN")?,
        ))
    }

    pub fn mailer(&self) -> SesMailer {
        SesMailer::new(aws_sdk_sesv2::Client::new(self.config))
    }

    /// Deliveries after which a task goes to the dead-letter queue (the queue's `maxReceiveCount`).
    pub fn max_receives(&self) -> Result<u32, String> {
        let n = number(self.vars, "MAX_RECEIVE_COUNT", 5)?;
        u32::try_from(n).map_err(|_| format!("MAX_RECEIVE_COUNT={n} is too large"))
    }
}
