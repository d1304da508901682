//! The job/mailbox store on one DynamoDB table (`pk`, `sk` strings): a job is `JOB#<id>`/`JOB` with its status as
//! its own attribute (so transitions are one conditional update), a mailbox is `JOB#<id>`/`MBX#<address>`.

use super::error::sdk_error;
use crate::model::{EmailAddress, Job, JobId, JobStatus, MailboxRecord, TenantId};
use crate::ports::{JobStore, PortError};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use std::collections::HashMap;

/// [`JobStore`] on DynamoDB.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore { client, table: table.into() }
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn job_pk(id: &JobId) -> String {
    format!("JOB#{id}")
}

fn mailbox_item(m: &MailboxRecord) -> Result<HashMap<String, AttributeValue>, PortError> {
    let data = serde_json::to_string(m).map_err(|e| PortError::corrupt("mailbox", e))?;
    Ok(HashMap::from([
        ("pk".to_string(), s(job_pk(&m.job))),
        ("sk".to_string(), s(format!("MBX#{}", m.address))),
        ("data".to_string(), s(data)),
    ]))
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(&self, job: &Job) -> Result<(), PortError> {
        let data = serde_json::to_string(job).map_err(|e| PortError::corrupt("job", e))?;
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(job_pk(&job.id)))
            .item("sk", s("JOB"))
            .item("status", s(job.status.as_str()))
            .item("data", s(data))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                return Err(PortError::AlreadyExists { what: format!("job {}", job.id) });
            }
            Err(e) => return Err(sdk_error("create job", e)),
        }
        // The tenant's index of its jobs (`TENANT#<tenant>` / `JOB#<created>#<id>`), for `jobs_of`; written after
        // the job, so an index entry always names a job that exists.
        let id = serde_json::to_string(&job.id).map_err(|e| PortError::corrupt("job id", e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(format!("TENANT#{}", job.tenant)))
            .item("sk", s(format!("JOB#{}#{}", job.created_at.timestamp_millis(), job.id)))
            .item("data", s(id))
            .send()
            .await
            .map_err(|e| sdk_error("index job", e))?;
        Ok(())
    }

    async fn jobs_of(&self, tenant: &TenantId) -> Result<Vec<Job>, PortError> {
        let ids: Vec<JobId> =
            query_data(&self.client, &self.table, &format!("TENANT#{tenant}"), "JOB#", "job index").await?;
        let jobs = futures::future::try_join_all(ids.iter().rev().map(|id| self.job(id))).await?;
        Ok(jobs.into_iter().flatten().filter(|j| &j.tenant == tenant).collect())
    }

    async fn job(&self, id: &JobId) -> Result<Option<Job>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(job_pk(id)))
            .key("sk", s("JOB"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read job", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let data = text(&item, "data").ok_or_else(|| PortError::corrupt("job", "no data attribute"))?;
        let mut job: Job = serde_json::from_str(data).map_err(|e| PortError::corrupt("job", e))?;
        job.status = text(&item, "status")
            .unwrap_or_default()
            .parse()
            .map_err(|e: String| PortError::corrupt("job status", e))?;
        Ok(Some(job))
    }

    async fn transition_job(&self, id: &JobId, from: JobStatus, to: JobStatus) -> Result<bool, PortError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(job_pk(id)))
            .key("sk", s("JOB"))
            .update_expression("SET #s = :to")
            .condition_expression("#s = :from")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":from", s(from.as_str()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(sdk_error("update job status", e)),
        }
    }

    async fn put_mailboxes(&self, mailboxes: &[MailboxRecord]) -> Result<(), PortError> {
        for chunk in mailboxes.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|m| {
                    let put = PutRequest::builder()
                        .set_item(Some(mailbox_item(m)?))
                        .build()
                        .map_err(|e| PortError::backend("store mailboxes", false, e))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, PortError>>()?;
            for attempt in 0u32.. {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| sdk_error("store mailboxes", e))?;
                requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt >= 8 {
                    return Err(PortError::Backend {
                        op: "store mailboxes",
                        retryable: true,
                        detail: "DynamoDB kept items unprocessed".into(),
                        source: None,
                    });
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
        }
        Ok(())
    }

    async fn mailbox(&self, job: &JobId, address: &EmailAddress) -> Result<Option<MailboxRecord>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(job_pk(job)))
            .key("sk", s(format!("MBX#{address}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("read mailbox", e))?;
        let Some(item) = out.item else { return Ok(None) };
        let data = text(&item, "data").ok_or_else(|| PortError::corrupt("mailbox", "no data attribute"))?;
        serde_json::from_str(data).map(Some).map_err(|e| PortError::corrupt("mailbox", e))
    }

    async fn mailboxes(&self, job: &JobId) -> Result<Vec<MailboxRecord>, PortError> {
        query_data(&self.client, &self.table, &job_pk(job), "MBX#", "mailbox").await
    }
}

/// Every item of partition `pk` whose sort key starts with `sk_prefix`, in sort-key order, each decoded from its
/// `data` attribute (JSON); pages are followed to the end.
pub(crate) async fn query_data<T: serde::de::DeserializeOwned>(
    client: &Client,
    table: &str,
    pk: &str,
    sk_prefix: &str,
    what: &'static str,
) -> Result<Vec<T>, PortError> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(sk_prefix))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_error("query", e))?;
        for item in page.items() {
            let data = text(item, "data").ok_or_else(|| PortError::corrupt(what, "no data attribute"))?;
            out.push(serde_json::from_str(data).map_err(|e| PortError::corrupt(what, e))?);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    Ok(out)
}
