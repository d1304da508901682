//! The panel function: the control panel behind an HTTP API (API Gateway v2); operators sign in against the
//! stack's Cognito user pool. Logic: `mailferry::panel` (the same router `mailferry serve` runs).

use lambda_http::{Error, Request, run, service_fn};
use mailferry_lambda::{handle_panel, init_tracing, panel_from_env};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let panel = panel_from_env().await?;
    run(service_fn(|req: Request| async { Ok::<_, Error>(handle_panel(&panel, req).await) })).await
}
