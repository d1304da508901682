//! One handler per trigger. SQS-triggered handlers report partial batch failures: a message whose stage call
//! failed is listed (SQS delivers it again after the visibility timeout, and to the dead-letter queue after
//! `maxReceiveCount`); the others are deleted.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use mailferry::aws::{CopyFunction, NotifierFunction, SchedulerFunction, UploadFunction};
use mailferry::csv::SourceDefaults;
use mailferry::model::CatchUp;
use mailferry::model::cutover::MxPattern;
use mailferry::stages::{self, CredentialObjects, PassEvent, ScheduleInput, StageError, Task, Upload};
use std::future::Future;
use tokio::time::Instant;

async fn each<F, Fut>(event: SqsEvent, mut f: F) -> SqsBatchResponse
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), StageError>>,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if let Err(e) = f(record).await {
            tracing::warn!(message = %id, retryable = e.is_retryable(), error = %e, "message failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

fn body(m: &SqsMessage) -> &str {
    m.body.as_deref().unwrap_or_default()
}

/// S3 notifications (through the upload queue): each object created under `migrations/` or `imports/`.
pub async fn handle_upload(l: &UploadFunction, event: SqsEvent) -> SqsBatchResponse {
    each(event, |m| async move {
        for (_bucket, key) in stages::parse_s3_event(body(&m))? {
            let meta =
                l.blobs.metadata(&key).await.map_err(|source| StageError::Port { op: "read metadata", source })?;
            let start_at = match meta.get("start-at") {
                Some(t) => Some(chrono::DateTime::parse_from_rfc3339(t).map(|t| t.to_utc()).map_err(|e| {
                    StageError::BadMessage { what: "upload", detail: format!("metadata start-at {t:?}: {e}") }
                })?),
                None => None,
            };
            let get = |name: &str| meta.get(name).map(String::as_str);
            let source_defaults = SourceDefaults::from_text(
                get("source-host"),
                get("source-port"),
                get("source-security"),
                get("provider"),
            )
            .map_err(|detail| StageError::BadMessage { what: "upload metadata", detail })?;
            let credential_objects = CredentialObjects {
                google_service_account: meta.get("google-service-account").cloned(),
                microsoft_app: meta.get("microsoft-app").cloned(),
                oauth_client: meta.get("oauth-client").cloned(),
            };
            let operator_email = meta.get("operator-email").cloned();
            let catch_up = match get("catch-up-every") {
                Some(every) => Some(CatchUp::parse(every, get("catch-ups")).map_err(|e| StageError::BadMessage {
                    what: "upload metadata",
                    detail: format!("catch-up-every: {e}"),
                })?),
                None => None,
            };
            let new_mx = match get("new-mx") {
                Some(list) => MxPattern::parse_list(list)
                    .map_err(|e| StageError::BadMessage { what: "upload metadata", detail: format!("new-mx: {e}") })?,
                None => Vec::new(),
            };
            let upload =
                Upload { key, start_at, operator_email, source_defaults, credential_objects, catch_up, new_mx };
            let outcome = stages::on_upload(&l.deps, &upload).await?;
            tracing::info!(outcome = ?outcome, "upload handled");
        }
        Ok(())
    })
    .await
}

/// A schedule fired (EventBridge Scheduler's input is the event itself).
pub async fn handle_scheduler(
    l: &SchedulerFunction,
    input: serde_json::Value,
) -> Result<serde_json::Value, StageError> {
    let input: ScheduleInput = serde_json::from_value(input)
        .map_err(|e| StageError::BadMessage { what: "schedule input", detail: e.to_string() })?;
    let sent = stages::on_schedule(&l.deps, &input).await?;
    Ok(serde_json::json!({ "job": input.job, "pass": input.pass, "mailbox_tasks_sent": sent }))
}

/// Mailbox and folder tasks; `deadline` is the invocation's deadline minus a margin for the checkpoint. A failed
/// task comes back by the one delivery policy (`stages::delivery`: exponential back-off for a retryable error,
/// at once for a permanent one, by changing its visibility) instead of after the queue's long visibility timeout.
pub async fn handle_copy(l: &CopyFunction, event: SqsEvent, deadline: Instant) -> SqsBatchResponse {
    each(event, |m| async move {
        let task = Task::parse(body(&m))?;
        let receives: u32 = m.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
        let result = stages::on_task(&l.deps, &task, Some(deadline), receives >= l.max_receives).await;
        // A failure is also listed in the batch response (so SQS keeps it); its visibility says when it returns.
        if let (Err(_), Some(receipt)) = (&result, &m.receipt_handle) {
            let settlement = stages::delivery::settlement(&result, receives);
            if let Err(e) = stages::delivery::settle(l.deps.tasks.as_ref(), receipt, settlement).await {
                tracing::warn!(error = %e, "cannot set the retry back-off");
            }
        }
        tracing::info!(outcome = ?result.as_ref().ok(), "task handled");
        result.map(|_| ())
    })
    .await
}

/// "Pass complete" events.
pub async fn handle_notifier(l: &NotifierFunction, event: SqsEvent) -> SqsBatchResponse {
    each(event, |m| async move {
        let event: PassEvent = serde_json::from_str(body(&m))
            .map_err(|e| StageError::BadMessage { what: "pass event", detail: e.to_string() })?;
        stages::on_pass_complete(&l.deps, &event).await.map(|_| ())
    })
    .await
}
