//! Each Lambda function holds only the ports of the stages it runs (`stages::{UploadDeps, …}`: a stage that
//! needs another port does not compile with it), and `template.yaml` mirrors that: a function's policy names the
//! AWS services of its ports and no others, and its environment carries a port's variables exactly when it holds
//! that port. (That each function builds from exactly its template environment is what the AWS pipeline tests
//! run: the local bridge gives each function only its variables.)

use mailferry::stages::{CopyDeps, NotifierDeps, PanelDeps, SchedulerDeps, UploadDeps};
use mailferry_tests::template::{environment, policy_services};
use std::collections::BTreeSet;

/// The AWS services (IAM action prefixes) a port's implementation calls.
fn services_of(port: &str) -> &'static [&'static str] {
    match port {
        "store" | "counters" | "checkpoints" | "slots" | "usage" | "domains" => &["dynamodb"],
        "tasks" | "events" => &["sqs"],
        "blobs" => &["s3"],
        "mailer" => &["ses"],
        "secrets" => &["kms"],
        // A schedule names the role EventBridge Scheduler invokes the scheduler function with.
        "schedules" => &["scheduler", "iam"],
        // The clock, the settings, DNS lookups and the import directory (PostgreSQL in the VPC) call no AWS API.
        "clock" | "settings" | "dns" | "directory" => &[],
        other => panic!("a port this test does not know: {other}"),
    }
}

/// The environment variables a port is built from, beyond the globals every function has.
fn variables_of(port: &str) -> &'static [&'static str] {
    match port {
        "tasks" => &["TASK_QUEUE_URL", "TASK_DLQ_URL"],
        "events" => &["EVENT_QUEUE_URL", "EVENT_DLQ_URL"],
        "secrets" => &["KMS_KEY_ID"],
        "schedules" => &["SCHEDULE_GROUP", "SCHEDULER_TARGET_ARN", "SCHEDULER_ROLE_ARN"],
        _ => &[],
    }
}

const ALL_PORTS: &[&str] = &[
    "store",
    "counters",
    "checkpoints",
    "slots",
    "tasks",
    "events",
    "blobs",
    "mailer",
    "secrets",
    "schedules",
    "clock",
    "directory",
    "usage",
    "domains",
    "dns",
    "settings",
];

fn check(logical_id: &str, ports: &[&str]) {
    let wanted: BTreeSet<String> = ports.iter().flat_map(|p| services_of(p)).map(|s| s.to_string()).collect();
    let granted = policy_services(logical_id);
    assert_eq!(granted, wanted, "{logical_id}: the policy's services against those of its ports {ports:?}");
    let env = environment(logical_id);
    for port in ALL_PORTS {
        for name in variables_of(port) {
            let holds = ports.contains(port);
            assert_eq!(env.contains(*name), holds, "{logical_id}: {name} is for the {port} port (held: {holds})");
        }
    }
}

#[test]
fn the_upload_function_is_granted_what_its_ports_use() {
    check("UploadFunction", UploadDeps::PORTS);
    assert!(!UploadDeps::PORTS.contains(&"tasks") && !UploadDeps::PORTS.contains(&"mailer"), "{:?}", UploadDeps::PORTS);
}

#[test]
fn the_scheduler_function_is_granted_what_its_ports_use() {
    check("SchedulerFunction", SchedulerDeps::PORTS);
    assert!(!SchedulerDeps::PORTS.contains(&"secrets"), "the scheduler opens no credentials");
}

#[test]
fn the_copy_function_is_granted_what_its_ports_use() {
    check("CopyFunction", CopyDeps::PORTS);
    assert!(!CopyDeps::PORTS.contains(&"mailer") && !CopyDeps::PORTS.contains(&"directory"));
}

#[test]
fn the_notifier_function_is_granted_what_its_ports_use() {
    check("NotifierFunction", NotifierDeps::PORTS);
    assert_eq!(policy_services("NotifierFunction"), BTreeSet::from(["dynamodb".into(), "s3".into(), "ses".into()]));
}

#[test]
fn the_panel_function_is_granted_what_its_ports_use() {
    check("PanelFunction", PanelDeps::PORTS);
    assert!(!PanelDeps::PORTS.contains(&"tasks") && !PanelDeps::PORTS.contains(&"mailer"));
}
