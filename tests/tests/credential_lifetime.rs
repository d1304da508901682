//! Sealed credentials do not outlive their use: a cancelled job purges them at once, and a job left unfinished
//! past the retention period is cancelled by a one-time schedule made at upload, which purges them too.

use mailferry::embedded::{Database, SqliteSchedules};
use mailferry::model::{JobId, JobStatus};
use mailferry::stages::{self, Deps, ScheduleAction, ScheduleInput, Task, TaskOutcome, Upload, UploadOutcome};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline;
use std::time::Duration;

async fn accepted(deps: &Deps, src: &Dovecot, key: &str) -> JobId {
    pipeline::own(deps, "acme", "example.test").await;
    let csv = pipeline::migration_csv(src, &[(1, "pass"), (2, "pass")]);
    deps.blobs.put(key, csv.into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: key.into(), ..Default::default() };
    let UploadOutcome::Accepted { job, ready: 2, .. } = stages::on_upload(deps, &upload).await.unwrap() else {
        panic!("not accepted")
    };
    let sealed = deps.store.mailboxes(&job).await.unwrap().iter().filter(|m| m.sealed_credentials.is_some()).count();
    assert_eq!(sealed, 2, "credentials are stored sealed until the job ends");
    job
}

async fn assert_ended(deps: &Deps, job: &JobId) {
    assert_eq!(deps.store.job(job).await.unwrap().unwrap().status, JobStatus::Cancelled);
    assert!(deps.store.mailboxes(job).await.unwrap().iter().all(|m| m.sealed_credentials.is_none()));
}

#[tokio::test]
async fn cancelling_purges_credentials_and_unschedules() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let deps = pipeline::embedded_deps(dir.path(), &dst);
    let job = accepted(&deps, &src, "migrations/acme/c.csv").await;
    let later = deps.clock.now() + chrono::Duration::hours(1);
    stages::schedule_pass(&deps, &job, mailferry::model::Pass::Initial, later).await.unwrap();

    assert_eq!(stages::cancel(&deps, &job).await.unwrap(), 2);
    assert_ended(&deps, &job).await;
    let schedules = SqliteSchedules::new(Database::open(&dir.path().join("state.sqlite")).unwrap());
    let far = deps.clock.now() + chrono::Duration::days(400);
    assert!(schedules.due(far).await.unwrap().is_empty(), "no pass and no expiry left scheduled");
    assert_eq!(stages::cancel(&deps, &job).await.unwrap(), 0, "cancelling again changes nothing");
    // A task still in a queue finds nothing to log in with: the folder fails, nothing is copied.
    let task = Task::Mailbox {
        job: job.clone(),
        pass: mailferry::model::Pass::Initial,
        mailbox: "user1@example.test".parse().unwrap(),
    };
    match stages::on_task(&deps, &task, None, false).await.unwrap() {
        TaskOutcome::Failed { reason } => assert!(reason.contains("credentials were purged"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn credentials_expire_after_the_retention_period() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.settings.credential_retention = Duration::from_secs(3600);
    let job = accepted(&deps, &src, "migrations/acme/e.csv").await;
    let schedules = SqliteSchedules::new(Database::open(&dir.path().join("state.sqlite")).unwrap());
    assert!(schedules.due(deps.clock.now()).await.unwrap().is_empty(), "nothing due before the period ends");
    let due = schedules.due(deps.clock.now() + chrono::Duration::minutes(61)).await.unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    let input: ScheduleInput = serde_json::from_str(&due[0].1).unwrap();
    assert_eq!((input.job.clone(), input.action), (job.clone(), ScheduleAction::Expire));
    stages::on_schedule(&deps, &input).await.unwrap();
    assert_ended(&deps, &job).await;
}
