//! A real queue on SQLite with SQS's semantics: delays, visibility timeouts, receive counts, and a dead-letter
//! queue for messages received too often. Many queues share one table, told apart by name.

use super::db::{Database, millis, sql_error};
use crate::ports::{Clock, Delivery, PortError, TaskQueue};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{TransactionBehavior, params};
use std::sync::Arc;
use std::time::Duration;

/// How often an empty receive looks again while it waits.
const POLL: Duration = Duration::from_millis(50);

/// [`TaskQueue`] on the embedded database.
#[derive(Clone)]
pub struct SqliteQueue {
    db: Database,
    name: String,
    max_receives: u32,
    clock: Arc<dyn Clock>,
    /// Prefix of every receipt this handle gives out: which process holds a received message.
    holder: String,
}

impl SqliteQueue {
    /// The queue `name`; a message received `max_receives` times and still not acknowledged goes to the
    /// dead-letter queue on its next receive (SQS's `maxReceiveCount`).
    pub fn new(db: Database, name: impl Into<String>, max_receives: u32, clock: Arc<dyn Clock>) -> Self {
        SqliteQueue { db, name: name.into(), max_receives: max_receives.max(1), clock, holder: String::new() }
    }

    /// The same queue, with receipts marked as held by `holder` (see [`SqliteQueue::release_held_by`]).
    pub fn held_by(mut self, holder: &str) -> Self {
        self.holder = format!("{holder}/");
        self
    }

    /// Make every message received through a handle of `holder` visible again at `at` (now, when earlier): that
    /// process is gone (its runner lock is free), so waiting for the visibility timeout would only delay the
    /// work. The receive count is kept, so a message that kills its process still ends in the dead-letter queue.
    /// Returns how many.
    pub async fn release_held_by(&self, holder: &str, at: DateTime<Utc>) -> Result<usize, PortError> {
        let (name, prefix) = (self.name.clone(), format!("{holder}/"));
        let now = millis(self.clock.now().max(at));
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE queue SET visible_at = ?3, receipt = NULL
                     WHERE queue = ?1 AND dead = 0 AND substr(receipt, 1, length(?2)) = ?2",
                    params![name, prefix, now],
                )
                .map_err(sql_error("release messages"))
            })
            .await
    }

    async fn try_receive(&self, max: usize, visibility: Duration) -> Result<Vec<Delivery>, PortError> {
        let (name, max_receives, now) = (self.name.clone(), i64::from(self.max_receives), millis(self.clock.now()));
        let hide_until = now.saturating_add(i64::try_from(visibility.as_millis()).unwrap_or(i64::MAX));
        let max = max.clamp(1, 10);
        let holder = self.holder.clone();
        self.db
            .call(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error("receive"))?;
                let ready: Vec<(i64, String, String, i64)> = {
                    let mut st = tx
                        .prepare(
                            "SELECT seq, id, body, receive_count FROM queue \
                             WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2 ORDER BY seq",
                        )
                        .map_err(sql_error("receive"))?;
                    let rows = st
                        .query_map(params![name, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                        .map_err(sql_error("receive"))?;
                    rows.collect::<Result<_, _>>().map_err(sql_error("receive"))?
                };
                let mut out = Vec::new();
                for (seq, id, body, count) in ready {
                    if out.len() == max {
                        break;
                    }
                    if count >= max_receives {
                        tx.execute("UPDATE queue SET dead = 1, receipt = NULL WHERE seq = ?1", params![seq])
                            .map_err(sql_error("dead-letter"))?;
                        tracing::warn!(
                            queue = %name, message = %id, receives = count, "message moved to the dead-letter queue"
                        );
                        continue;
                    }
                    let receipt = format!("{holder}{}", uuid::Uuid::new_v4());
                    tx.execute(
                        "UPDATE queue SET receive_count = receive_count + 1, visible_at = ?2, receipt = ?3 \
                         WHERE seq = ?1",
                        params![seq, hide_until, receipt],
                    )
                    .map_err(sql_error("receive"))?;
                    out.push(Delivery { id, body, receipt, receive_count: (count + 1) as u32 });
                }
                tx.commit().map_err(sql_error("receive"))?;
                Ok(out)
            })
            .await
    }
}

#[async_trait]
impl TaskQueue for SqliteQueue {
    async fn send(&self, bodies: &[String], delay: Duration) -> Result<(), PortError> {
        let delay = delay.min(Duration::from_secs(900));
        let visible_at = millis(self.clock.now()).saturating_add(delay.as_millis() as i64);
        let (name, bodies) = (self.name.clone(), bodies.to_vec());
        self.db
            .call(move |c| {
                let tx = c.transaction().map_err(sql_error("send"))?;
                for body in bodies {
                    tx.execute(
                        "INSERT INTO queue (id, queue, body, visible_at) VALUES (?1, ?2, ?3, ?4)",
                        params![uuid::Uuid::new_v4().to_string(), name, body, visible_at],
                    )
                    .map_err(sql_error("send"))?;
                }
                tx.commit().map_err(sql_error("send"))
            })
            .await
    }

    async fn receive(&self, max: usize, visibility: Duration, wait: Duration) -> Result<Vec<Delivery>, PortError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let got = self.try_receive(max, visibility).await?;
            if !got.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(got);
            }
            tokio::time::sleep(POLL.min(deadline - tokio::time::Instant::now())).await;
        }
    }

    async fn ack(&self, receipt: &str) -> Result<(), PortError> {
        let receipt = receipt.to_string();
        self.db
            .call(move |c| {
                c.execute("DELETE FROM queue WHERE receipt = ?1 AND dead = 0", params![receipt])
                    .map(|_| ())
                    .map_err(sql_error("ack"))
            })
            .await
    }

    async fn retry_after(&self, receipt: &str, delay: Duration) -> Result<(), PortError> {
        let visible_at = millis(self.clock.now()).saturating_add(delay.as_millis() as i64);
        let receipt = receipt.to_string();
        self.db
            .call(move |c| {
                c.execute(
                    "UPDATE queue SET visible_at = ?2 WHERE receipt = ?1 AND dead = 0",
                    params![receipt, visible_at],
                )
                .map(|_| ())
                .map_err(sql_error("change visibility"))
            })
            .await
    }

    async fn dead_letters(&self, max: usize) -> Result<Vec<Delivery>, PortError> {
        let name = self.name.clone();
        self.db
            .call(move |c| {
                let mut st = c
                    .prepare(
                        "SELECT id, body, receive_count FROM queue WHERE queue = ?1 AND dead = 1 ORDER BY seq LIMIT ?2",
                    )
                    .map_err(sql_error("read dead letters"))?;
                let rows = st
                    .query_map(params![name, max as i64], |r| {
                        Ok(Delivery {
                            id: r.get(0)?,
                            body: r.get(1)?,
                            receipt: String::new(),
                            receive_count: r.get::<_, i64>(2)? as u32,
                        })
                    })
                    .map_err(sql_error("read dead letters"))?;
                rows.collect::<Result<_, _>>().map_err(sql_error("read dead letters"))
            })
            .await
    }
}
