//! Building SDK configuration from the environment. `AWS_ENDPOINT_URL` (moto, or any other endpoint) is
//! honoured by the SDK itself; S3 then needs path-style addressing, since `bucket.127.0.0.1` resolves nowhere.

/// The shared SDK configuration from the environment (region, credentials, endpoint).
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// An S3 client for `config`, path-style when a custom endpoint is set.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let conf = aws_sdk_s3::config::Builder::from(config).force_path_style(path_style).build();
    aws_sdk_s3::Client::from_conf(conf)
}
