//! The port contract suite against the AWS home, on moto (one server for this test binary, unique resource
//! names per test).

use chrono::Utc;
use mailferry::aws::{
    DynamoCheckpoints, DynamoCounters, DynamoSlots, DynamoStore, KmsSecretBox, S3Blobs, SesMailer, SqsQueue, s3_client,
};
use mailferry::ports::{Email, Mailer, ManualClock, SystemClock};
use mailferry_tests::{contract, moto};
use std::sync::Arc;

async fn dynamo() -> (aws_sdk_dynamodb::Client, String) {
    let client = aws_sdk_dynamodb::Client::new(&moto::sdk_config().await);
    let table = moto::create_table(&client).await;
    (client, table)
}

async fn queue(max_receives: u32) -> SqsQueue {
    let client = aws_sdk_sqs::Client::new(&moto::sdk_config().await);
    let (url, dlq) = moto::create_queues(&client, max_receives).await;
    SqsQueue::new(client, url, dlq)
}

#[tokio::test]
async fn checkpoint_conflict() {
    let (c, t) = dynamo().await;
    contract::checkpoint_conflict(&DynamoCheckpoints::new(c, t, Arc::new(SystemClock))).await;
}

#[tokio::test]
async fn lost_lease_takeover() {
    let (c, t) = dynamo().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    contract::lost_lease_takeover(&DynamoCheckpoints::new(c, t, clock.clone()), &clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_winner_among_racing_workers() {
    let (c, t) = dynamo().await;
    contract::one_winner_among_racing_workers(Arc::new(DynamoCheckpoints::new(c, t, Arc::new(SystemClock))), false)
        .await;
}

#[tokio::test]
async fn redelivery_after_visibility_timeout() {
    contract::redelivery_after_visibility_timeout(&queue(5).await).await;
}

#[tokio::test]
async fn dead_lettering_after_max_receives() {
    contract::dead_lettering_after_max_receives(&queue(2).await).await;
}

#[tokio::test]
async fn delay_and_back_off() {
    contract::delay_and_back_off(&queue(5).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_under_concurrency() {
    let (c, t) = dynamo().await;
    contract::counters_under_concurrency(Arc::new(DynamoCounters::new(c, t)), 1).await;
}

#[tokio::test]
async fn seal_open_and_tamper_detection() {
    let client = aws_sdk_kms::Client::new(&moto::sdk_config().await);
    let key = moto::create_key(&client).await;
    contract::seal_open_and_tamper_detection(&KmsSecretBox::new(client, key)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_store() {
    let (c, t) = dynamo().await;
    contract::job_store(Arc::new(DynamoStore::new(c, t)), false).await;
}

#[tokio::test]
async fn blobs() {
    let client = s3_client(&moto::sdk_config().await);
    let bucket = moto::create_bucket(&client).await;
    contract::blobs(&S3Blobs::new(client, bucket)).await;
}

#[tokio::test]
async fn ses_email_is_visible_in_moto() {
    let client = aws_sdk_sesv2::Client::new(&moto::sdk_config().await);
    let domain = format!("{}.example.com", moto::unique("notify"));
    moto::verify_domain(&client, &domain).await;
    let subject = moto::unique("First pass complete");
    let email = Email {
        from: format!("mailferry@{domain}"),
        to: vec!["ops@example.com".into()],
        subject: subject.clone(),
        text: "2 mailboxes copied".into(),
        html: Some("<p>2 mailboxes copied</p>".into()),
    };
    SesMailer::new(client).send(&email).await.unwrap();
    let sent = moto::sent_emails().await;
    // moto keeps only the HTML body when both are sent.
    let found = sent["Message"].as_array().into_iter().flatten().any(|m| {
        m["subject"] == subject.as_str()
            && m["destinations"]["ToAddresses"][0] == "ops@example.com"
            && m["body"] == "<p>2 mailboxes copied</p>"
    });
    assert!(found, "the email must be in moto's sent mail: {sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counters_add_once() {
    let (c, t) = dynamo().await;
    contract::counters_add_once(Arc::new(DynamoCounters::new(c, t)), false).await;
}

#[tokio::test]
async fn eventbridge_schedules() {
    use mailferry::aws::EventBridgeSchedules;
    use mailferry::ports::Schedules;
    let client = aws_sdk_scheduler::Client::new(&moto::sdk_config().await);
    let group = moto::unique("mf-group");
    client.create_schedule_group().name(&group).send().await.unwrap();
    let target = "arn:aws:lambda:us-east-1:123456789012:function:scheduler";
    let s = EventBridgeSchedules::new(client, &group, target, "arn:aws:iam::123456789012:role/scheduler");
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-24T22:00:00Z").unwrap().to_utc();
    s.schedule_at("job-1-initial", at, r#"{"job":"job-1","pass":"initial"}"#).await.unwrap();
    // Scheduling the same pass again moves it.
    let later = at + chrono::Duration::hours(1);
    s.schedule_at("job-1-initial", later, r#"{"job":"job-1","pass":"initial"}"#).await.unwrap();
    let listed = s.list().await.unwrap();
    assert_eq!(listed, [("job-1-initial".to_string(), later, r#"{"job":"job-1","pass":"initial"}"#.to_string())]);
    s.cancel("job-1-initial").await.unwrap();
    s.cancel("job-1-initial").await.unwrap();
    assert!(s.list().await.unwrap().is_empty());
    contract::schedules_of_a_job(&s).await;
}

#[tokio::test]
async fn usage_ledger() {
    let (c, t) = dynamo().await;
    contract::usage_ledger(&mailferry::aws::DynamoUsage::new(c, t)).await;
}

#[tokio::test]
async fn domain_owners() {
    // moto applies concurrent conditional writes without a lock (see job_store), so claims race one at a time.
    let (c, t) = dynamo().await;
    contract::domain_owners(std::sync::Arc::new(mailferry::aws::DynamoDomainOwners::new(c, t)), false).await;
}

#[tokio::test]
async fn long_folder_paths() {
    let (c, t) = dynamo().await;
    let cp = DynamoCheckpoints::new(c.clone(), t.clone(), Arc::new(SystemClock));
    contract::long_folder_paths(&cp, Arc::new(DynamoCounters::new(c, t))).await;
}

#[tokio::test]
async fn slots_cap_and_expiry() {
    let (c, t) = dynamo().await;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    contract::slots_cap_and_expiry(&DynamoSlots::new(c, t, clock.clone()), &clock).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slots_racing_takers() {
    let (c, t) = dynamo().await;
    contract::slots_racing_takers(Arc::new(DynamoSlots::new(c, t, Arc::new(SystemClock))), false).await;
}
