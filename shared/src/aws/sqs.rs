//! The task queue on SQS. Dead-lettering is SQS's own redrive policy (set on the queue by the template or the
//! test setup); this side only reads the dead-letter queue.

use super::error::sdk_error;
use crate::ports::{Delivery, PortError, TaskQueue};
use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};
use std::time::Duration;

/// [`TaskQueue`] on an SQS queue and its dead-letter queue.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
    dlq_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>, dlq_url: impl Into<String>) -> Self {
        SqsQueue { client, url: url.into(), dlq_url: dlq_url.into() }
    }

    async fn receive_from(
        &self,
        url: &str,
        max: usize,
        visibility: Duration,
        wait: Duration,
    ) -> Result<Vec<Delivery>, PortError> {
        let out = self
            .client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(max.clamp(1, 10) as i32)
            .visibility_timeout(visibility.as_secs().min(43_200) as i32)
            .wait_time_seconds(wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|e| sdk_error("receive", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| Delivery {
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1),
                id: m.message_id.unwrap_or_default(),
                body: m.body.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }
}

#[async_trait]
impl TaskQueue for SqsQueue {
    async fn send(&self, bodies: &[String], delay: Duration) -> Result<(), PortError> {
        let delay = delay.as_secs().min(900) as i32;
        for chunk in bodies.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .delay_seconds(delay)
                        .build()
                        .map_err(|e| PortError::backend("send", false, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| sdk_error("send", e))?;
            if let Some(failed) = out.failed.first() {
                return Err(PortError::Backend {
                    op: "send",
                    retryable: !failed.sender_fault,
                    detail: format!(
                        "{} of {} messages refused: {}",
                        out.failed.len(),
                        chunk.len(),
                        failed.message.as_deref().unwrap_or(&failed.code)
                    ),
                    source: None,
                });
            }
        }
        Ok(())
    }

    async fn receive(&self, max: usize, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, PortError> {
        self.receive_from(&self.url, max, visibility, wait).await
    }

    async fn ack(&self, receipt: &str) -> Result<(), PortError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ack", e))
    }

    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(delay.as_secs().min(43_200) as i32)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("change visibility", e))
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<Delivery>, PortError> {
        // Visibility 0: looking does not hide them from the next look.
        let mut got = self.receive_from(&self.dlq_url, max, Duration::ZERO, Duration::ZERO).await?;
        for d in &mut got {
            d.receipt.clear();
        }
        Ok(got)
    }
}
