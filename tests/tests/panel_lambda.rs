//! The panel's Lambda flavour: API Gateway v2 events through the same router, on the moto stack, with
//! operators signing in against a Cognito user pool (moto's cognito-idp) that gives each its tenants. An operator
//! of one tenant sees its job, not another tenant's; the session cookie is `Secure`; the panel's JS and CSS are
//! served by the function.

use mailferry::aws::KmsSecretBox;
use mailferry::model::{Job, JobId, JobKind, JobStatus, Secret, TenantId};
use mailferry::ports::SecretBox;
use mailferry_lambda::{handle_panel, panel_from_vars};
use mailferry_tests::aws_stack::Stack;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::cognito_pool;

/// An API Gateway v2 (HTTP API) event for `method path`, with a cookie and a form body.
fn event(method: &str, path: &str, cookie: Option<&str>, body: Option<&str>) -> lambda_http::Request {
    let json = serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "cookies": cookie.map(|c| vec![c]).unwrap_or_default(),
        "headers": {"host": "panel.execute-api.us-east-1.amazonaws.com", "content-type": "application/x-www-form-urlencoded"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "panel", "domainName": "panel.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "panel", "requestId": "r1", "routeKey": "$default", "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000", "timeEpoch": 1796083200000u64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "test"}
        },
        "body": body, "isBase64Encoded": false
    });
    lambda_http::request::from_str(&json.to_string()).expect("an API Gateway v2 event")
}

fn body(r: &lambda_http::Response<lambda_http::Body>) -> String {
    String::from_utf8_lossy(r.body().as_ref()).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_runs_as_a_function_with_cognito_sign_in() {
    let dst = Dovecot::start();
    let stack = Stack::start(dst.port).await;
    let (_, client_id) = cognito_pool(&stack.config, &[("ops@acme.test", "acme", true)]).await;
    let kms = KmsSecretBox::new(aws_sdk_kms::Client::new(&stack.config), stack.vars["KMS_KEY_ID"].clone());
    let key = kms.seal(&Secret::new("k".repeat(48)), "panel-session").await.unwrap();
    let mut vars = stack.vars.clone();
    vars.insert("PANEL_USER_POOL_CLIENT_ID", client_id);
    vars.insert("PANEL_SESSION_KEY_SEALED", key.0);
    let panel = panel_from_vars(&stack.config, &|n| vars.get(n).cloned()).await.unwrap();
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
