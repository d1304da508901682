//! Uploading a migration CSV through the panel's router: a file with bad rows comes back with an error summary
//! (focusable, a link per bad row) and nothing stored; a good one becomes a checked job of the operator's tenant;
//! an operator cannot upload for another tenant, and the multipart form needs its CSRF token too.

use bytes::Bytes;
use http::{Request, StatusCode, header};
use mailferry::model::JobStatus;
use mailferry::panel::Panel;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_requests::{
    PEER, get, job_in, multipart, multipart_files, post_form, post_multipart, signed_in,
};
use mailferry_tests::panel_rig::embedded_panel;
use mailferry_tests::pipeline::{embedded_deps, migration_csv, own};

fn upload(cookie: &str, body: Bytes) -> Request<Bytes> {
    post_multipart("/migrations", cookie, body)
}

/// A source and a destination Dovecot, and a panel on the embedded home whose tenant acme owns example.test.
async fn acme_panel(operators: &[(&str, &str)]) -> (Dovecot, Dovecot, tempfile::TempDir, Panel) {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), &dst);
    own(&deps, "acme", "example.test").await;
    let panel = embedded_panel(dir.path(), deps, operators).await;
    (src, dst, dir, panel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_named_and_a_good_file_becomes_a_checked_job() {
    let (src, _dst, _dir, panel) = acme_panel(&[("alice@acme.test", "acme"), ("bob@globex.test", "globex")]).await;
    let (alice, csrf) = signed_in(&panel, "alice%40acme.test", "a+good+password").await;

    let bad = "destination,source_host,source_port,security,source_user,auth,password\n\
               user1@example.test,127.0.0.1,99999,plain,user1@example.test,password,pass\n\
               not-an-address,127.0.0.1,143,plain,x,password,pass\n";
    let r =
        panel.handle(upload(&alice, multipart(&[("csrf", &csrf), ("tenant", "acme")], ("bad.csv", bad))), PEER).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body());
    let body = r.body();
    assert!(body.contains("role=\"alert\" tabindex=\"-1\" autofocus"), "{body}");
    assert!(body.contains("error(s) in bad.csv: nothing will be migrated"), "{body}");
    assert!(body.contains("href=\"#line-2\"") && body.contains("id=\"line-2\""), "{body}");
    assert!(body.contains("href=\"#line-3\"") && body.contains("id=\"line-3\""), "{body}");
    assert!(panel.deps.blobs.list("migrations/").await.unwrap().is_empty(), "nothing of a refused file is kept");

    let good = migration_csv(&src, &[(1, "pass")]);
    let r = panel
        .handle(upload(&alice, multipart(&[("csrf", &csrf), ("tenant", "acme")], ("good.csv", &good))), PEER)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let to = r.headers()[header::LOCATION].to_str().unwrap().to_string();
    assert!(to.ends_with("?done=uploaded"), "{to}");
    let page = panel.handle(get(&to, &alice), PEER).await;
    assert!(
        page.body().contains("The file was accepted") && page.body().contains("user1@example.test"),
        "{}",
        page.body()
    );
    let id = to.trim_start_matches("/jobs/").split('?').next().unwrap();
    let job = panel.deps.store.job(&mailferry::model::JobId::new(id).unwrap()).await.unwrap().unwrap();
    assert_eq!((job.tenant.as_str(), job.source_file.as_str()), ("acme", "good.csv"));

    // Another tenant's operator cannot upload for acme; a form without its token is refused.
    let (bob, bob_csrf) = signed_in(&panel, "bob%40globex.test", "a+good+password").await;
    let r =
        panel.handle(upload(&bob, multipart(&[("csrf", &bob_csrf), ("tenant", "acme")], ("x.csv", &good))), PEER).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body().contains("Choose one of your tenants."));
    let r = panel.handle(upload(&alice, multipart(&[("tenant", "acme")], ("y.csv", &good))), PEER).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// A trial: the first mailbox of a file runs as a job of its own; the rest waits sealed until the operator starts
/// it (then it becomes a job with the other mailbox), or is purged when the trial job is cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trial_runs_the_first_rows_and_the_rest_waits_sealed() {
    let (src, _dst, _dir, panel) = acme_panel(&[("alice@acme.test", "acme")]).await;
    let (alice, csrf) = signed_in(&panel, "alice%40acme.test", "a+good+password").await;
    let file = migration_csv(&src, &[(1, "pass"), (2, "pass")]);
    let fields = [("csrf", csrf.as_str()), ("tenant", "acme"), ("trial", "1")];
    let r = panel.handle(upload(&alice, multipart(&fields, ("batch.csv", &file))), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let trial = job_in(&r);
    let trial_id = mailferry::model::JobId::new(trial.clone()).unwrap();
    let boxes: Vec<String> =
        panel.deps.store.mailboxes(&trial_id).await.unwrap().into_iter().map(|m| m.address.to_string()).collect();
    assert_eq!(boxes, ["user1@example.test"]);
    assert_eq!(panel.deps.store.job(&trial_id).await.unwrap().unwrap().source_file, "batch (trial).csv");
    let held = panel.deps.blobs.get(&format!("held/acme/{trial}.json")).await.unwrap().expect("the rest is held");
    assert!(!String::from_utf8_lossy(&held).contains("user2@example.test"), "the rest is sealed");
    let page = panel.handle(get(&format!("/jobs/{trial}"), &alice), PEER).await;
    assert!(
        page.body().contains("The rest of batch.csv") && page.body().contains("1 more mailbox(es)"),
        "{}",
        page.body()
    );

    let r = panel.handle(post_form(&alice, &format!("/jobs/{trial}/rest"), &format!("csrf={csrf}&at=")), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let rest = job_in(&r);
    let rest_id = mailferry::model::JobId::new(rest).unwrap();
    let boxes: Vec<String> =
        panel.deps.store.mailboxes(&rest_id).await.unwrap().into_iter().map(|m| m.address.to_string()).collect();
    assert_eq!(boxes, ["user2@example.test"]);
    assert_eq!(panel.deps.store.job(&rest_id).await.unwrap().unwrap().source_file, "batch.csv");
    assert!(
        panel.deps.blobs.get(&format!("held/acme/{trial}.json")).await.unwrap().is_none(),
        "started: no longer held"
    );
    let again = panel.handle(post_form(&alice, &format!("/jobs/{trial}/rest"), &format!("csrf={csrf}")), PEER).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Another trial, cancelled: what it held is purged with its credentials.
    let file = migration_csv(&src, &[(3, "pass"), (4, "pass")]);
    let r = panel.handle(upload(&alice, multipart(&fields, ("second.csv", &file))), PEER).await;
    let second = job_in(&r);
    assert!(panel.deps.blobs.get(&format!("held/acme/{second}.json")).await.unwrap().is_some());
    let form = format!("csrf={csrf}&confirm=yes");
    assert_eq!(
        panel.handle(post_form(&alice, &format!("/jobs/{second}/cancel"), &form), PEER).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(panel.deps.blobs.get(&format!("held/acme/{second}.json")).await.unwrap().is_none(), "purged with the job");
}

/// A mailbox the pre-flight refused (a wrong password) is found with the table's filter and retried from its
/// job's page with the corrected row as a file: the new check passes, and another pass is scheduled for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mailbox_is_retried_with_corrected_credentials() {
    let (src, _dst, _dir, panel) = acme_panel(&[("alice@acme.test", "acme")]).await;
    let (alice, csrf) = signed_in(&panel, "alice%40acme.test", "a+good+password").await;
    let file = migration_csv(&src, &[(1, "pass"), (2, "wrong")]);
    let r =
        panel.handle(upload(&alice, multipart(&[("csrf", &csrf), ("tenant", "acme")], ("b.csv", &file))), PEER).await;
    let job = job_in(&r);
    let id = mailferry::model::JobId::new(job.clone()).unwrap();
    let refused = |deps: mailferry::stages::PanelDeps, id: mailferry::model::JobId| async move {
        let m = deps.store.mailbox(&id, &"user2@example.test".parse().unwrap()).await.unwrap().unwrap();
        m.details.preflight.and_then(|p| p.problem)
    };
    assert!(refused(panel.deps.clone(), id.clone()).await.is_some(), "the wrong password is refused");
    let page = panel.handle(get(&format!("/jobs/{job}?state=failed"), &alice), PEER).await;
    assert!(
        page.body().contains("1 of 2 mailbox(es) shown") && page.body().contains("not migrated:"),
        "{}",
        page.body()
    );
    assert!(page.body().contains("name=\"credentials\" type=\"file\""), "{}", page.body());

    // Its first pass over (here set so; `cli_retry.rs` runs the pass itself through the same retry stage).
    let moved = panel.deps.store.transition_job(&id, JobStatus::Validated, JobStatus::InitialDone).await.unwrap();
    assert!(moved);
    let fixed = migration_csv(&src, &[(2, "pass")]);
    let body = multipart_files(&[("csrf", &csrf)], &[("credentials", "fixed.csv", &fixed)]);
    let r = panel.handle(post_multipart(&format!("/jobs/{job}/retry"), &alice, body), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    assert!(r.headers()[header::LOCATION].to_str().unwrap().ends_with("?done=retry-scheduled"));
    assert_eq!(refused(panel.deps.clone(), id.clone()).await, None, "the corrected row passes the new check");
    let scheduled = panel.deps.schedules.of_job(&id).await.unwrap();
    assert!(scheduled.iter().any(|(name, _, _)| name.contains("extra")), "{scheduled:?}");
}
