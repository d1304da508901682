//! The upload stage with a provider credential uploaded beside the CSV (how the AWS home receives it): the
//! upload's metadata names `credentials/<tenant>/…`; the stage reads the key, the pre-flight signs every mailbox in
//! with a token it mints, the key is sealed with each mailbox and the file deleted with the CSV. A tenant that
//! names another tenant's credentials is refused, and that file is left alone.

use mailferry::stages::{self, CredentialObjects, Upload, UploadOutcome};
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::{service_account_file, signing_endpoint, trusting_source};
use mailferry_tests::pipeline;
use mailferry_tests::token_endpoint::EndpointOptions;

fn csv(port: u16) -> String {
    let mut csv = String::from("destination,source_host,source_port,security,auth\n");
    for n in 1..=2 {
        csv.push_str(&format!("user{n}@example.test,127.0.0.1,{port},plain,google\n"));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_beside_the_csv_signs_every_mailbox_in_and_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = signing_endpoint(dir.path(), EndpointOptions::default());
    let src = trusting_source(dir.path(), &endpoint, 2, false);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let state = tempfile::tempdir().unwrap();
    let deps = pipeline::embedded_deps(state.path(), &dst);
    pipeline::own(&deps, "acme", "example.test").await;
    let (key_file, _) = service_account_file(dir.path(), &endpoint.url("/token"));
    let key_object = "credentials/acme/google.json";
    deps.blobs.put(key_object, std::fs::read(&key_file).unwrap(), "application/json").await.unwrap();
    deps.blobs.put("migrations/acme/google.csv", csv(src.port).into_bytes(), "text/csv").await.unwrap();
    let upload = Upload {
        key: "migrations/acme/google.csv".into(),
        credential_objects: CredentialObjects { google_service_account: Some(key_object.into()), ..Default::default() },
        ..Default::default()
    };
    let outcome = stages::on_upload(&deps, &upload).await.unwrap();
    let UploadOutcome::Accepted { job, ready: 2, .. } = outcome else { panic!("not accepted: {outcome:?}") };
    assert_eq!(endpoint.requests().len(), 2, "one token per mailbox for the pre-flight");
    for m in deps.store.mailboxes(&job).await.unwrap() {
        let sealed = m.sealed_credentials.expect("sealed").0;
        assert!(!sealed.contains("PRIVATE") && !sealed.contains("migrator@"), "the key is sealed, not stored");
    }
    assert_eq!(deps.blobs.get(key_object).await.unwrap(), None, "the key file is deleted with the CSV");
    assert_eq!(deps.blobs.get("migrations/acme/google.csv").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_credentials_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let dst = Dovecot::start();
    let state = tempfile::tempdir().unwrap();
    let deps = pipeline::embedded_deps(state.path(), &dst);
    pipeline::own(&deps, "mallory", "example.test").await;
    let (key_file, _) = service_account_file(dir.path(), "https://oauth2.googleapis.com/token");
    let theirs = "credentials/acme/google.json";
    deps.blobs.put(theirs, std::fs::read(&key_file).unwrap(), "application/json").await.unwrap();
    deps.blobs.put("migrations/mallory/take.csv", csv(143).into_bytes(), "text/csv").await.unwrap();
    let upload = Upload {
        key: "migrations/mallory/take.csv".into(),
        credential_objects: CredentialObjects { google_service_account: Some(theirs.into()), ..Default::default() },
        ..Default::default()
    };
    let outcome = stages::on_upload(&deps, &upload).await.unwrap();
    let UploadOutcome::Rejected { report, .. } = outcome else { panic!("must be refused: {outcome:?}") };
    let text = String::from_utf8(deps.blobs.get(&report).await.unwrap().unwrap_or_default()).unwrap_or_default();
    assert!(text.contains("google-service-account") && text.contains("credentials/mallory/"), "{text}");
    assert!(deps.blobs.get(theirs).await.unwrap().is_some(), "another tenant's file is never touched");
}
