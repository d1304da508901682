//! The copy function: mailbox and folder tasks from the task queue, with partial batch failures. A folder task
//! stops a minute before the invocation's deadline with a checkpoint and re-enqueues itself.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mailferry_lambda::{CopyFunction, handle_copy, init_tracing};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let function = &CopyFunction::from_env().await?;
    run(service_fn(|event: LambdaEvent<_>| async move {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
        let left =
            Duration::from_millis(event.context.deadline.saturating_sub(now)).saturating_sub(Duration::from_secs(60));
        Ok::<_, Error>(handle_copy(function, event.payload, tokio::time::Instant::now() + left).await)
    }))
    .await
}
