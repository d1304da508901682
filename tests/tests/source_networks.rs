//! An uploaded CSV decides where the service connects: by default a source server on a loopback, private or
//! link-local network is refused before any connection is made, and the report does not tell an open port from
//! a closed one (no probing the deployment's network through pre-flight messages).

use mailferry::stages::{self, Upload, UploadOutcome};
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::{free_port, pipeline};

#[tokio::test]
async fn private_sources_are_refused_unless_allowed() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let mut deps = pipeline::embedded_deps(dir.path(), &dst);
    deps.settings.allow_private_sources = false;
    pipeline::own(&deps, "acme", "example.test").await;
    let closed = free_port();
    let csv = format!(
        "destination,source_host,source_port,security,source_user,password\n\
         user1@example.test,127.0.0.1,{open},plain,user1@example.test,pass\n\
         user2@example.test,127.0.0.1,{closed},plain,user2@example.test,pass\n\
         user3@example.test,localhost,{open},plain,user3@example.test,pass\n",
        open = src.port
    );
    deps.blobs.put("migrations/acme/inside.csv", csv.into_bytes(), "text/csv").await.unwrap();
    let connections = || src.log().matches("rip=").count();
    let before = connections();
    let upload = Upload { key: "migrations/acme/inside.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { ready, failed, .. } = stages::on_upload(&deps, &upload).await.unwrap() else {
        panic!("not accepted")
    };
    assert_eq!(ready, 0);
    let texts: Vec<String> = failed
        .iter()
        .map(|(_, _, why)| why.replace(&src.port.to_string(), "PORT").replace(&closed.to_string(), "PORT"))
        .collect();
    assert_eq!(texts[0], texts[1], "an open and a closed port read the same");
    assert!(texts[0].contains("no IMAP server could be reached there"), "{texts:?}");
    assert_eq!(connections(), before, "no connection reached the source:\n{}", src.log());

    // The same file where the deployment allows private sources: the open one is checked for real.
    deps.settings.allow_private_sources = true;
    let csv = format!(
        "destination,source_host,source_port,security,source_user,password\nuser1@example.test,127.0.0.1,{},plain,user1@example.test,pass\n",
        src.port
    );
    deps.blobs.put("migrations/acme/allowed.csv", csv.into_bytes(), "text/csv").await.unwrap();
    let upload = Upload { key: "migrations/acme/allowed.csv".into(), ..Default::default() };
    let UploadOutcome::Accepted { ready, failed, .. } = stages::on_upload(&deps, &upload).await.unwrap() else {
        panic!("not accepted")
    };
    assert_eq!((ready, failed.len()), (1, 0), "{failed:?}");
}
