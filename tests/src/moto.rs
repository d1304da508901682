//! One moto server per test binary (the local AWS APIs), started on a free port on first use and killed with the
//! process. Tests isolate themselves by unique resource names, never by resetting moto.

use crate::process::spawn_tied;
use crate::workspace_root;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The moto endpoint, e.g. `http://127.0.0.1:40123`.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let bin = std::env::var("MAILFERRY_MOTO")
            .map_or_else(|_| workspace_root().join("infra/.venv/bin/moto_server"), Into::into);
        let mut cmd = Command::new(&bin);
        cmd.args(["-H", "127.0.0.1", "-p", "0"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child =
            spawn_tied(cmd).unwrap_or_else(|e| panic!("cannot start {} ({e}); run infra/install.sh", bin.display()));
        let stderr = child.stderr.take().expect("moto stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let url = loop {
            let Some(Ok(line)) = lines.next() else { panic!("moto exited before it listened:\n{}", seen.join("\n")) };
            if let Some(rest) = line.split("Running on ").nth(1) {
                break rest.split_whitespace().next().unwrap_or_default().trim_end_matches('/').to_string();
            }
            seen.push(line);
        };
        // Keep draining its log so moto never blocks on a full pipe; keep the child handle alive forever.
        std::thread::spawn(move || {
            let _child = child;
            for _ in lines {}
        });
        url
    })
}

/// SDK configuration pointing at the moto server, with dummy credentials.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "moto"))
        .load()
        .await
}

/// A unique resource name with a readable prefix.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Create the mailferry table (`pk`, `sk` strings, on-demand) and return its name.
pub async fn create_table(client: &aws_sdk_dynamodb::Client) -> String {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    let name = unique("mailferry");
    let attr = |n: &str| {
        AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build().unwrap()
    };
    let key = |n: &str, t| KeySchemaElement::builder().attribute_name(n).key_type(t).build().unwrap();
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .send()
        .await
        .expect("create table");
    name
}

/// Create a queue and its dead-letter queue (after `max_receives` receives); returns (url, dlq url).
pub async fn create_queues(client: &aws_sdk_sqs::Client, max_receives: u32) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let name = unique("tasks");
    let dlq = client.create_queue().queue_name(format!("{name}-dlq")).send().await.expect("create dlq");
    let dlq_url = dlq.queue_url.unwrap();
    let arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("dlq arn")
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let redrive = format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"{max_receives}"}}"#);
    let q = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .expect("create queue");
    (q.queue_url.unwrap(), dlq_url)
}

/// Create a bucket and return its name.
pub async fn create_bucket(client: &aws_sdk_s3::Client) -> String {
    let name = unique("mailferry");
    client.create_bucket().bucket(&name).send().await.expect("create bucket");
    name
}

/// Create a symmetric KMS key and return its id.
pub async fn create_key(client: &aws_sdk_kms::Client) -> String {
    client.create_key().description("mailferry test").send().await.expect("create key").key_metadata.unwrap().key_id
}

/// Verify a sender domain in SES v2 (moto requires a verified identity before sending).
pub async fn verify_domain(client: &aws_sdk_sesv2::Client, domain: &str) {
    client.create_email_identity().email_identity(domain).send().await.expect("verify identity");
}

/// Messages moto's SES has "sent", as JSON (`GET /moto-api/data.json`, key `ses`).
pub async fn sent_emails() -> serde_json::Value {
    let url = format!("{}/moto-api/data.json", endpoint());
    let body = tokio::task::spawn_blocking(move || {
        let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
        http_get(&addr, "/moto-api/data.json")
    })
    .await
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&body).expect("moto data.json")["ses"].clone()
}

/// A minimal HTTP/1.0 GET (avoids an HTTP client dependency just for moto's introspection API).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect moto");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}
