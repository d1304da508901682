//! Imports through the panel's router, against a passwd-file a running Dovecot reads: a file with bad rows is
//! refused with a summary linking each line; a good one is held sealed and previewed (what would be created,
//! what exists, the conflicts) with nothing written; "Create" applies it all or nothing and shows the report;
//! a file that conflicts offers no "Create" and can be discarded; another tenant's operator reaches none of it.

use http::StatusCode;
use mailferry::imap::{self, Login};
use mailferry::import::passwd_file::PasswdFileDirectory;
use mailferry::model::{JobId, JobStatus, Secret, TenantId};
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::panel_requests::{PEER, get, job_in, multipart, post_form, post_multipart, signed_in};
use mailferry_tests::panel_rig::embedded_panel;
use mailferry_tests::pipeline::{embedded_deps, passwd_file_dovecot};
use std::sync::Arc;

const FIRST: &str = "type,domain,address,password,quota_mb,display_name,targets\ndomain,acme.test,,,,,\n\
                     mailbox,,ann@acme.test,Ann import pw,10,Ann,\nalias,,info@acme.test,,,,ann@acme.test\n";
/// One row new (bob), one existing (the domain), one in conflict (an alias on ann's mailbox address).
const SECOND: &str = "type,domain,address,password,quota_mb,display_name,targets\ndomain,acme.test,,,,,\n\
                      mailbox,,bob@acme.test,Bob import pw,5,Bob,\nalias,,ann@acme.test,,,,bob@acme.test\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_is_previewed_then_created_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (dst, users) = passwd_file_dovecot(dir.path());
    let mut deps = embedded_deps(dir.path(), &dst);
    deps.directory = Some(Arc::new(PasswdFileDirectory::new(&users)));
    let panel = embedded_panel(dir.path(), deps, &[("alice@acme.test", "acme"), ("bob@globex.test", "globex")]).await;
    let (alice, csrf) = signed_in(&panel, "alice%40acme.test", "a+good+password").await;
    let upload = |file: (&str, &str), csrf: &str| {
        post_multipart("/imports", &alice, multipart(&[("csrf", csrf), ("tenant", "acme")], file))
    };
    let form = panel.handle(get("/imports/new", &alice), PEER).await;
    assert!(form.body().contains("action=\"/imports\"") && form.body().contains("type=\"file\""), "{}", form.body());

    // Bad rows: refused, each line linked, nothing held.
    let bad = "type,address,password,quota_mb\nmailbox,not-an-address,pw,5\nmailbox,x@acme.test,pw,lots\n";
    let r = panel.handle(upload(("bad.csv", bad), &csrf), PEER).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body());
    assert!(r.body().contains("error(s) in bad.csv: nothing will be created"), "{}", r.body());
    assert!(r.body().contains("href=\"#line-2\"") && r.body().contains("href=\"#line-3\""), "{}", r.body());
    assert!(r.body().contains("href=\"/imports/new\""), "{}", r.body());
    assert!(panel.deps.blobs.list("held/").await.unwrap().is_empty());

    // A good file: held sealed and previewed; nothing is written yet.
    let r = panel.handle(upload(("accounts.csv", FIRST), &csrf), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let job = job_in(&r);
    let held = panel.deps.blobs.get(&format!("held/acme/{job}.json")).await.unwrap().expect("held for review");
    assert!(!String::from_utf8_lossy(&held).contains("Ann import pw"), "the held file is sealed");
    assert_eq!(std::fs::read_to_string(&users).unwrap(), "", "nothing created before “Create”");
    let page = panel.handle(get(&format!("/jobs/{job}?done=import-checked"), &alice), PEER).await;
    let body = page.body();
    assert!(body.contains("Would create 1 domain(s), 1 mailbox(es), 1 alias(es); 0 row(s) exist"), "{body}");
    assert!(body.contains("New to the platform, claimed for acme: acme.test."), "{body}");
    assert!(body.contains("<td>3</td><td>mailbox</td><td>ann@acme.test</td><td>will be created</td>"), "{body}");
    assert!(body.contains(&format!("action=\"/jobs/{job}/create\"")), "{body}");
    let api = panel.handle(get(&format!("/api/v1/jobs/{job}"), &alice), PEER).await;
    let api: serde_json::Value = serde_json::from_str(api.body()).unwrap();
    let actions: Vec<&str> =
        api["preview"]["rows"].as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!((actions, api["preview"]["claims"][0].as_str()), (vec!["create"; 3], Some("acme.test")));

    let home = panel.handle(get("/", &alice), PEER).await;
    assert!(home.body().contains("import checked: see what it would create"), "{}", home.body());
    // Another tenant's operator: not found, and nothing happens.
    let (bob, bob_csrf) = signed_in(&panel, "bob%40globex.test", "a+good+password").await;
    assert_eq!(panel.handle(get(&format!("/jobs/{job}"), &bob), PEER).await.status(), StatusCode::NOT_FOUND);
    let r = panel.handle(post_form(&bob, &format!("/jobs/{job}/create"), &format!("csrf={bob_csrf}")), PEER).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(std::fs::read_to_string(&users).unwrap(), "");
    // Without the token: refused.
    let r = panel.handle(post_form(&alice, &format!("/jobs/{job}/create"), "csrf=forged"), PEER).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // "Create": every row, then the report; the held file is gone and a second click changes nothing.
    let r = panel.handle(post_form(&alice, &format!("/jobs/{job}/create"), &format!("csrf={csrf}")), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let page = panel.handle(get(&format!("/jobs/{job}?done=imported"), &alice), PEER).await;
    assert!(page.body().contains("imported: 3 created, 0 unchanged"), "{}", page.body());
    assert!(page.body().contains("<td>4</td><td>alias</td><td>info@acme.test</td><td>created</td>"), "{}", page.body());
    let login = Login::Password { user: "ann@acme.test".into(), password: Secret::new("Ann import pw".into()) };
    imap::open(&plain_endpoint(dst.port), &login).await.expect("the imported mailbox logs in").logout().await;
    assert!(panel.deps.blobs.get(&format!("held/acme/{job}.json")).await.unwrap().is_none());
    let id = JobId::new(job.clone()).unwrap();
    assert_eq!(panel.deps.store.job(&id).await.unwrap().unwrap().status, JobStatus::Complete);
    let usage = panel.deps.usage.records(&TenantId::new("acme").unwrap()).await.unwrap();
    assert_eq!(usage.len(), 3);
    assert!(usage.iter().all(|u| u.by == "panel:alice@acme.test"), "{usage:?}");
    let r = panel.handle(post_form(&alice, &format!("/jobs/{job}/create"), &format!("csrf={csrf}")), PEER).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let report = panel.handle(get(&format!("/jobs/{job}/import.csv"), &alice), PEER).await;
    assert_eq!(
        report.body(),
        "line,kind,key,action\n2,domain,acme.test,created\n3,mailbox,ann@acme.test,created\n4,alias,info@acme.test,created\n"
    );
    assert_eq!(panel.handle(get(&format!("/jobs/{job}/import.csv"), &bob), PEER).await.status(), StatusCode::NOT_FOUND);

    // A file in conflict with what now exists: the preview names the line, offers no "Create"; discarded.
    let before = std::fs::read(&users).unwrap();
    let r = panel.handle(upload(("more.csv", SECOND), &csrf), PEER).await;
    let second = job_in(&r);
    let body = panel.handle(get(&format!("/jobs/{second}"), &alice), PEER).await.into_body();
    assert!(body.contains("1 problem(s): nothing can be created"), "{body}");
    assert!(body.contains("href=\"#line-4\"") && body.contains("an alias cannot have its address"), "{body}");
    assert!(body.contains("<td>2</td><td>domain</td><td>acme.test</td><td>exists already, unchanged</td>"), "{body}");
    assert!(!body.contains(&format!("action=\"/jobs/{second}/create\"")), "{body}");
    let r = panel
        .handle(post_form(&alice, &format!("/jobs/{second}/cancel"), &format!("csrf={csrf}&confirm=yes")), PEER)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(panel.deps.blobs.get(&format!("held/acme/{second}.json")).await.unwrap().is_none(), "purged");
    assert_eq!(std::fs::read(&users).unwrap(), before, "nothing of the conflicting file was written");
}
