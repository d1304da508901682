//! One delivery policy for queued work, the same on both homes (the embedded runner and the Lambda handlers):
//! what becomes of a message once its stage has run. Done: deleted. Failed with a retryable error: delivered
//! again after an exponential back-off. Failed for good: delivered again at once, so that the queue's receive
//! limit (SQS's `maxReceiveCount`, the SQLite queue's) moves it to the dead-letter queue without waiting.

use super::StageError;
use crate::ports::{PortError, TaskQueue};
use std::time::Duration;

/// The longest a retryable failure waits before its next delivery.
pub const MAX_BACK_OFF: Duration = Duration::from_secs(300);

/// How long the `receive_count`-th failed delivery waits: 2, 4, 8 … s, at most [`MAX_BACK_OFF`].
pub fn back_off(receive_count: u32) -> Duration {
    Duration::from_secs(2u64.pow(receive_count.clamp(1, 9))).min(MAX_BACK_OFF)
}

/// What to do with a delivered message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// Handled: delete it.
    Delete,
    /// Deliver it again after this long.
    Again(Duration),
}

/// The settlement of a message whose stage returned `result` on its `receive_count`-th delivery.
pub fn settlement<T>(result: &Result<T, StageError>, receive_count: u32) -> Settlement {
    match result {
        Ok(_) => Settlement::Delete,
        Err(e) if e.is_retryable() => Settlement::Again(back_off(receive_count)),
        Err(_) => Settlement::Again(Duration::ZERO),
    }
}

/// Carry out a settlement on `queue` for the delivery `receipt`.
pub async fn settle(queue: &dyn TaskQueue, receipt: &str, s: Settlement) -> Result<(), PortError> {
    match s {
        Settlement::Delete => queue.ack(receipt).await,
        Settlement::Again(wait) => queue.retry_after(receipt, wait).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_failures_back_off_and_permanent_ones_come_back_at_once() {
        let waits: Vec<u64> = (1..=10).map(|n| back_off(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(back_off(0), Duration::from_secs(2));
        let retryable: Result<(), StageError> = Err(StageError::Engine(crate::engine::EngineError::Imap {
            folder: "INBOX".into(),
            source: crate::imap::ImapError::Timeout { op: "read response", secs: 60 },
        }));
        assert_eq!(settlement(&retryable, 3), Settlement::Again(Duration::from_secs(8)));
        let permanent: Result<(), StageError> = Err(StageError::BadMessage { what: "task", detail: "x".into() });
        assert_eq!(settlement(&permanent, 1), Settlement::Again(Duration::ZERO));
        assert_eq!(settlement(&Ok::<(), StageError>(()), 1), Settlement::Delete);
    }
}
