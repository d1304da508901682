//! The panel's Lambda flavour in a real browser: the panel function's handler behind an HTTP API as API Gateway
//! calls it (`api_gateway`), over the moto stack (DynamoDB, S3, KMS, EventBridge Scheduler, Cognito), driven by
//! `infra/browser/lambda.mjs` in Debian's chromium with axe-core on every page: sign in against the Cognito
//! pool, upload a migration CSV that the upload stage checks against a real source Dovecot, and watch the job
//! page poll the JSON API (a function does not stream). Screenshots in `target/panel-screenshots-lambda/`.

use mailferry::model::JobId;
use mailferry_tests::aws_stack::Stack;
use mailferry_tests::dovecot::Dovecot;
use mailferry_tests::panel_rig::{lambda_panel, run_flow};
use mailferry_tests::pipeline::{migration_csv, own};
use mailferry_tests::{api_gateway, workspace_root};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_panel_in_a_real_browser() {
    let (src, dst) = (Dovecot::start(), Dovecot::start());
    let stack = Stack::start(dst.port).await;
    let panel = lambda_panel(&stack, &[("ops@acme.test", "acme", true)]).await;
    own(&panel.deps, "acme", "example.test").await;
    let deps = panel.deps.clone();
    let url = api_gateway::serve(Arc::new(panel)).await;

    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, migration_csv(&src, &[(1, "pass"), (2, "pass")])).unwrap();
    let shots = workspace_root().join("target/panel-screenshots-lambda");
    let _ = std::fs::remove_dir_all(&shots);
    let config = serde_json::json!({
        "url": url, "email": "ops@acme.test", "password": "Right-password-1", "good": good, "shots": shots,
        "chromium": "/usr/bin/chromium",
    });
    let report = run_flow("lambda.mjs", &config, dir.path());
    assert!(report["steps"].as_array().unwrap().len() >= 6, "{report:#}");

    // What the browser did is in the stack: the job of acme, both mailboxes checked, the CSV gone from S3.
    let job = JobId::new(report["job"].as_str().unwrap()).unwrap();
    assert_eq!(deps.store.job(&job).await.unwrap().unwrap().tenant.as_str(), "acme");
    let boxes = deps.store.mailboxes(&job).await.unwrap();
    assert_eq!(boxes.len(), 2);
    assert!(boxes.iter().all(|m| m.details.preflight.as_ref().is_some_and(|p| p.problem.is_none())));
    assert!(deps.blobs.list("migrations/").await.unwrap().is_empty());
    for page in ["lambda-sign-in", "lambda-dashboard", "lambda-job"] {
        assert!(shots.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }
}
