//! The upload stage for `imports/`: an import file dropped under `imports/<tenant>/` is applied to the
//! deployment's directory (here a passwd-file a running Dovecot reads), rows listed in the report, usage recorded
//! for the tenant, the CSV deleted; a file with a destination-level problem creates nothing and fails the job.

use mailferry::imap::{self, Login};
use mailferry::import::passwd_file::PasswdFileDirectory;
use mailferry::model::{JobStatus, Secret, TenantId};
use mailferry::stages::{self, Upload, UploadOutcome};
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::pipeline;
use std::sync::Arc;

#[tokio::test]
async fn import_upload_applies_records_usage_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (dst, users) = mailferry_tests::pipeline::passwd_file_dovecot(dir.path());
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.directory = Some(Arc::new(PasswdFileDirectory::new(&users)));

    let csv = "type,domain,address,password,quota_mb,display_name,targets\ndomain,acme.test,,,,,\nmailbox,,ann@acme.test,Ann import pw,10,Ann,\nalias,,info@acme.test,,,,ann@acme.test\n";
    deps.blobs.put("imports/acme/accounts.csv", csv.as_bytes().to_vec(), "text/csv").await.unwrap();
    let outcome = stages::on_upload(&deps, &Upload { key: "imports/acme/accounts.csv".into(), ..Default::default() })
        .await
        .unwrap();
    let UploadOutcome::Imported { job, applied, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!((applied.created, applied.problems), (3, 0));
    assert_eq!(deps.store.job(&job).await.unwrap().unwrap().status, JobStatus::Complete);
    assert!(deps.blobs.get("imports/acme/accounts.csv").await.unwrap().is_none(), "the CSV is deleted");
    let rows = String::from_utf8(deps.blobs.get(&format!("reports/{job}/import.csv")).await.unwrap().unwrap()).unwrap();
    assert_eq!(
        rows,
        "line,kind,key,action\n2,domain,acme.test,created\n3,mailbox,ann@acme.test,created\n4,alias,info@acme.test,created\n"
    );
    let login = Login::Password { user: "ann@acme.test".into(), password: Secret::new("Ann import pw".into()) };
    imap::open(&plain_endpoint(dst.port), &login).await.expect("the imported mailbox logs in").logout().await;
    let usage = deps.usage.records(&TenantId::new("acme").unwrap()).await.unwrap();
    assert_eq!(
        usage.iter().map(|r| (r.kind.as_str(), r.address.as_str(), r.quota_mb)).collect::<Vec<_>>(),
        [("domain", "acme.test", 0), ("mailbox", "ann@acme.test", 10), ("alias", "info@acme.test", 0)]
    );

    // An alias on the address of the existing mailbox: nothing created, the job fails, the report says where.
    let before = std::fs::read(&users).unwrap();
    let bad = "type,address,password,quota_mb,targets\nmailbox,bob@acme.test,Bob import pw,5,\nalias,ann@acme.test,,,bob@acme.test\n";
    deps.blobs.put("imports/acme/more.csv", bad.as_bytes().to_vec(), "text/csv").await.unwrap();
    let outcome =
        stages::on_upload(&deps, &Upload { key: "imports/acme/more.csv".into(), ..Default::default() }).await.unwrap();
    let UploadOutcome::Imported { job, applied, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(applied.problems, 1);
    assert_eq!(deps.store.job(&job).await.unwrap().unwrap().status, JobStatus::Failed);
    let report =
        String::from_utf8(deps.blobs.get(&format!("reports/{job}/validation.csv")).await.unwrap().unwrap()).unwrap();
    assert!(report.contains("3,,error,ann@acme.test is a mailbox; an alias cannot have its address"), "{report}");
    assert_eq!(std::fs::read(&users).unwrap(), before);
}
