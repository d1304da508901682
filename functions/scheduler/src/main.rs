//! The scheduler function: invoked by an EventBridge Scheduler one-time schedule with `{"job", "pass"}`; starts
//! the pass and fans the mailboxes out. Logic: `mailferry::stages::on_schedule`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mailferry_lambda::{SchedulerFunction, handle_scheduler, init_tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let function = SchedulerFunction::from_env().await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async {
        handle_scheduler(&function, event.payload).await.map_err(Error::from)
    }))
    .await
}
