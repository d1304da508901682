//! Schedules on EventBridge Scheduler: one one-time schedule (`at(yyyy-mm-ddThh:mm:ss)`, UTC) per job and pass in
//! the deployment's schedule group, targeting the scheduler function with the JSON input, deleted by the service
//! after it fired (`ActionAfterCompletion: DELETE`).

use super::error::sdk_error;
use crate::ports::{PortError, Schedules};
use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use chrono::{DateTime, Utc};

/// [`Schedules`] on EventBridge Scheduler.
#[derive(Clone, Debug)]
pub struct EventBridgeSchedules {
    client: Client,
    group: String,
    /// The scheduler function's ARN and the role the service assumes to invoke it.
    target_arn: String,
    role_arn: String,
}

impl EventBridgeSchedules {
    pub fn new(
        client: Client,
        group: impl Into<String>,
        target_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        EventBridgeSchedules { client, group: group.into(), target_arn: target_arn.into(), role_arn: role_arn.into() }
    }

    /// Every schedule of the group with its `at(...)` time and input (the local bridge fires these in tests).
    pub async fn list(&self) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError> {
        self.listed(None).await
    }

    /// The schedules whose names start with `prefix` (all without one), soonest first.
    async fn listed(&self, prefix: Option<String>) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError> {
        let page = self
            .client
            .list_schedules()
            .group_name(&self.group)
            .set_name_prefix(prefix)
            .send()
            .await
            .map_err(|e| sdk_error("list schedules", e))?;
        let mut out = Vec::new();
        for s in page.schedules() {
            let Some(name) = s.name() else { continue };
            let got = self
                .client
                .get_schedule()
                .group_name(&self.group)
                .name(name)
                .send()
                .await
                .map_err(|e| sdk_error("read schedule", e))?;
            let at = got
                .schedule_expression()
                .and_then(|e| e.strip_prefix("at(")?.strip_suffix(')').map(str::to_string))
                .and_then(|t| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S").ok())
                .map(|t| t.and_utc());
            let input = got.target().and_then(|t| t.input()).unwrap_or_default().to_string();
            if let Some(at) = at {
                out.push((name.to_string(), at, input));
            }
        }
        out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        Ok(out)
    }
}

fn build<T, E: std::error::Error + Send + Sync + 'static>(r: Result<T, E>) -> Result<T, PortError> {
    r.map_err(|e| PortError::backend("build schedule", false, e))
}

#[async_trait]
impl Schedules for EventBridgeSchedules {
    async fn of_job(&self, job: &crate::model::JobId) -> Result<Vec<(String, DateTime<Utc>, String)>, PortError> {
        self.listed(Some(format!("{job}-"))).await
    }

    async fn schedule_at(&self, name: &str, at: DateTime<Utc>, input: &str) -> Result<(), PortError> {
        self.cancel(name).await?;
        let target = build(Target::builder().arn(&self.target_arn).role_arn(&self.role_arn).input(input).build())?;
        let window = build(FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build())?;
        self.client
            .create_schedule()
            .group_name(&self.group)
            .name(name)
            .schedule_expression(format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")))
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await
            .map_err(|e| sdk_error("create schedule", e))?;
        Ok(())
    }

    async fn cancel(&self, name: &str) -> Result<(), PortError> {
        match self.client.delete_schedule().group_name(&self.group).name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(sdk_error("remove schedule", e)),
        }
    }
}
