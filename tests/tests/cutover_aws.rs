//! The cutover assistant on the AWS home (moto + the local bridge playing the Lambda service): the job's
//! expected MX hosts come from the upload's metadata (`new-mx`); the operator starts the watch with
//! `mailferry cutover JOB --aws --final-when-ready`; the scheduler function checks on its own schedules, sees the
//! records change on a real DNS server (dnsmasq), schedules the final pass after the old TTL, the notifier
//! function sends the email through SES, and the final pass runs.

use mailferry::model::{JobStatus, Pass};
use mailferry_tests::aws_stack::{Stack, mailferry_exit};
use mailferry_tests::dns_server::{DnsServer, Zone};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::{corpus, moto, pipeline, verify};

const USER: &str = "user1@example.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_function_watches_the_mx_and_starts_the_final_pass() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    corpus::add_to_inbox(src.port, USER, 95, 0..10).await;
    let old: Zone = &[("example.test", &[("mx.old.test", 10)])];
    let mut dns = DnsServer::start(old, 2);
    let stack = Stack::start(dst.port).await;
    let (bridge, vars) = (&stack.bridge, &stack.vars);
    pipeline::own(&bridge.deployment.deps, "acme", "example.test").await;
    let csv = format!(
        "destination,source_host,source_port,security,source_user,auth,password\n\
         {USER},127.0.0.1,{},plain,{USER},password,pass\n",
        src.port
    );
    stack
        .s3
        .put_object()
        .bucket(&stack.bucket)
        .key("migrations/acme/cutover.csv")
        .metadata("operator-email", "ops@example.test")
        .metadata("new-mx", "*.new.test")
        .metadata("start-at", chrono::Utc::now().to_rfc3339())
        .body(csv.into_bytes().into())
        .send()
        .await
        .unwrap();
    let job = bridge.run_until_notified(Pass::Initial).await;

    let server = dns.addr.to_string();
    let args = ["cutover", job.as_str(), "--aws", "--dns", &server, "--final-when-ready", "--every", "1s"];
    let (code, out, err) = mailferry_exit(vars, &args);
    assert_eq!(code, 1, "not safe yet: {out}{err}");
    assert!(out.contains("example.test still points to mx.old.test") && out.contains("*.new.test"), "{out}");
    assert!(out.contains("watching: the final pass will be scheduled when it is safe"), "{out}");
    corpus::add_to_inbox(src.port, USER, 96, 0..3).await;
    dns.set(&[("example.test", &[("mx-a.new.test", 10)])]);
    bridge.run_until_notified(Pass::Final).await;

    let status = bridge.deployment.deps.store.job(&job).await.unwrap().unwrap().status;
    assert_eq!(status, JobStatus::Complete);
    assert_eq!(verify::assert_same(src.port, dst.port, USER).await, 13, "the final pass copied the new mail");
    let sent = moto::sent_emails().await;
    let subjects: Vec<&str> =
        sent["Message"].as_array().into_iter().flatten().filter_map(|m| m["subject"].as_str()).collect();
    let wanted = format!("mailferry: final pass of {job} scheduled: the MX records point to the new platform");
    assert!(subjects.contains(&wanted.as_str()), "{subjects:?}");
    let state =
        bridge.deployment.deps.blobs.get(&format!("cutover/{job}.json")).await.unwrap().expect("cutover state in S3");
    let state: serde_json::Value = serde_json::from_slice(&state).unwrap();
    assert_eq!(state["domains"]["example.test"]["old_ttl"], 2, "{state}");
    assert!(state["final_scheduled_at"].is_string(), "{state}");
}
