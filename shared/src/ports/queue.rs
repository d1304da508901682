//! The task queue port: at-least-once delivery with a visibility timeout, a receive count, delays and a
//! dead-letter queue after too many receives (SQS semantics, which the embedded queue reproduces).

use super::PortError;
use async_trait::async_trait;
use std::time::Duration;

/// A received message. It stays hidden for the visibility timeout; unless acknowledged it comes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The message's id, the same on every delivery.
    pub id: String,
    pub body: String,
    /// Identifies this delivery, for [`TaskQueue::ack`] and [`TaskQueue::retry_after`].
    pub receipt: String,
    /// How many times the message has been received, this time included (1 on the first delivery).
    pub receive_count: u32,
}

/// A queue of task messages.
#[async_trait]
pub trait TaskQueue: Send + Sync {
    /// Enqueue messages, invisible for `delay` (at most 15 minutes, as on SQS). Sent in batches of 10.
    async fn send(&self, bodies: &[String], delay: Duration) -> Result<(), PortError>;

    /// Receive up to `max` (1 to 10) visible messages, hiding them for `visibility`; waits up to `wait` for
    /// the first one. A message already received as often as the queue allows is moved to the dead-letter
    /// queue instead of being delivered again.
    async fn receive(&self, max: usize, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, PortError>;

    /// Done with a delivery: delete the message.
    async fn ack(&self, receipt: &str) -> Result<(), PortError>;

    /// Make a delivery visible again after `delay` (back-off before a retry).
    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError>;

    /// Look at up to `max` dead-lettered messages without removing them.
    async fn dead_letters(&self, max: usize) -> Result<Vec<Delivery>, PortError>;
}
