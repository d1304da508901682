//! The AWS flavour end to end, against moto and Dovecot, with a small local bridge playing the Lambda service:
//! a CSV put into S3 (a Microsoft 365 batch file, its server given by the object's metadata) → moto's S3 notification lands on the upload queue → the bridge delivers it to the upload
//! handler → the job is stored and a one-time schedule created → the bridge fires the due schedule into the
//! scheduler handler → delivers task batches to the copy handler with partial-failure semantics (failed messages
//! come back after the visibility timeout; a poison message ends in the dead-letter queue) → DynamoDB
//! checkpoints advance → the notifier's email is in moto's SES → a final pass copies exactly the new mail.

use mailferry::aws::DynamoCheckpoints;
use mailferry::imap::OutMessage;
use mailferry::model::{FolderKey, Pass};
use mailferry::ports::{Checkpoints, SystemClock, TaskQueue};
use mailferry_lambda::handle_copy;
use mailferry_tests::aws_stack::{Stack, deliver, mailferry};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::{moto, pipeline, verify};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_upload_to_notified_migration_then_final_pass() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    for (user, seed, n) in [("user1@example.test", 61, 60), ("user2@example.test", 62, 30)] {
        let mut s = corpus::login(src.port, user, "pass").await;
        corpus::fill(&mut s, &Spec { seed, messages: n, large: vec![] }, 0..usize::MAX).await;
        s.logout().await;
    }
    let stack = Stack::start(dst.port).await;
    let (bridge, s3, bucket, vars) = (&stack.bridge, &stack.s3, &stack.bucket, &stack.vars);
    // A poison message on the task queue: reported failed on each delivery, then dead-lettered by SQS.
    bridge.tasks.send(&["not a task".to_string()], Duration::ZERO).await.unwrap();

    pipeline::own(&bridge.deployment.deps, "acme", "example.test").await;
    // A Microsoft 365 batch file names no server: the upload's metadata gives it for the whole job.
    let csv = "EmailAddress,UserName,Password\r\nuser1@example.test,user1@example.test,pass\r\n\
               user2@example.test,user2@example.test,pass\r\n";
    let start = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    s3.put_object()
        .bucket(bucket)
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
    let checkpoints = DynamoCheckpoints::new(stack.dynamo.clone(), &stack.table, Arc::new(SystemClock));
    let inbox = FolderKey { job: job.clone(), mailbox: "user1@example.test".into(), folder: "INBOX".into() };
    let cp = checkpoints.load(&inbox).await.unwrap().expect("an INBOX checkpoint in DynamoDB");
    assert!(cp.done && cp.last_uid.is_some() && cp.copied > 0, "{cp:?}");
    assert!(s3.get_object().bucket(bucket).key("migrations/acme/batch one.csv").send().await.is_err(), "CSV deleted");
    // Keep delivering until SQS gives up on the poison message (after maxReceiveCount = 2 failed deliveries).
    let mut dead_lettered = false;
    for _ in 0..40 {
        let l = &bridge.copy;
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
    let out = mailferry(vars, &["schedule", job.as_str(), "--pass", "final", "--at", "now", "--aws"]);
    assert!(out.contains("final pass of") && out.contains("EventBridge Scheduler"), "{out}");
    bridge.run_until_notified(Pass::Final).await;
    let status: serde_json::Value =
        serde_json::from_str(&mailferry(vars, &["status", job.as_str(), "--aws", "--json"])).unwrap();
    assert_eq!((status["job"]["status"].as_str(), status["passes"][1]["copied"].as_i64()), (Some("complete"), Some(5)));
    let totals = bridge.deployment.deps.counters.get(&format!("{job}/final")).await.unwrap();
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
    let mailboxes = bridge.deployment.deps.store.mailboxes(&job).await.unwrap();
    assert!(mailboxes.iter().all(|m| m.sealed_credentials.is_none()), "credentials purged after the final pass");
}
