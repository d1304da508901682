//! `mailferry seal` seals a secret from standard input with a KMS key (moto here): the printed text opens, with
//! the same key and context, to the secret, never contains it, and fails to open for another context.

use mailferry::aws::KmsSecretBox;
use mailferry::ports::{Sealed, SecretBox};
use mailferry_tests::moto;
use std::io::Write;
use std::process::{Command, Stdio};

#[tokio::test]
async fn sealed_destination_password_opens_in_the_functions() {
    let client = aws_sdk_kms::Client::new(&moto::sdk_config().await);
    let key = moto::create_key(&client).await;
    let bin = std::env::current_exe().unwrap().parent().and_then(|d| d.parent()).unwrap().join("mailferry");
    let mut child = Command::new(bin)
        .args(["seal", "--kms-key", &key])
        .env("AWS_ENDPOINT_URL", moto::endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Master-Pass 42\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let sealed = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(!sealed.contains("Master-Pass"));
    let sb = KmsSecretBox::new(client, &key);
    assert_eq!(sb.open(&Sealed(sealed.clone()), "destination").await.unwrap().expose(), "Master-Pass 42");
    assert!(sb.open(&Sealed(sealed), "job-1/ann@example.com").await.is_err());
}
