//! A tenant acts only on its own domains (embedded home; the registry's semantics on DynamoDB are in the
//! contract suite): a migration into another tenant's domain, or into a domain no tenant owns, is refused by
//! line and nothing is stored; an import claims the domains it creates, and cannot create mailboxes or aliases
//! in another tenant's domain, re-declare it, or take over a domain that exists but belongs to nobody.

use mailferry::import::passwd_file::PasswdFileDirectory;
use mailferry::model::{JobStatus, TenantId};
use mailferry::stages::{self, Deps, Upload, UploadOutcome};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::pipeline;
use std::sync::Arc;

async fn upload(deps: &Deps, key: &str, csv: &str) -> UploadOutcome {
    deps.blobs.put(key, csv.as_bytes().to_vec(), "text/csv").await.unwrap();
    stages::on_upload(deps, &Upload { key: key.into(), ..Default::default() }).await.unwrap()
}

async fn report(deps: &Deps, job: &mailferry::model::JobId) -> String {
    String::from_utf8(deps.blobs.get(&format!("reports/{job}/validation.csv")).await.unwrap().unwrap()).unwrap()
}

#[tokio::test]
async fn a_migration_stays_within_its_tenants_domains() {
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let deps = pipeline::embedded_deps(dir.path(), &dst);
    pipeline::own(&deps, "victim", "example.test").await;
    pipeline::own(&deps, "mallory", "mallory.test").await;
    let csv = "destination,source_host,password\nboss@mallory.test,127.0.0.1,pw-123456\nuser1@example.test,127.0.0.1,pw-123456\nann@nobody.test,127.0.0.1,pw-123456\n";
    let UploadOutcome::Rejected { job, errors, .. } = upload(&deps, "migrations/mallory/take.csv", csv).await else {
        panic!("a migration into another tenant's domain must be rejected")
    };
    assert_eq!(errors, 2);
    let text = report(&deps, &job).await;
    assert!(
        text.contains(
            "3,destination,error,the domain example.test belongs to another tenant; tenant mallory cannot use it"
        ),
        "{text}"
    );
    assert!(text.contains("4,destination,error,\"the domain nobody.test belongs to no tenant:"), "{text}");
    assert!(!text.contains("victim"), "one tenant learns nothing about another: {text}");
    assert!(deps.store.mailboxes(&job).await.unwrap().is_empty(), "nothing stored");
    assert_eq!(deps.store.job(&job).await.unwrap().unwrap().status, JobStatus::Failed);
    assert!(deps.blobs.get("migrations/mallory/take.csv").await.unwrap().is_none(), "the CSV is deleted");
}

#[tokio::test]
async fn an_import_claims_new_domains_and_cannot_touch_others() {
    let dir = tempfile::tempdir().unwrap();
    let (dst, users) = pipeline::passwd_file_dovecot(dir.path());
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.directory = Some(Arc::new(PasswdFileDirectory::new(&users)));
    // A domain that exists on the platform from before the registry: nobody's.
    std::fs::write(dir.path().join("users.domains"), "legacy.test:::\n").unwrap();

    let mine = "type,domain,address,password,quota_mb\ndomain,acme.test,,,\nmailbox,,ann@acme.test,Ann import pw,10\n";
    let UploadOutcome::Imported { applied, .. } = upload(&deps, "imports/acme/a.csv", mine).await else { panic!() };
    assert_eq!((applied.created, applied.problems), (2, 0));
    assert_eq!(deps.domains.owner("acme.test").await.unwrap(), Some(TenantId::new("acme").unwrap()));

    let before = std::fs::read(&users).unwrap();
    let theirs = "type,domain,address,password,quota_mb,targets\ndomain,acme.test,,,,\nmailbox,,evil@acme.test,Evil pw 123,0,\nalias,,postmaster@acme.test,,,evil@mallory.test\ndomain,legacy.test,,,,\n";
    let UploadOutcome::Imported { job, applied, .. } = upload(&deps, "imports/mallory/b.csv", theirs).await else {
        panic!()
    };
    assert_eq!((applied.created, applied.problems), (0, 2));
    let text = report(&deps, &job).await;
    assert!(text.contains("2,domain,error,the domain acme.test belongs to another tenant"), "{text}");
    assert!(text.contains("5,domain,error,\"the domain legacy.test belongs to no tenant:"), "{text}");
    assert_eq!(std::fs::read(&users).unwrap(), before, "nothing created");
    assert_eq!(deps.domains.owner("legacy.test").await.unwrap(), None, "no claim from a refused file");

    // Rows in the other tenant's domain without re-declaring it are refused by their own lines.
    let rows = "type,address,password,quota_mb,targets\nmailbox,evil@acme.test,Evil pw 123,0,\nalias,sales@acme.test,,,evil@mallory.test\n";
    let UploadOutcome::Imported { job, applied, .. } = upload(&deps, "imports/mallory/c.csv", rows).await else {
        panic!()
    };
    assert_eq!(applied.problems, 2);
    let text = report(&deps, &job).await;
    assert!(text.contains("2,address,error,the domain acme.test belongs to another tenant"), "{text}");
    assert!(text.contains("3,address,error,the domain acme.test belongs to another tenant"), "{text}");
    assert_eq!(std::fs::read(&users).unwrap(), before, "nothing created");
}

#[tokio::test]
async fn an_upload_names_only_an_allowed_operator() {
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.settings.operator_allow = Some(vec!["@example.test".into(), "boss@partner.test".into()]);
    let csv = "destination,source_host,password\nann@nobody.test,127.0.0.1,pw-123456\n";
    for (i, (asked, notified)) in [
        ("victim@elsewhere.test", "ops@example.test"),
        ("x@example.test@elsewhere.test", "ops@example.test"),
        ("Boss@Partner.test", "Boss@Partner.test"),
        ("team@example.test", "team@example.test"),
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("migrations/acme/{i}.csv");
        deps.blobs.put(&key, csv.as_bytes().to_vec(), "text/csv").await.unwrap();
        let upload = Upload { key, operator_email: Some(asked.into()), ..Default::default() };
        let job = match stages::on_upload(&deps, &upload).await.unwrap() {
            UploadOutcome::Rejected { job, .. } | UploadOutcome::Accepted { job, .. } => job,
            other => panic!("{other:?}"),
        };
        let stored = deps.store.job(&job).await.unwrap().unwrap();
        assert_eq!(stored.operator_email.as_deref(), Some(notified), "{asked}");
    }
}
