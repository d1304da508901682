//! The messages between stages (JSON on SQS or the embedded queue, and the scheduler's input), and the lenient
//! reading of S3 notifications (moto leaves fields out and form-URL-encodes keys; AWS encodes spaces as `+`).

use super::StageError;
use crate::imap::plan::FolderPlan;
use crate::model::{EmailAddress, JobId, Pass};
use serde::{Deserialize, Serialize};

/// A copy task on the task queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Task {
    /// Plan one mailbox's folders, create them, and enqueue one folder task each.
    Mailbox { job: JobId, pass: Pass, mailbox: EmailAddress },
    /// Copy one folder until done or the deadline (then it is enqueued again).
    Folder(FolderTaskSpec),
}

/// One folder of one mailbox in one pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderTaskSpec {
    pub job: JobId,
    pub pass: Pass,
    pub mailbox: EmailAddress,
    pub folder: FolderPlan,
    /// Messages the folder's checkpoint counted before this pass, so the pass reports only its own.
    pub copied_before: u64,
}

/// The notifier's input: "every mailbox of this pass is finished", or (with `cutover`) "the cutover assistant
/// scheduled this final pass because every domain points to the new platform".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassEvent {
    pub job: JobId,
    pub pass: Pass,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cutover: bool,
}

/// What a schedule hands the scheduler stage when it fires (the JSON an operator can also type into the AWS
/// console): `{"job": "job-…", "pass": "initial"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInput {
    pub job: JobId,
    pub pass: Pass,
    /// What the schedule does: start the pass (the default, so the console JSON above stays valid), or end the
    /// job because its credentials' retention period is over.
    #[serde(default, skip_serializing_if = "ScheduleAction::is_start")]
    pub action: ScheduleAction,
}

/// What a schedule does when it fires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleAction {
    #[default]
    Start,
    /// Cancel the job and purge its sealed credentials (the retention period is over).
    Expire,
    /// The cutover assistant's next look at the job's MX records (see `cutover`).
    Cutover,
}

impl ScheduleAction {
    fn is_start(&self) -> bool {
        *self == ScheduleAction::Start
    }
}

impl Task {
    /// Parse a queue message body.
    pub fn parse(body: &str) -> Result<Task, StageError> {
        serde_json::from_str(body).map_err(|e| StageError::BadMessage { what: "task", detail: e.to_string() })
    }

    /// The message body.
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The object keys (bucket, key) of an S3 event notification, read leniently: only `Records[].s3.bucket.name`
/// and `Records[].s3.object.key` are needed; keys are form-URL-decoded. A test event (`s3:TestEvent`) or a
/// record without a key yields nothing.
pub fn parse_s3_event(json: &str) -> Result<Vec<(String, String)>, StageError> {
    let bad = |detail: String| StageError::BadMessage { what: "S3 event", detail };
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for r in v.get("Records").and_then(|r| r.as_array()).into_iter().flatten() {
        let s3 = &r["s3"];
        let (Some(bucket), Some(key)) = (s3["bucket"]["name"].as_str(), s3["object"]["key"].as_str()) else {
            continue;
        };
        let key = form_decode(key).ok_or_else(|| bad(format!("object key {key:?} is not valid URL encoding")))?;
        out.push((bucket.to_string(), key));
    }
    Ok(out)
}

pub(crate) fn form_decode(s: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(s.len());
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = [it.next()?, it.next()?];
                bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_keys_from_moto_and_aws() {
        let moto = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-24T10:00:00.000",
            "eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},
            "object":{"key":"migrations%2Facme%2Fa+b%C3%A9.csv","size":10}}}]}"#;
        assert_eq!(parse_s3_event(moto).unwrap(), [("b".to_string(), "migrations/acme/a bé.csv".to_string())]);
        assert!(parse_s3_event(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#).unwrap().is_empty());
        assert!(parse_s3_event("not json").is_err());
    }

    #[test]
    fn tasks_round_trip() {
        let t = Task::Mailbox {
            job: JobId::new("job-1").unwrap(),
            pass: Pass::Final,
            mailbox: EmailAddress::parse("a@b.test").unwrap(),
        };
        assert_eq!(t.to_body(), r#"{"type":"mailbox","job":"job-1","pass":"final","mailbox":"a@b.test"}"#);
        assert_eq!(Task::parse(&t.to_body()).unwrap(), t);
        assert!(!Task::parse(r#"{"type":"nope"}"#).unwrap_err().is_retryable());
    }
}
