//! A migration whose rows sign in with the job's provider credential, uploaded in the browser's form with the
//! CSV: the Google service-account key signs every mailbox in for the pre-flight (tokens minted by a real
//! signing token endpoint, accepted by a Dovecot that checks them), is sealed with each mailbox, and no clear
//! copy stays in storage. As a trial, the rest of the file keeps the key (sealed) until it is started.

use http::StatusCode;
use mailferry::model::JobId;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::oauth_rig::{service_account_file, signing_endpoint, trusting_source};
use mailferry_tests::panel_requests::{PEER, get, job_in, multipart_files, post_form, post_multipart, signed_in};
use mailferry_tests::panel_rig::embedded_panel;
use mailferry_tests::pipeline::{embedded_deps, own};
use mailferry_tests::token_endpoint::EndpointOptions;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_credential_comes_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = signing_endpoint(dir.path(), EndpointOptions::default());
    let src = trusting_source(dir.path(), &endpoint, 2, false);
    let dst = Dovecot::start_with(Options { users: 2, ..Default::default() });
    let state = tempfile::tempdir().unwrap();
    let deps = embedded_deps(state.path(), &dst);
    own(&deps, "acme", "example.test").await;
    let panel = embedded_panel(state.path(), deps, &[("alice@acme.test", "acme")]).await;
    let (alice, csrf) = signed_in(&panel, "alice%40acme.test", "a+good+password").await;
    let (key_file, _) = service_account_file(dir.path(), &endpoint.url("/token"));
    let key = std::fs::read_to_string(&key_file).unwrap();
    let mut csv = String::from("destination,source_host,source_port,security,auth\n");
    for n in 1..=2 {
        csv.push_str(&format!("user{n}@example.test,127.0.0.1,{},plain,google\n", src.port));
    }
    let form = panel.handle(get("/migrations/new", &alice), PEER).await;
    assert!(form.body().contains("name=\"credential\" type=\"file\""), "{}", form.body());

    // A credential file that is not one: refused, naming the field, never quoting the file.
    let fields = [("csrf", csrf.as_str()), ("tenant", "acme"), ("credential_kind", "google-service-account")];
    let body =
        multipart_files(&fields, &[("file", "g.csv", &csv), ("credential", "k.json", "{\"secret\":\"s3cr3t\"}")]);
    let r = panel.handle(post_multipart("/migrations", &alice, body), PEER).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body());
    assert!(r.body().contains("google-service-account") && !r.body().contains("s3cr3t"), "{}", r.body());
    assert!(panel.deps.blobs.list("credentials/").await.unwrap().is_empty(), "no copy of the file stays");

    // The key with the file, as a trial of one mailbox: the pre-flight signs it in with a minted token.
    let fields =
        [("csrf", csrf.as_str()), ("tenant", "acme"), ("credential_kind", "google-service-account"), ("trial", "1")];
    let body = multipart_files(&fields, &[("file", "google.csv", &csv), ("credential", "key.json", &key)]);
    let r = panel.handle(post_multipart("/migrations", &alice, body), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let trial = JobId::new(job_in(&r)).unwrap();
    let ready = |job: JobId| {
        let deps = panel.deps.clone();
        async move {
            let boxes = deps.store.mailboxes(&job).await.unwrap();
            boxes
                .into_iter()
                .map(|m| {
                    let sealed = m.sealed_credentials.clone().map(|s| s.0).unwrap_or_default();
                    assert!(!sealed.contains("PRIVATE") && !sealed.contains("migrator@"), "sealed, not stored");
                    let problem = m.details.preflight.and_then(|p| p.problem);
                    (m.address.to_string(), problem)
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ready(trial.clone()).await, [("user1@example.test".to_string(), None)]);
    assert_eq!(endpoint.requests().len(), 1, "one token minted for the trial's pre-flight");
    assert!(panel.deps.blobs.list("credentials/").await.unwrap().is_empty(), "the key file is deleted");
    let held = panel.deps.blobs.get(&format!("held/acme/{trial}.json")).await.unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&held).contains("PRIVATE"), "the key is held sealed");

    // The rest, started: the held key signs its mailbox in too, and goes again.
    let r = panel.handle(post_form(&alice, &format!("/jobs/{trial}/rest"), &format!("csrf={csrf}&at=")), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let rest = JobId::new(job_in(&r)).unwrap();
    assert_eq!(ready(rest).await, [("user2@example.test".to_string(), None)]);
    assert_eq!(endpoint.requests().len(), 2);
    assert!(panel.deps.blobs.list("credentials/").await.unwrap().is_empty());
    assert!(panel.deps.blobs.get(&format!("held/acme/{trial}.json")).await.unwrap().is_none());
}
