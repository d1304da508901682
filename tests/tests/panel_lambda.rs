//! The panel's Lambda flavour: API Gateway v2 events through the same router, on the moto stack, with
//! operators signing in against a Cognito user pool (moto's cognito-idp) that gives each its tenants. An operator
//! of one tenant sees its job, not another tenant's; the session cookie is `Secure`; the panel's JS and CSS are
//! served by the function.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, ExplicitAuthFlowsType, SchemaAttributeType,
};
use mailferry::aws::KmsSecretBox;
use mailferry::model::{Job, JobId, JobKind, JobStatus, Secret, TenantId};
use mailferry::ports::SecretBox;
use mailferry_lambda::{handle_panel, panel_from_vars};
use mailferry_tests::aws_stack::Stack;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::moto;

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

async fn cognito_pool(config: &aws_config::SdkConfig) -> String {
    let client = Client::new(config);
    let schema = SchemaAttributeType::builder()
        .name("tenants")
        .attribute_data_type(AttributeDataType::String)
        .mutable(true)
        .build();
    let pool = client.create_user_pool().pool_name(moto::unique("operators")).schema(schema).send().await.unwrap();
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_string();
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("panel")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap();
    let attr = |n: &str, v: &str| AttributeType::builder().name(n).value(v).build().unwrap();
    client
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("ops@acme.test")
        .user_attributes(attr("email", "ops@acme.test"))
        .user_attributes(attr("custom:tenants", "acme"))
        .send()
        .await
        .unwrap();
    client
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username("ops@acme.test")
        .password("Right-password-1")
        .permanent(true)
        .send()
        .await
        .unwrap();
    app.user_pool_client().and_then(|c| c.client_id()).unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_runs_as_a_function_with_cognito_sign_in() {
    let dst = Dovecot::start();
    let stack = Stack::start(dst.port).await;
    let client_id = cognito_pool(&stack.config).await;
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
