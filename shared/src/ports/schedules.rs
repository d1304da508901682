//! The schedules port: one-time triggers for a pass ("start the initial copy at 22:00"). EventBridge Scheduler
//! `at(...)` schedules on AWS; a table polled by the embedded runner on one machine.

use super::PortError;
use crate::model::JobId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Creates and removes one-time schedules whose firing hands `input` to the scheduler stage.
#[async_trait]
pub trait Schedules: Send + Sync {
    /// Create (or replace) the schedule `name`, firing once at `at` with `input` (JSON text).
    async fn schedule_at(&self, name: &str, at: DateTime<Utc>, input: &str) -> Result<(), PortError>;
    /// Remove a schedule; removing a missing one is not an error.
    async fn cancel(&self, name: &str) -> Result<(), PortError>;
    /// The schedules of one job not yet fired (their names start with `<job>-`): `(name, at, input)`, soonest
    /// first.
    async fn of_job(&self, job: &JobId) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError>;
}
