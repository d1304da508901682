//! The AWS home: each port on its AWS service (DynamoDB, SQS, S3, SES v2, KMS, EventBridge Scheduler, Cognito).
//! Every implementation receives its SDK client from outside (built by the entry point from the environment);
//! nothing else in the crate names an AWS type.

mod checkpoints;
mod cognito;
mod config;
mod counters;
mod deployment;
mod domains;
mod error;
mod keys;
mod kms;
mod parts;
mod s3;
mod scheduler;
mod ses;
mod settings;
mod slots;
mod sqs;
mod store;
mod usage;

pub use checkpoints::DynamoCheckpoints;
pub use cognito::CognitoSignIn;
pub use config::{load_config, s3_client};
pub use counters::DynamoCounters;
pub use deployment::{CopyFunction, Deployment, NotifierFunction, PanelFunction, SchedulerFunction, UploadFunction};
pub use domains::DynamoDomainOwners;
pub use kms::KmsSecretBox;
pub use parts::Vars;
pub use s3::S3Blobs;
pub use scheduler::EventBridgeSchedules;
pub use ses::SesMailer;
pub use slots::DynamoSlots;
pub use sqs::SqsQueue;
pub use store::DynamoStore;
pub use usage::DynamoUsage;
