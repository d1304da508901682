//! The upload function: S3 notifications (through the upload queue) for CSVs under `migrations/` and `imports/`
//! become validated, pre-flighted jobs. Logic: `mailferry_lambda::handle_upload` → `mailferry::stages::on_upload`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use mailferry_lambda::{UploadFunction, handle_upload, init_tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let function = UploadFunction::from_env().await?;
    run(service_fn(|event: LambdaEvent<_>| async { Ok::<_, Error>(handle_upload(&function, event.payload).await) }))
        .await
}
