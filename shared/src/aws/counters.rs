//! Counters on DynamoDB: one item per scope (`CTR#<scope>`/`CTR`), one numeric attribute per counter
//! (`c_<name>`), added to with a single `ADD` update, which DynamoDB applies atomically. An event recorded by
//! `add_once` is its own item (`CTR#<scope>`/`EVT#<event>`), written in one transaction with the counters, which
//! are set to values computed from a read and guarded by those values (optimistic: a concurrent change to one of
//! them cancels the transaction and it is tried again), so the values returned are exact.

use super::error::sdk_error;
use super::keys::sort_key;
use super::store::s;
use crate::ports::{Counters, PortError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use std::collections::{BTreeMap, HashMap};

/// [`Counters`] on DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoCounters {
    client: Client,
    table: String,
}

impl DynamoCounters {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoCounters { client, table: table.into() }
    }
}

fn counters_of(item: &HashMap<String, AttributeValue>) -> Result<BTreeMap<String, i64>, PortError> {
    item.iter()
        .filter_map(|(k, v)| k.strip_prefix("c_").map(|name| (name, v)))
        .map(|(name, v)| {
            let n = v.as_n().map_err(|_| PortError::corrupt(format!("counter {name}"), "not a number"))?;
            Ok((name.to_string(), n.parse().map_err(|e| PortError::corrupt(format!("counter {name}"), e))?))
        })
        .collect()
}

#[async_trait]
impl Counters for DynamoCounters {
    async fn add(&self, scope: &str, deltas: &[(&str, i64)]) -> Result<BTreeMap<String, i64>, PortError> {
        if deltas.is_empty() {
            return self.get(scope).await;
        }
        let mut req =
            self.client.update_item().table_name(&self.table).key("pk", s(format!("CTR#{scope}"))).key("sk", s("CTR"));
        let mut parts = Vec::new();
        for (i, (name, delta)) in deltas.iter().enumerate() {
            parts.push(format!("#c{i} :v{i}"));
            req = req
                .expression_attribute_names(format!("#c{i}"), format!("c_{name}"))
                .expression_attribute_values(format!(":v{i}"), AttributeValue::N(delta.to_string()));
        }
        let out = req
            .update_expression(format!("ADD {}", parts.join(", ")))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| sdk_error("add counters", e))?;
        counters_of(&out.attributes.unwrap_or_default())
    }

    async fn get(&self, scope: &str) -> Result<BTreeMap<String, i64>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("CTR#{scope}")))
            .key("sk", s("CTR"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read counters", e))?;
        counters_of(&out.item.unwrap_or_default())
    }

    async fn add_once(
        &self,
        scope: &str,
        event: &str,
        deltas: &[(&str, i64)],
    ) -> Result<Option<BTreeMap<String, i64>>, PortError> {
        let pk = format!("CTR#{scope}");
        // A repeat is the common case of a redelivery: answered by a read, without a transaction.
        if self.seen(scope, event).await? {
            return Ok(None);
        }
        for attempt in 0..50u32 {
            let mut after = counters_of(&self.item(&pk).await?)?;
            let update = self.guarded_update(&pk, deltas, &mut after)?;
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(&pk))
                .item("sk", s(sort_key(&format!("EVT#{event}"))))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| PortError::backend("add counters once", false, e))?;
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put).build())
                .transact_items(TransactWriteItem::builder().update(update).build())
                .send()
                .await;
            match result {
                Ok(_) => return Ok(Some(after)),
                Err(e) => {
                    let reasons = cancellation_reasons(&e);
                    if reasons.is_empty() {
                        return Err(sdk_error("add counters once", e));
                    }
                    if reasons.first().is_some_and(|c| c == "ConditionalCheckFailed") {
                        return Ok(None);
                    }
                    // The counters changed under us (or a transaction conflict): read again and retry.
                    tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(attempt.min(20)))).await;
                }
            }
        }
        Err(PortError::Backend {
            op: "add counters once",
            retryable: true,
            detail: format!("counters of {scope} kept changing; gave up after 50 attempts"),
            source: None,
        })
    }

    async fn seen(&self, scope: &str, event: &str) -> Result<bool, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("CTR#{scope}")))
            .key("sk", s(sort_key(&format!("EVT#{event}"))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read counter event", e))?;
        Ok(out.item.is_some())
    }

    async fn forget(&self, scope: &str, event: &str) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(format!("CTR#{scope}")))
            .key("sk", s(sort_key(&format!("EVT#{event}"))))
            .send()
            .await
            .map_err(|e| sdk_error("forget counter event", e))?;
        Ok(())
    }
}

impl DynamoCounters {
    async fn item(&self, pk: &str) -> Result<HashMap<String, AttributeValue>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s("CTR"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read counters", e))?;
        Ok(out.item.unwrap_or_default())
    }
}

impl DynamoCounters {
    /// The update that adds `deltas` to the counters read as `after` (updated in place to the new values), on
    /// condition that none changed since they were read (optimistic: a transaction cancelled by a change is tried
    /// again).
    fn guarded_update(
        &self,
        pk: &str,
        deltas: &[(&str, i64)],
        after: &mut BTreeMap<String, i64>,
    ) -> Result<Update, PortError> {
        let mut update = Update::builder().table_name(&self.table).key("pk", s(pk)).key("sk", s("CTR"));
        let (mut sets, mut guards) = (Vec::new(), Vec::new());
        for (i, (name, delta)) in deltas.iter().enumerate() {
            update = update.expression_attribute_names(format!("#c{i}"), format!("c_{name}"));
            match after.get(*name) {
                Some(old) => {
                    guards.push(format!("#c{i} = :o{i}"));
                    update = update.expression_attribute_values(format!(":o{i}"), AttributeValue::N(old.to_string()));
                }
                None => guards.push(format!("attribute_not_exists(#c{i})")),
            }
            let value = after.entry(name.to_string()).or_insert(0);
            *value += delta;
            sets.push(format!("#c{i} = :v{i}"));
            update = update.expression_attribute_values(format!(":v{i}"), AttributeValue::N(value.to_string()));
        }
        if sets.is_empty() {
            sets.push("#t = :t".into());
            update = update
                .expression_attribute_names("#t", "touched")
                .expression_attribute_values(":t", AttributeValue::Bool(true));
        } else {
            update = update.condition_expression(guards.join(" AND "));
        }
        update
            .update_expression(format!("SET {}", sets.join(", ")))
            .build()
            .map_err(|e| PortError::backend("add counters once", false, e))
    }
}

/// Why DynamoDB cancelled a transaction, one code per item (empty: it failed otherwise).
fn cancellation_reasons<R>(e: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>) -> Vec<String> {
    e.as_service_error()
        .and_then(|se| match se {
            TransactWriteItemsError::TransactionCanceledException(tc) => {
                Some(tc.cancellation_reasons().iter().map(|r| r.code().unwrap_or("").to_string()).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}
