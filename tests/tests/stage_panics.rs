//! A bug that panics while a folder is copied fails that folder with the reason; it neither kills the worker nor
//! leaves the pass waiting for a folder that never finishes. (The panic is injected through the checkpoint port:
//! nothing a server sends can make the engine panic, which the fuzz targets keep checking.)

use async_trait::async_trait;
use mailferry::model::{Checkpoint, Claim, FolderKey, Lease, Pass};
use mailferry::ports::{Checkpoints, PortError};
use mailferry::stages::{self, ScheduleInput, Task, Upload, UploadOutcome};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline;
use std::sync::Arc;
use std::time::Duration;

/// Checkpoints that panic when the `Sent` folder is acquired, and pass everything else through.
struct PanicsOnSent(Arc<dyn Checkpoints>);

#[async_trait]
impl Checkpoints for PanicsOnSent {
    async fn acquire(&self, key: &FolderKey, owner: &str, ttl: Duration) -> Result<Claim, PortError> {
        assert!(key.folder != "Sent", "injected failure in {}", key.folder);
        self.0.acquire(key, owner, ttl).await
    }
    async fn renew(&self, key: &FolderKey, fence: u64, ttl: Duration) -> Result<Lease, PortError> {
        self.0.renew(key, fence, ttl).await
    }
    async fn save(&self, key: &FolderKey, fence: u64, cp: &Checkpoint) -> Result<(), PortError> {
        self.0.save(key, fence, cp).await
    }
    async fn release(&self, key: &FolderKey, fence: u64) -> Result<(), PortError> {
        self.0.release(key, fence).await
    }
    async fn load(&self, key: &FolderKey) -> Result<Option<Checkpoint>, PortError> {
        self.0.load(key).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_its_folder_and_the_pass_still_completes() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    corpus::fill(&mut s, &Spec { seed: 5, messages: 60, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let dir = tempfile::tempdir().unwrap();
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.checkpoints = Arc::new(PanicsOnSent(deps.checkpoints.clone()));
    pipeline::own(&deps, "acme", "example.test").await;
    let csv = pipeline::migration_csv(&src, &[(1, "pass")]);
    deps.blobs.put("migrations/acme/p.csv", csv.into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: "migrations/acme/p.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { job, .. } = stages::on_upload(&deps, &upload).await.unwrap() else { panic!() };
    stages::schedule_pass(&deps, &job, Pass::Initial, deps.clock.now()).await.unwrap();
    stages::on_schedule(&deps, &ScheduleInput { job: job.clone(), pass: Pass::Initial, action: Default::default() })
        .await
        .unwrap();
    let mut failed = Vec::new();
    loop {
        let got = deps.tasks.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap();
        if got.is_empty() {
            break;
        }
        for d in got {
            let outcome = stages::on_task(&deps, &Task::parse(&d.body).unwrap(), None, false).await.unwrap();
            if let stages::TaskOutcome::Failed { reason } = outcome {
                failed.push(reason);
            }
            deps.tasks.ack(&d.receipt).await.unwrap();
        }
    }
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("internal error while copying a folder: injected failure in Sent"), "{failed:?}");
    let events = deps.events.receive(10, Duration::from_secs(300), Duration::ZERO).await.unwrap();
    assert_eq!(events.len(), 1, "the pass completes although a folder panicked");
    let totals = deps.counters.get(&format!("{job}/initial")).await.unwrap();
    assert_eq!((totals["done"], totals["failed"]), (1, 1), "{totals:?}");
}
