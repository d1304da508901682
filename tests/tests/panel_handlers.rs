//! The control panel's router in-process (no server, no browser): sign-in with Argon2id-hashed passwords and a
//! rate limit, signed session cookies, CSRF on every POST, and tenant scoping on every page and API route: an
//! operator of one tenant sees and reaches only that tenant's jobs, another's are "not found".

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use mailferry::model::{Job, JobId, JobKind, JobStatus, MailboxDetails, MailboxRecord, Preflight, TenantId};
use mailferry::panel::Panel;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::embedded_panel;
use mailferry_tests::pipeline::embedded_deps;
use std::net::IpAddr;

const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn get(path: &str, cookie: Option<&str>) -> Request<Bytes> {
    let mut r = Request::builder().method(Method::GET).uri(path);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Bytes::new()).unwrap()
}

fn post(path: &str, cookie: Option<&str>, form: &str) -> Request<Bytes> {
    let mut r = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Bytes::from(form.to_string())).unwrap()
}

async fn job_of(deps: &mailferry::stages::Deps, tenant: &str, file: &str, address: &str) -> JobId {
    let id = JobId::generate();
    let job = Job {
        id: id.clone(),
        tenant: TenantId::new(tenant).unwrap(),
        kind: JobKind::Migration,
        status: JobStatus::InitialDone,
        operator_email: None,
        source_file: file.into(),
        created_at: chrono::Utc::now(),
        catch_up: None,
        new_mx: Vec::new(),
    };
    deps.store.create_job(&job).await.unwrap();
    let preflight = Preflight { problem: None, folders: 3, messages: 40, bytes: None };
    let details = MailboxDetails { preflight: Some(preflight), ..Default::default() };
    let m = MailboxRecord {
        job: id.clone(),
        address: mailferry::model::EmailAddress::parse(address).unwrap(),
        source: "old.test:993".into(),
        source_user: address.into(),
        line: 2,
        sealed_credentials: None,
        details,
    };
    deps.store.put_mailboxes(&[m]).await.unwrap();
    id
}

/// Sign in; the session cookie (`name=value`).
async fn sign_in(panel: &Panel, email: &str, password: &str) -> String {
    let r = panel.handle(post("/sign-in", None, &format!("email={email}&password={password}")), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.body());
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn operators_see_and_reach_only_their_tenants_jobs() {
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), &dst);
    let acme = job_of(&deps, "acme", "<script>alert(1)</script>.csv", "ann@acme.test").await;
    let globex = job_of(&deps, "globex", "globex.csv", "gil@globex.test").await;
    let panel = embedded_panel(dir.path(), deps, &[("alice@acme.test", "acme"), ("bob@globex.test", "globex")]).await;

    // Signed out: pages send to the sign-in form, the API answers 401.
    let r = panel.handle(get("/", None), PEER).await;
    assert_eq!((r.status(), r.headers()[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/sign-in"));
    assert_eq!(panel.handle(get("/api/v1/jobs", None), PEER).await.status(), StatusCode::UNAUTHORIZED);
    let wrong = panel.handle(post("/sign-in", None, "email=alice%40acme.test&password=nope"), PEER).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.body().contains("Wrong email or password.") && !wrong.body().contains("nope"));

    let alice = sign_in(&panel, "alice%40acme.test", "a+good+password").await;
    let home = panel.handle(get("/", Some(&alice)), PEER).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.body().contains(acme.as_str()) && !home.body().contains(globex.as_str()), "{}", home.body());
    assert!(home.body().contains("&lt;script&gt;alert(1)&lt;/script&gt;.csv") && !home.body().contains("<script>"));
    assert!(home.body().contains("first pass done: change the MX records, then run the final pass"), "{}", home.body());
    let usage = panel.handle(get("/usage", Some(&alice)), PEER).await;
    assert!(
        usage.status() == StatusCode::OK && usage.body().contains("tenant acme") && !usage.body().contains("globex")
    );
    let theirs = panel.handle(get("/usage.csv?tenant=globex", Some(&alice)), PEER).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "another tenant's usage");
    let mine = panel.handle(get("/usage.csv?tenant=acme", Some(&alice)), PEER).await;
    assert_eq!(
        (mine.status(), mine.headers()[header::CONTENT_TYPE].to_str().unwrap()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    let page = panel.handle(get(&format!("/jobs/{acme}"), Some(&alice)), PEER).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.body().contains("ann@acme.test") && page.body().contains("role=\"progressbar\""), "{}", page.body());
    assert!(page.body().contains("aria-valuetext=\"0 of 40 messages\""), "{}", page.body());
    assert!(page.body().contains("Mailboxes: 0 done, 0 copying, 1 waiting, 0 failed."), "{}", page.body());
    assert!(page.body().contains("40 message(s) to copy; the first pass has not started"), "{}", page.body());
    assert!(page.body().contains("Nothing copied in this pass yet"), "{}", page.body());
    let none = panel.handle(get(&format!("/jobs/{acme}?state=failed&q=%3Cb%3E"), Some(&alice)), PEER).await;
    assert!(none.body().contains("0 of 1 mailbox(es) shown") && none.body().contains("value=\"&lt;b&gt;\""));
    for path in [format!("/jobs/{globex}"), format!("/api/v1/jobs/{globex}"), "/jobs/not%20a%20job".into()] {
        let r = panel.handle(get(&path, Some(&alice)), PEER).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body().contains("gil@globex.test"));
    }
    let api: serde_json::Value =
        serde_json::from_str(panel.handle(get("/api/v1/jobs", Some(&alice)), PEER).await.body()).unwrap();
    let ids: Vec<&str> = api["jobs"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [acme.as_str()]);
    let detail = panel.handle(get(&format!("/api/v1/jobs/{acme}"), Some(&alice)), PEER).await;
    let detail: serde_json::Value = serde_json::from_str(detail.body()).unwrap();
    assert_eq!(detail["mailboxes"][0]["address"], "ann@acme.test");

    let bob = sign_in(&panel, "BOB%40globex.test", "a+good+password").await;
    let home = panel.handle(get("/", Some(&bob)), PEER).await;
    assert!(home.body().contains(globex.as_str()) && !home.body().contains(acme.as_str()));
    assert_eq!(panel.handle(get(&format!("/jobs/{acme}"), Some(&bob)), PEER).await.status(), StatusCode::NOT_FOUND);

    // Actions, with the session's CSRF token, on the operator's own job only.
    let page = panel.handle(get(&format!("/jobs/{acme}"), Some(&alice)), PEER).await;
    let csrf = page.body().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(page.body().contains(&format!("action=\"/jobs/{acme}/final\"")), "{}", page.body());
    let r = panel
        .handle(post(&format!("/jobs/{globex}/cancel"), Some(&alice), &format!("csrf={csrf}&confirm=yes")), PEER)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another tenant's job cannot be acted on");
    assert_eq!(panel.deps.store.job(&globex).await.unwrap().unwrap().status, JobStatus::InitialDone);
    let r = panel.handle(post(&format!("/jobs/{acme}/final"), Some(&alice), &format!("csrf={csrf}&at=")), PEER).await;
    assert_eq!(r.headers()[header::LOCATION].to_str().unwrap(), format!("/jobs/{acme}?done=final-scheduled"));
    assert_eq!(panel.deps.store.job(&acme).await.unwrap().unwrap().status, JobStatus::Scheduled);
    let home = panel.handle(get("/", Some(&alice)), PEER).await;
    assert!(home.body().contains("<h2>Upcoming</h2>") && home.body().contains("final pass starts"), "{}", home.body());
    let shown = panel.handle(get(&format!("/jobs/{acme}?done=final-scheduled"), Some(&alice)), PEER).await;
    assert!(shown.body().contains("<p role=\"status\" class=\"done\">The final pass is scheduled.</p>"));
    let again = panel
        .handle(post(&format!("/jobs/{acme}/final"), Some(&alice), &format!("csrf={csrf}&at=2026-13-01T99:00")), PEER)
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.body().contains("is not a date and time like 2026-12-01T22:00 (UTC)"), "{}", again.body());
    let csv = panel.handle(get(&format!("/jobs/{acme}/errors.csv"), Some(&alice)), PEER).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.body().starts_with(mailferry::stages::ERRORS_HEADER));
    assert!(csv.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    assert_eq!(
        panel.handle(get(&format!("/jobs/{globex}/errors.csv"), Some(&alice)), PEER).await.status(),
        StatusCode::NOT_FOUND
    );
    let mailbox = panel.handle(get(&format!("/jobs/{acme}/mailbox/ann@acme.test"), Some(&alice)), PEER).await;
    assert_eq!(mailbox.status(), StatusCode::OK);
    assert!(mailbox.body().contains("Pre-flight: 3 folder(s), 40 message(s)"), "{}", mailbox.body());
    let theirs = panel.handle(get(&format!("/jobs/{globex}/mailbox/gil@globex.test"), Some(&alice)), PEER).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let form = format!("csrf={csrf}&mailbox=ann%40acme.test");
    let recheck = panel.handle(post(&format!("/jobs/{acme}/recheck"), Some(&alice), &form), PEER).await;
    assert_eq!(recheck.status(), StatusCode::CONFLICT, "no credentials stored: the check says why");
    assert!(recheck.body().contains("credentials were purged"), "{}", recheck.body());
    let unsure = panel.handle(post(&format!("/jobs/{acme}/cancel"), Some(&alice), &format!("csrf={csrf}")), PEER).await;
    assert_eq!(unsure.status(), StatusCode::CONFLICT);
    let r = panel
        .handle(post(&format!("/jobs/{acme}/cancel"), Some(&alice), &format!("csrf={csrf}&confirm=yes")), PEER)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(panel.deps.store.job(&acme).await.unwrap().unwrap().status, JobStatus::Cancelled);

    // A cookie changed to name another tenant is no session at all.
    let (name, value) = alice.split_once('=').unwrap();
    let (body, mac) = value.split_once('.').unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = String::from_utf8(b64.decode(body).unwrap()).unwrap().replace("acme", "globex");
    let forged = format!("{name}={}.{mac}", b64.encode(forged));
    let r = panel.handle(get(&format!("/jobs/{globex}"), Some(&forged)), PEER).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "a forged cookie is refused");

    // POST without the CSRF token is refused; with it, sign-out clears the cookie.
    assert_eq!(panel.handle(post("/sign-out", Some(&alice), ""), PEER).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        panel.handle(post("/sign-out", Some(&alice), "csrf=forged"), PEER).await.status(),
        StatusCode::FORBIDDEN
    );
    let page = panel.handle(get("/", Some(&alice)), PEER).await;
    let csrf = page.body().split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let out = panel.handle(post("/sign-out", Some(&alice), &format!("csrf={csrf}")), PEER).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_name_and_address() {
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let mut panel = embedded_panel(dir.path(), embedded_deps(dir.path(), &dst), &[("carol@acme.test", "acme")]).await;
    panel.secure_cookies = true;
    for _ in 0..5 {
        let r = panel.handle(post("/sign-in", None, "email=carol%40acme.test&password=guess"), PEER).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = panel.handle(post("/sign-in", None, "email=carol%40acme.test&password=a+good+password"), PEER).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(r.body().contains("Too many failed sign-ins: try again in 15 minute(s)."), "{}", r.body());
    // Another address, same name: still limited (by name); the name is what is being guessed.
    let other: IpAddr = "192.0.2.7".parse().unwrap();
    let r = panel.handle(post("/sign-in", None, "email=carol%40acme.test&password=a+good+password"), other).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // An unknown name is refused like a wrong password.
    let r = panel.handle(post("/sign-in", None, "email=nobody%40acme.test&password=x"), other).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

/// The JSON API for scripts: the session's token, a mailbox with its folders, an action with the token in a
/// header, a report; another tenant's job is "not found" there too, and a POST without the token is refused.
#[tokio::test]
async fn scripts_use_the_json_api_with_the_sessions_token() {
    let dst = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let deps = embedded_deps(dir.path(), &dst);
    let acme = job_of(&deps, "acme", "acme.csv", "ann@acme.test").await;
    let globex = job_of(&deps, "globex", "globex.csv", "gil@globex.test").await;
    let panel = embedded_panel(dir.path(), deps, &[("alice@acme.test", "acme")]).await;
    let alice = sign_in(&panel, "alice%40acme.test", "a+good+password").await;
    let read = |r: http::Response<String>| serde_json::from_str::<serde_json::Value>(r.body()).unwrap();

    let session = read(panel.handle(get("/api/v1/session", Some(&alice)), PEER).await);
    assert_eq!((session["email"].as_str(), session["tenants"][0].as_str()), (Some("alice@acme.test"), Some("acme")));
    let token = session["csrf"].as_str().unwrap().to_string();
    let mailbox =
        read(panel.handle(get(&format!("/api/v1/jobs/{acme}/mailboxes/ann@acme.test"), Some(&alice)), PEER).await);
    assert_eq!(mailbox["mailbox"]["expected"], 40);
    assert_eq!(
        (mailbox["folders"].as_array().map(Vec::len), mailbox["skipped"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    let job = read(panel.handle(get(&format!("/api/v1/jobs/{acme}"), Some(&alice)), PEER).await);
    assert_eq!((job["remaining"].as_u64(), job["eta"].is_null()), (Some(40), true));

    let action = |path: String, token: Option<&str>| {
        let mut r = Request::builder().method(Method::POST).uri(path).header(header::COOKIE, &alice);
        r = r.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        r.body(Bytes::from_static(b"at=")).unwrap()
    };
    let r = panel.handle(action(format!("/api/v1/jobs/{acme}/final"), None), PEER).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no token, no action");
    let r = panel.handle(action(format!("/api/v1/jobs/{globex}/final"), Some(&token)), PEER).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(panel.deps.store.job(&globex).await.unwrap().unwrap().status, JobStatus::InitialDone);
    let r = panel.handle(action(format!("/api/v1/jobs/{acme}/final"), Some(&token)), PEER).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.body());
    let done = read(r);
    assert_eq!(
        (done["done"].as_str(), done["message"].as_str()),
        (Some("final-scheduled"), Some("The final pass is scheduled."))
    );
    assert_eq!(panel.deps.store.job(&acme).await.unwrap().unwrap().status, JobStatus::Scheduled);
    let r = panel.handle(action(format!("/api/v1/jobs/{acme}/cancel"), Some(&token)), PEER).await;
    assert_eq!(
        (r.status(), read(r)["error"].as_str()),
        (StatusCode::CONFLICT, Some("tick “I understand” to cancel the job"))
    );
    let csv = panel.handle(get(&format!("/api/v1/jobs/{acme}/errors.csv"), Some(&alice)), PEER).await;
    assert!(csv.status() == StatusCode::OK && csv.body().starts_with(mailferry::stages::ERRORS_HEADER));
    let theirs =
        panel.handle(get(&format!("/api/v1/jobs/{globex}/mailboxes/gil@globex.test"), Some(&alice)), PEER).await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}
