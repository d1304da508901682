//! The AWS flavour's stack on moto for end-to-end tests: the table, the three queues with their dead-letter
//! queues, the bucket (its S3 notifications on the upload queue, as `template.yaml` configures them), a KMS key,
//! a verified SES domain, a schedule group, the functions' environment — and a [`Bridge`] that plays the Lambda
//! service: it delivers queue batches to the handlers with partial-failure semantics and fires due schedules.
//! Each function is built from the variables `template.yaml` gives it and no others ([`for_function`]), holding
//! only its own ports.

use crate::moto;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use mailferry::aws::{
    CopyFunction, Deployment, KmsSecretBox, NotifierFunction, SchedulerFunction, SqsQueue, UploadFunction,
};
use mailferry::model::{JobId, JobStatus, Pass, Secret};
use mailferry::ports::{SecretBox, TaskQueue};
use mailferry_lambda::{handle_copy, handle_notifier, handle_scheduler, handle_upload};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// Deliver one batch from `queue` to `handler` as Lambda's event source mapping would: messages not reported as
/// failed are deleted; failed ones reappear after the visibility timeout. Returns how many were delivered.
pub async fn deliver<F, Fut>(queue: &SqsQueue, handler: F) -> usize
where
    F: FnOnce(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let got = queue.receive(10, Duration::from_secs(2), Duration::ZERO).await.unwrap();
    if got.is_empty() {
        return 0;
    }
    let mut event = SqsEvent::default();
    for d in &got {
        let mut m = SqsMessage::default();
        m.message_id = Some(d.id.clone());
        m.receipt_handle = Some(d.receipt.clone());
        m.body = Some(d.body.clone());
        m.attributes.insert("ApproximateReceiveCount".into(), d.receive_count.to_string());
        event.records.push(m);
    }
    let failed: Vec<String> = handler(event).await.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    for d in &got {
        if !failed.contains(&d.id) {
            queue.ack(&d.receipt).await.unwrap();
        }
    }
    got.len()
}

/// The four functions wired to their queues, as the Lambda service would run them, and the whole deployment
/// (what the operator's `--aws` commands see) for a test to look at the state with.
pub struct Bridge {
    pub deployment: Deployment,
    pub upload: UploadFunction,
    pub scheduler: SchedulerFunction,
    pub copy: CopyFunction,
    pub notifier: NotifierFunction,
    pub uploads: SqsQueue,
    pub tasks: SqsQueue,
    pub events: SqsQueue,
}

impl Bridge {
    /// Play the Lambda service until a job (the first with a report) is at rest after `pass` and notified.
    pub async fn run_until_notified(&self, pass: Pass) -> JobId {
        let l = &self.deployment;
        for _ in 0..600 {
            deliver(&self.uploads, |e| handle_upload(&self.upload, e)).await;
            for (name, at, input) in l.schedules.list().await.unwrap() {
                if at <= chrono::Utc::now() {
                    handle_scheduler(&self.scheduler, serde_json::from_str(&input).unwrap()).await.unwrap();
                    mailferry::ports::Schedules::cancel(&l.schedules, &name).await.unwrap(); // ActionAfterCompletion
                }
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            deliver(&self.tasks, |e| handle_copy(&self.copy, e, deadline)).await;
            deliver(&self.events, |e| handle_notifier(&self.notifier, e)).await;
            let reports = l.deps.blobs.list("reports/").await.unwrap();
            if let Some(job) = reports.first().and_then(|k| k.split('/').nth(1)).map(|j| JobId::new(j).unwrap()) {
                let status = l.deps.store.job(&job).await.unwrap().map(|j| j.status);
                let done = if pass == Pass::Initial { JobStatus::InitialDone } else { JobStatus::Complete };
                if status == Some(done) && l.deps.counters.seen(&format!("{job}/{pass}"), "notified").await.unwrap() {
                    return job;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the {pass} pass did not complete");
    }
}

/// One deployment on moto whose destination is the Dovecot on `dst_port` (master user `admin`).
pub struct Stack {
    pub config: aws_config::SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub bucket: String,
    pub table: String,
    /// The functions' environment (as the template sets it), also what the operator's CLI is given.
    pub vars: HashMap<&'static str, String>,
    pub bridge: Bridge,
}

impl Stack {
    /// Create every resource under unique names and build the functions from their environment.
    pub async fn start(dst_port: u16) -> Stack {
        let config = moto::sdk_config().await;
        let (dynamo, sqs) = (aws_sdk_dynamodb::Client::new(&config), aws_sdk_sqs::Client::new(&config));
        let s3 = mailferry::aws::s3_client(&config);
        let kms = aws_sdk_kms::Client::new(&config);
        let table = moto::create_table(&dynamo).await;
        let (uploads_url, uploads_dlq) = moto::create_queues(&sqs, 3).await;
        let (tasks_url, tasks_dlq) = moto::create_queues(&sqs, 2).await;
        let (events_url, events_dlq) = moto::create_queues(&sqs, 3).await;
        let bucket = moto::create_bucket(&s3).await;
        let key = moto::create_key(&kms).await;
        moto::verify_domain(&aws_sdk_sesv2::Client::new(&config), "example.test").await;
        let group = moto::unique("passes");
        aws_sdk_scheduler::Client::new(&config).create_schedule_group().name(&group).send().await.unwrap();
        notify_uploads(&s3, &bucket, &queue_arn(&sqs, &uploads_url).await).await;
        let sealed =
            KmsSecretBox::new(kms.clone(), &key).seal(&Secret::new("masterpass".into()), "destination").await.unwrap();
        let vars: HashMap<&'static str, String> = HashMap::from([
            ("TABLE_NAME", table.clone()),
            ("BUCKET_NAME", bucket.clone()),
            ("TASK_QUEUE_URL", tasks_url.clone()),
            ("TASK_DLQ_URL", tasks_dlq.clone()),
            ("EVENT_QUEUE_URL", events_url.clone()),
            ("EVENT_DLQ_URL", events_dlq.clone()),
            ("KMS_KEY_ID", key.clone()),
            ("SCHEDULE_GROUP", group),
            ("SCHEDULER_TARGET_ARN", "arn:aws:lambda:us-east-1:123456789012:function:mailferry-scheduler".into()),
            ("SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/mailferry-scheduler".into()),
            ("SENDER_EMAIL", "mailferry@example.test".into()),
            ("DEST_IMAP_URL", format!("imap://admin@127.0.0.1:{dst_port}")),
            ("DEST_MASTER_PASSWORD_SEALED", sealed.0),
            ("MAX_RECEIVE_COUNT", "2".into()),
            ("ALLOW_PRIVATE_SOURCES", "true".into()),
            ("OPERATOR_EMAIL_ALLOW", "@example.test".into()),
        ]);
        let bridge = Bridge {
            deployment: Deployment::from_vars(&config, &|name| vars.get(name).cloned()).await.unwrap(),
            upload: UploadFunction::from_vars(&config, &for_function(&vars, "UploadFunction")).await.unwrap(),
            scheduler: SchedulerFunction::from_vars(&config, &for_function(&vars, "SchedulerFunction")).await.unwrap(),
            copy: CopyFunction::from_vars(&config, &for_function(&vars, "CopyFunction")).await.unwrap(),
            notifier: NotifierFunction::from_vars(&config, &for_function(&vars, "NotifierFunction")).await.unwrap(),
            uploads: SqsQueue::new(sqs.clone(), &uploads_url, &uploads_dlq),
            tasks: SqsQueue::new(sqs.clone(), &tasks_url, &tasks_dlq),
            events: SqsQueue::new(sqs.clone(), &events_url, &events_dlq),
        };
        Stack { config, s3, dynamo, bucket, table, vars, bridge }
    }

    /// Every item of the table and every object of the bucket, as text (to look for secrets in).
    pub async fn everything_stored(&self) -> Vec<String> {
        let items = self.dynamo.scan().table_name(&self.table).send().await.unwrap();
        let mut out: Vec<String> = items.items().iter().map(|i| format!("{i:?}")).collect();
        for key in self.bridge.deployment.deps.blobs.list("").await.unwrap() {
            let body = self.bridge.deployment.deps.blobs.get(&key).await.unwrap().unwrap_or_default();
            out.push(format!("{key}: {}", String::from_utf8_lossy(&body)));
        }
        out
    }
}

/// `vars` as the function `logical_id` sees them: only the names `template.yaml` sets for it (a function that
/// reads a variable the template does not give it fails to build, here as in the cloud).
pub fn for_function<'a>(vars: &'a HashMap<&str, String>, logical_id: &str) -> impl Fn(&str) -> Option<String> + 'a {
    let given = crate::template::environment(logical_id);
    move |name| if given.contains(name) { vars.get(name).cloned() } else { None }
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let out = client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await;
    out.unwrap().attributes.unwrap().remove(&QueueAttributeName::QueueArn).unwrap()
}

/// S3 → upload queue for both upload places (`migrations/`, `imports/`), as template.yaml configures it.
async fn notify_uploads(s3: &aws_sdk_s3::Client, bucket: &str, arn: &str) {
    use aws_sdk_s3::types::*;
    let rule = |prefix: &str| {
        let filter = FilterRule::builder().name(FilterRuleName::Prefix).value(prefix).build();
        let key = S3KeyFilter::builder().filter_rules(filter).build();
        QueueConfiguration::builder()
            .queue_arn(arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .filter(NotificationConfigurationFilter::builder().key(key).build())
            .build()
            .unwrap()
    };
    let notifications = NotificationConfiguration::builder()
        .queue_configurations(rule("migrations/"))
        .queue_configurations(rule("imports/"))
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(notifications)
        .send()
        .await
        .unwrap();
}

/// Run the operator's `mailferry` with the deployment's environment (as from the stack outputs) against moto;
/// it must succeed. Its standard output.
pub fn mailferry(vars: &HashMap<&str, String>, args: &[&str]) -> String {
    let (code, stdout, stderr) = mailferry_exit(vars, args);
    assert!(code == 0, "mailferry {args:?}: {stdout}{stderr}");
    stdout
}

/// The same, for a command whose exit status the test looks at: exit code, stdout, stderr.
pub fn mailferry_exit(vars: &HashMap<&str, String>, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(crate::mailferry_bin())
        .args(args)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}
