//! The panel's Lambda flavour: API Gateway v2 events through the same router, on the moto stack, with
//! operators signing in against a Cognito user pool (moto's cognito-idp) that gives each its tenants. An operator
//! of one tenant sees its job, not another tenant's; the session cookie is `Secure`; the panel's JS and CSS are
//! served by the function.

use mailferry::model::{Job, JobId, JobKind, JobStatus, TenantId};
use mailferry_lambda::handle_panel;
use mailferry_tests::api_gateway;
use mailferry_tests::aws_stack::Stack;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::lambda_panel;

/// An API Gateway v2 (HTTP API) event for `method path`, with a cookie and a form body.
fn event(method: &str, path: &str, cookie: Option<&str>, body: Option<&str>) -> lambda_http::Request {
    let form = [("content-type".to_string(), "application/x-www-form-urlencoded".to_string())];
    let cookies: Vec<String> = cookie.map(str::to_string).into_iter().collect();
    api_gateway::event(method, path, "", &form, &cookies, body.unwrap_or("").as_bytes())
}

fn body(r: &lambda_http::Response<lambda_http::Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_runs_as_a_function_with_cognito_sign_in() {
    let dst = Dovecot::start();
    let stack = Stack::start(dst.port).await;
    let panel = lambda_panel(&stack, &[("ops@acme.test", "acme", true)]).await;
    let mut ids = Vec::new();
    for tenant in ["acme", "globex"] {
        let job = Job {
            id: JobId::generate(),
            tenant: TenantId::new(tenant).unwrap(),
            kind: JobKind::Migration,
            status: JobStatus::Validated,
            operator_email: None,
            source_file: format!("{tenant}.csv"),
            created_at: chrono::Utc::now(),
            catch_up: None,
            new_mx: Vec::new(),
        };
        panel.deps.store.create_job(&job).await.unwrap();
        ids.push(job.id);
    }

    let page = handle_panel(&panel, event("GET", "/", None, None)).await;
    assert_eq!(page.status(), 303, "signed out");
    let wrong =
        handle_panel(&panel, event("POST", "/sign-in", None, Some("email=ops%40acme.test&password=nope"))).await;
    assert_eq!(wrong.status(), 401);
    let form = "email=ops%40acme.test&password=Right-password-1";
    let signed = handle_panel(&panel, event("POST", "/sign-in", None, Some(form))).await;
    assert_eq!(signed.status(), 303, "{}", body(&signed));
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let home = handle_panel(&panel, event("GET", "/", Some(&cookie), None)).await;
    assert_eq!(home.status(), 200);
    assert!(body(&home).contains(ids[0].as_str()) && !body(&home).contains(ids[1].as_str()), "{}", body(&home));
    let theirs = handle_panel(&panel, event("GET", &format!("/jobs/{}", ids[1]), Some(&cookie), None)).await;
    assert_eq!(theirs.status(), 404);
    let api = handle_panel(&panel, event("GET", "/api/v1/jobs", Some(&cookie), None)).await;
    assert!(body(&api).contains(ids[0].as_str()) && !body(&api).contains(ids[1].as_str()));
    let js = handle_panel(&panel, event("GET", "/static/panel.js", None, None)).await;
    assert!(js.status() == 200 && body(&js).contains("/api/v1/jobs/"));
}
