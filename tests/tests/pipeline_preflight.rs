//! The pre-flight check of an upload: message counts and sizes per account (`STATUS=SIZE`), and a destination
//! mailbox whose quota cannot hold the source's mail refused by its line, before anything is copied.

use mailferry::stages::{self, Upload, UploadOutcome};
use mailferry_tests::corpus::{self, Spec};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::pipeline;

#[tokio::test]
async fn sizes_counted_and_an_over_quota_destination_refused() {
    let src = Dovecot::start();
    let dst = Dovecot::start_with(Options { quota_storage: Some("1M".into()), ..Default::default() });
    let mut s = corpus::login(src.port, "user1@example.test", "pass").await;
    let n = corpus::fill(&mut s, &Spec { seed: 71, messages: 200, large: vec![] }, 0..usize::MAX).await;
    s.logout().await;
    let mut s = corpus::login(src.port, "user2@example.test", "pass").await;
    let small = Spec { seed: 72, messages: 1, large: vec![] }.message(0, 0);
    let small_len = small.body.len() as u64;
    s.append_all("INBOX", &[small.into()]).await.unwrap();
    s.logout().await;

    let dir = tempfile::tempdir().unwrap();
    let deps = pipeline::embedded_deps(dir.path(), &dst);
    pipeline::own(&deps, "acme", "example.test").await;
    let csv = pipeline::migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    deps.blobs.put("migrations/acme/quota.csv", csv.into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: "migrations/acme/quota.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { job, ready, failed, .. } = stages::on_upload(&deps, &upload).await.unwrap() else {
        panic!("not accepted")
    };
    assert_eq!(ready, 1, "{failed:?}");
    assert_eq!(failed.len(), 1, "{failed:?}");
    let (line, address, problem) = &failed[0];
    assert_eq!((*line, address.as_str()), (2, "user1@example.test"));
    assert!(problem.contains("MB of quota free") && problem.contains("user1@example.test"), "{problem}");
    let mailboxes = deps.store.mailboxes(&job).await.unwrap();
    let user2 = mailboxes.iter().find(|m| m.address.to_string() == "user2@example.test").unwrap();
    let pre = user2.details.preflight.clone().unwrap();
    assert_eq!((pre.messages, pre.bytes), (1, Some(small_len)));
    assert!(n >= 200);
}
