//! Connection slots on DynamoDB: one item per scope (`SLOT#<scope>`/`SLOT`) holding a map of holder → lease end
//! and a version number. A take reads the item, drops the expired leases, and writes the new map only if the
//! version is still the one it read (optimistic: a concurrent taker makes the write fail and it reads again), so
//! the holders never exceed the limit.

use super::error::sdk_error;
use super::store::s;
use crate::ports::{Clock, PortError, Slots};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// [`Slots`] on DynamoDB, with leases measured by `clock`.
#[derive(Clone)]
pub struct DynamoSlots {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

/// Attempts of a read-and-write cycle before a busy scope is reported as a retryable error.
const ATTEMPTS: u32 = 50;

impl DynamoSlots {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        DynamoSlots { client, table: table.into(), clock }
    }

    /// The scope's live holders (lease end in ms) and the item's version (0: no item yet).
    async fn read(&self, scope: &str) -> Result<(BTreeMap<String, i64>, i64), PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("SLOT#{scope}")))
            .key("sk", s("SLOT"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read slots", e))?;
        let item = out.item.unwrap_or_default();
        let number = |v: &AttributeValue| v.as_n().ok().and_then(|n| n.parse::<i64>().ok());
        let version = item.get("v").and_then(number).unwrap_or(0);
        let now = self.clock.now().timestamp_millis();
        let holders = match item.get("holders").map(|h| h.as_m()) {
            Some(Ok(m)) => m.iter().filter_map(|(k, v)| number(v).map(|u| (k.clone(), u))).collect(),
            Some(Err(_)) => return Err(PortError::corrupt(format!("slots of {scope}"), "holders is not a map")),
            None => BTreeMap::new(),
        };
        Ok((holders.into_iter().filter(|(_, until)| *until > now).collect(), version))
    }

    /// Write `holders` if the version is still `version`; `Ok(false)` when someone wrote in between.
    async fn write(&self, scope: &str, holders: &BTreeMap<String, i64>, version: i64) -> Result<bool, PortError> {
        let map: HashMap<String, AttributeValue> =
            holders.iter().map(|(k, v)| (k.clone(), AttributeValue::N(v.to_string()))).collect();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("SLOT#{scope}")))
            .item("sk", s("SLOT"))
            .item("holders", AttributeValue::M(map))
            .item("v", AttributeValue::N((version + 1).to_string()))
            .condition_expression("attribute_not_exists(pk) OR v = :v")
            .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk_error("write slots", e)),
        }
    }

    fn busy(scope: &str) -> PortError {
        PortError::Backend {
            op: "take a slot",
            retryable: true,
            detail: format!("slots of {scope} kept changing; gave up after {ATTEMPTS} attempts"),
            source: None,
        }
    }
}

#[async_trait]
impl Slots for DynamoSlots {
    async fn take(&self, scope: &str, holder: &str, limit: u32, ttl: Duration) -> Result<bool, PortError> {
        for attempt in 0..ATTEMPTS {
            let (mut holders, version) = self.read(scope).await?;
            let others = holders.keys().filter(|h| *h != holder).count();
            if others >= limit as usize {
                return Ok(false);
            }
            let until =
                self.clock.now().timestamp_millis().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
            holders.insert(holder.to_string(), until);
            if self.write(scope, &holders, version).await? {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt.min(20)))).await;
        }
        Err(Self::busy(scope))
    }

    async fn give_back(&self, scope: &str, holder: &str) -> Result<(), PortError> {
        for attempt in 0..ATTEMPTS {
            let (mut holders, version) = self.read(scope).await?;
            if holders.remove(holder).is_none() || self.write(scope, &holders, version).await? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt.min(20)))).await;
        }
        Err(Self::busy(scope))
    }

    async fn holders(&self, scope: &str) -> Result<Vec<String>, PortError> {
        Ok(self.read(scope).await?.0.into_keys().collect())
    }
}
