//! The notifier function: "pass complete" events from the event queue become one email to the operator (SES).
//! Logic: `mailferry::stages::on_pass_complete`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mailferry_lambda::{NotifierFunction, handle_notifier, init_tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let function = NotifierFunction::from_env().await?;
    run(service_fn(|event: LambdaEvent<_>| async { Ok::<_, Error>(handle_notifier(&function, event.payload).await) }))
        .await
}
