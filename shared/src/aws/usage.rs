//! The usage ledger on DynamoDB: one item per record under `USAGE#<tenant>`, sorted by time
//! (`U#<rfc3339>#<random>`), written in batches of 25.

use super::error::sdk_error;
use super::store::{query_data, s};
use crate::model::TenantId;
use crate::ports::{PortError, UsageLedger, UsageRecord};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};

/// [`UsageLedger`] on DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoUsage {
    client: Client,
    table: String,
}

impl DynamoUsage {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoUsage { client, table: table.into() }
    }
}

#[async_trait]
impl UsageLedger for DynamoUsage {
    async fn record(&self, records: &[UsageRecord]) -> Result<(), PortError> {
        for chunk in records.chunks(25) {
            let mut writes = Vec::with_capacity(chunk.len());
            for r in chunk {
                let data = serde_json::to_string(r).map_err(|e| PortError::corrupt("usage record", e))?;
                let sk = format!("U#{}#{}", r.at.format("%Y-%m-%dT%H:%M:%S%.6fZ"), uuid::Uuid::new_v4().simple());
                let put = PutRequest::builder()
                    .item("pk", s(format!("USAGE#{}", r.tenant)))
                    .item("sk", s(sk))
                    .item("data", s(data))
                    .build()
                    .map_err(|e| PortError::backend("record usage", false, e))?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = Some(std::collections::HashMap::from([(self.table.clone(), writes)]));
            for attempt in 0..8u32 {
                let Some(items) = pending.take().filter(|m| m.values().any(|v| !v.is_empty())) else { break };
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(items))
                    .send()
                    .await
                    .map_err(|e| sdk_error("record usage", e))?;
                pending = out.unprocessed_items;
                if pending.as_ref().is_some_and(|m| m.values().any(|v| !v.is_empty())) {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
                }
            }
            if pending.is_some_and(|m| m.values().any(|v| !v.is_empty())) {
                return Err(PortError::Backend {
                    op: "record usage",
                    retryable: true,
                    detail: "DynamoDB kept returning unprocessed items".into(),
                    source: None,
                });
            }
        }
        Ok(())
    }

    async fn records(&self, tenant: &TenantId) -> Result<Vec<UsageRecord>, PortError> {
        query_data(&self.client, &self.table, &format!("USAGE#{tenant}"), "U#", "usage record").await
    }
}
