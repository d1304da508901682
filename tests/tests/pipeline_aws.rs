//! The AWS flavour end to end, against moto and Dovecot, with a small local bridge playing the Lambda service:
//! a CSV put into S3 (a Microsoft 365 batch file, its server given by the object's metadata) → moto's S3 notification lands on the upload queue → the bridge delivers it to the upload
//! handler → the job is stored and a one-time schedule created → the bridge fires the due schedule into the
//! scheduler handler → delivers task batches to the copy handler with partial-failure semantics (failed messages
//! come back after the visibility timeout; a poison message ends in the dead-letter queue) → DynamoDB
//! checkpoints advance → the notifier's email is in moto's SES → a final pass copies exactly the new mail.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use mailferry::aws::{DynamoCheckpoints, KmsSecretBox, SqsQueue};
use mailferry::imap::OutMessage;
use mailferry::model::{FolderKey, JobId, JobStatus, Pass, Secret};
use mailferry::ports::{Checkpoints, SecretBox, SystemClock, TaskQueue};
use mailferry_lambda::{Lambda, handle_copy, handle_notifier, handle_scheduler, handle_upload};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::{moto, pipeline, verify};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Deliver one batch from `queue` to `handler` as Lambda's event source mapping would: messages not reported as
/// failed are deleted; failed ones reappear after the visibility timeout. Returns how many were delivered.
async fn deliver<F, Fut>(queue: &SqsQueue, handler: F) -> usize
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

struct Bridge {
    lambda: Lambda,
    uploads: SqsQueue,
    tasks: SqsQueue,
    events: SqsQueue,
}

impl Bridge {
    /// Play the Lambda service until `job` (once known) is at rest after `pass` and notified.
    async fn run_until_notified(&self, pass: Pass) -> JobId {
        let l = &self.lambda;
        for _ in 0..600 {
            deliver(&self.uploads, |e| handle_upload(l, e)).await;
            for (name, at, input) in l.schedules.list().await.unwrap() {
                if at <= chrono::Utc::now() {
                    handle_scheduler(l, serde_json::from_str(&input).unwrap()).await.unwrap();
                    mailferry::ports::Schedules::cancel(&l.schedules, &name).await.unwrap(); // ActionAfterCompletion
                }
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            deliver(&self.tasks, |e| handle_copy(l, e, deadline)).await;
            deliver(&self.events, |e| handle_notifier(l, e)).await;
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

/// Run the operator's `mailferry` with the deployment's environment (as from the stack outputs) against moto.
fn mailferry(vars: &HashMap<&str, String>, args: &[&str]) -> String {
    let bin = std::env::current_exe().unwrap().parent().and_then(|d| d.parent()).unwrap().join("mailferry");
    let out = std::process::Command::new(bin)
        .args(args)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "mailferry {args:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

async fn queue_arn(client: &aws_sdk_sqs::Client, url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    let out = client.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await;
    out.unwrap().attributes.unwrap().remove(&QueueAttributeName::QueueArn).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_upload_to_notified_migration_then_final_pass() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    for (user, seed, n) in [("user1@example.test", 61, 60), ("user2@example.test", 62, 30)] {
        let mut s = corpus::login(src.port, user, "pass").await;
        corpus::fill(&mut s, &Spec { seed, messages: n, large: vec![] }, 0..usize::MAX).await;
        s.logout().await;
    }
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
    // S3 → upload queue for both upload places, as template.yaml configures it.
    let arn = queue_arn(&sqs, &uploads_url).await;
    let rule = |prefix: &str| {
        use aws_sdk_s3::types::*;
        let filter = FilterRule::builder().name(FilterRuleName::Prefix).value(prefix).build();
        QueueConfiguration::builder()
            .queue_arn(&arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .filter(
                NotificationConfigurationFilter::builder()
                    .key(S3KeyFilter::builder().filter_rules(filter).build())
                    .build(),
            )
            .build()
            .unwrap()
    };
    let notifications = aws_sdk_s3::types::NotificationConfiguration::builder()
        .queue_configurations(rule("migrations/"))
        .queue_configurations(rule("imports/"))
        .build();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(notifications)
        .send()
        .await
        .unwrap();

    let sealed =
        KmsSecretBox::new(kms.clone(), &key).seal(&Secret::new("masterpass".into()), "destination").await.unwrap();
    let vars: HashMap<&str, String> = HashMap::from([
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
        ("DEST_IMAP_URL", format!("imap://admin@127.0.0.1:{}", dst.port)),
        ("DEST_MASTER_PASSWORD_SEALED", sealed.0),
        ("MAX_RECEIVE_COUNT", "2".into()),
        ("ALLOW_PRIVATE_SOURCES", "true".into()),
        ("OPERATOR_EMAIL_ALLOW", "@example.test".into()),
    ]);
    let lambda = Lambda::from_vars(&config, &|name| vars.get(name).cloned()).await.unwrap();
    let bridge = Bridge {
        lambda,
        uploads: SqsQueue::new(sqs.clone(), &uploads_url, &uploads_dlq),
        tasks: SqsQueue::new(sqs.clone(), &tasks_url, &tasks_dlq),
        events: SqsQueue::new(sqs.clone(), &events_url, &events_dlq),
    };
    // A poison message on the task queue: reported failed on each delivery, then dead-lettered by SQS.
    bridge.tasks.send(&["not a task".to_string()], Duration::ZERO).await.unwrap();

    pipeline::own(&bridge.lambda.deps, "acme", "example.test").await;
    // A Microsoft 365 batch file names no server: the upload's metadata gives it for the whole job.
    let csv = "EmailAddress,UserName,Password\r\nuser1@example.test,user1@example.test,pass\r\n\
               user2@example.test,user2@example.test,pass\r\n";
    let start = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    s3.put_object()
        .bucket(&bucket)
        .key("migrations/acme/batch one.csv")
        .metadata("start-at", start)
        .metadata("operator-email", "ops@example.test")
        .metadata("source-host", "127.0.0.1")
        .metadata("source-port", src.port.to_string())
        .metadata("source-security", "plain")
        .body(csv.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    let job = bridge.run_until_notified(Pass::Initial).await;
    for user in ["user1@example.test", "user2@example.test"] {
        let (a, b) = (verify::digest(src.port, user, "pass").await, verify::digest(dst.port, user, "pass").await);
        let diffs = verify::compare(&a, &b, |p| p.to_string());
        assert!(diffs.is_empty(), "{user}: source and destination differ:\n{}", diffs.join("\n"));
    }
    let checkpoints = DynamoCheckpoints::new(dynamo.clone(), &table, Arc::new(SystemClock));
    let inbox = FolderKey { job: job.clone(), mailbox: "user1@example.test".into(), folder: "INBOX".into() };
    let cp = checkpoints.load(&inbox).await.unwrap().expect("an INBOX checkpoint in DynamoDB");
    assert!(cp.done && cp.last_uid.is_some() && cp.copied > 0, "{cp:?}");
    assert!(s3.get_object().bucket(&bucket).key("migrations/acme/batch one.csv").send().await.is_err(), "CSV deleted");
    // Keep delivering until SQS gives up on the poison message (after maxReceiveCount = 2 failed deliveries).
    let mut dead_lettered = false;
    for _ in 0..40 {
        let l = &bridge.lambda;
        deliver(&bridge.tasks, |e| handle_copy(l, e, tokio::time::Instant::now() + Duration::from_secs(60))).await;
        if bridge.tasks.dead_letters(10).await.unwrap().iter().any(|d| d.body == "not a task") {
            dead_lettered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(dead_lettered, "the poison message is in the dead-letter queue");

    // Five new messages; the operator schedules the final pass (what `mailferry schedule` does).
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let new: Vec<OutMessage> =
        (0..5).map(|i| Spec { seed: 63, messages: 5, large: vec![] }.message(0, i).into()).collect();
    s.append_all("INBOX", &new).await.unwrap();
    s.logout().await;
    let out = mailferry(&vars, &["schedule", job.as_str(), "--pass", "final", "--at", "now", "--aws"]);
    assert!(out.contains("final pass of") && out.contains("EventBridge Scheduler"), "{out}");
    bridge.run_until_notified(Pass::Final).await;
    let status: serde_json::Value =
        serde_json::from_str(&mailferry(&vars, &["status", job.as_str(), "--aws", "--json"])).unwrap();
    assert_eq!((status["job"]["status"].as_str(), status["passes"][1]["copied"].as_i64()), (Some("complete"), Some(5)));
    let totals = bridge.lambda.deps.counters.get(&format!("{job}/final")).await.unwrap();
    assert_eq!(totals["copied"], 5);
    let sent = moto::sent_emails().await;
    let ours: Vec<&serde_json::Value> = sent["Message"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains("batch one.csv")))
        .collect();
    assert_eq!(ours.len(), 2, "one email per pass: {sent}");
    assert!(ours.iter().all(|m| m["destinations"]["ToAddresses"][0] == "ops@example.test"));
    let mailboxes = bridge.lambda.deps.store.mailboxes(&job).await.unwrap();
    assert!(mailboxes.iter().all(|m| m.sealed_credentials.is_none()), "credentials purged after the final pass");
}
