//! Counters on DynamoDB: one item per scope (`CTR#<scope>`/`CTR`), one numeric attribute per counter
//! (`c_<name>`), added to with a single `ADD` update, which DynamoDB applies atomically.

use super::error::sdk_error;
use super::store::s;
use crate::ports::{Counters, PortError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
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
}
