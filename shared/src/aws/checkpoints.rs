//! Checkpoints on DynamoDB: one item per folder (`CKP#<job>#<mailbox>`/`<folder>`) with the fencing token, the
//! lease owner and expiry, and the checkpoint as JSON. Every write is conditional on the token (or, for
//! acquire, on the lease being free), so a worker that lost its lease cannot write.

use super::error::sdk_error;
use super::keys::sort_key;
use super::store::{s, text};
use crate::model::{Checkpoint, Claim, FolderKey, Lease};
use crate::ports::{Checkpoints, Clock, PortError};
use crate::ports::{decode_checkpoint, lease_time};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// [`Checkpoints`] on DynamoDB, with leases measured by `clock`.
#[derive(Clone)]
pub struct DynamoCheckpoints {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

impl DynamoCheckpoints {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        DynamoCheckpoints { client, table: table.into(), clock }
    }

    fn until(&self, ttl: Duration) -> i64 {
        self.clock.now().timestamp_millis().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
    }

    /// A conditional update on the folder's item, requiring `fence` to be current.
    async fn fenced(
        &self,
        key: &FolderKey,
        fence: u64,
        op: &'static str,
        set: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<HashMap<String, AttributeValue>, PortError> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk(key)))
            .key("sk", s(sort_key(&key.folder)))
            .update_expression(set)
            .condition_expression("#f = :fence")
            .expression_attribute_names("#f", "fence")
            .expression_attribute_values(":fence", num(fence as i64))
            .return_values(ReturnValue::AllNew);
        for (name, value) in values {
            req = req.expression_attribute_values(name, value);
        }
        if set.contains("#d") {
            req = req.expression_attribute_names("#d", "data");
        }
        match req.send().await {
            Ok(out) => Ok(out.attributes.unwrap_or_default()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                Err(PortError::Fenced { key: key.to_string(), fence })
            }
            Err(e) => Err(sdk_error(op, e)),
        }
    }
}

fn pk(key: &FolderKey) -> String {
    format!("CKP#{}#{}", key.job, key.mailbox)
}

fn num(n: i64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Result<i64, PortError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| PortError::corrupt("checkpoint item", format!("attribute {name} missing")))
}

fn decode(item: &HashMap<String, AttributeValue>, key: &FolderKey) -> Result<Checkpoint, PortError> {
    decode_checkpoint(text(item, "data").unwrap_or("{}"), key)
}

fn lease(item: &HashMap<String, AttributeValue>) -> Result<Lease, PortError> {
    Ok(Lease {
        fence: number(item, "fence")? as u64,
        owner: text(item, "owner").unwrap_or_default().to_string(),
        expires_at: lease_time(number(item, "lease_until")?),
    })
}

#[async_trait]
impl Checkpoints for DynamoCheckpoints {
    async fn acquire(&self, key: &FolderKey, owner: &str, ttl: Duration) -> Result<Claim, PortError> {
        let now = self.clock.now().timestamp_millis();
        let empty = serde_json::to_string(&Checkpoint::default()).unwrap_or_default();
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk(key)))
            .key("sk", s(sort_key(&key.folder)))
            .update_expression("SET #o = :owner, lease_until = :until, #d = if_not_exists(#d, :empty) ADD #f :one")
            .condition_expression("attribute_not_exists(pk) OR lease_until <= :now OR #o = :owner")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#d", "data")
            .expression_attribute_names("#f", "fence")
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":until", num(self.until(ttl)))
            .expression_attribute_values(":empty", s(empty))
            .expression_attribute_values(":one", num(1))
            .expression_attribute_values(":now", num(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match r {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(Claim { lease: lease(&item)?, checkpoint: decode(&item, key)? })
            }
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                let held = self.item(key).await?.map(|i| lease(&i)).transpose()?;
                let (owner, until) =
                    held.map_or((String::from("another worker"), lease_time(now)), |l| (l.owner, l.expires_at));
                Err(PortError::LeaseHeld { key: key.to_string(), owner, until })
            }
            Err(e) => Err(sdk_error("acquire folder", e)),
        }
    }

    async fn renew(&self, key: &FolderKey, fence: u64, ttl: Duration) -> Result<Lease, PortError> {
        let item = self
            .fenced(key, fence, "renew lease", "SET lease_until = :until", vec![(":until", num(self.until(ttl)))])
            .await?;
        lease(&item)
    }

    async fn save(&self, key: &FolderKey, fence: u64, checkpoint: &Checkpoint) -> Result<(), PortError> {
        let data = serde_json::to_string(checkpoint).map_err(|e| PortError::corrupt("checkpoint", e))?;
        self.fenced(key, fence, "save checkpoint", "SET #d = :data", vec![(":data", s(data))]).await.map(|_| ())
    }

    async fn release(&self, key: &FolderKey, fence: u64) -> Result<(), PortError> {
        self.fenced(key, fence, "release folder", "SET lease_until = :zero", vec![(":zero", num(0))]).await.map(|_| ())
    }

    async fn load(&self, key: &FolderKey) -> Result<Option<Checkpoint>, PortError> {
        self.item(key).await?.map(|i| decode(&i, key)).transpose()
    }
}

impl DynamoCheckpoints {
    async fn item(&self, key: &FolderKey) -> Result<Option<HashMap<String, AttributeValue>>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk(key)))
            .key("sk", s(sort_key(&key.folder)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read checkpoint", e))?;
        Ok(out.item)
    }
}
