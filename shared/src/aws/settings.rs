//! A deployment's settings and import directory from the environment `template.yaml` gives a function. Values
//! stored sealed with the deployment's key (the destination's master password, the import target's password) are
//! opened with the function's key when it holds one; a function without the key that is given one is refused.

use super::KmsSecretBox;
use super::parts::{Vars, number, var};
use crate::engine::CopySettings;
use crate::imap::url::parse;
use crate::model::Secret;
use crate::ports::{Directory, Sealed, SecretBox};
use crate::stages::{Connections, Destination, Settings};
use std::sync::Arc;
use std::time::Duration;

/// A value sealed with the deployment's key under `context`, from variable `name` (`None` when unset).
async fn opened(
    vars: Vars<'_>,
    name: &str,
    secrets: Option<&KmsSecretBox>,
    context: &str,
) -> Result<Option<Secret<String>>, String> {
    match vars(name).filter(|v| !v.is_empty()) {
        Some(sealed) => {
            let Some(secrets) = secrets else { return Err(format!("{name}: this function holds no key to open it")) };
            secrets.open(&Sealed(sealed), context).await.map(Some).map_err(|e| format!("{name}: {e}"))
        }
        None => Ok(None),
    }
}

/// The deployment's settings; the destination's master password is stored sealed with the deployment's key
/// (`mailferry seal`, context `destination`).
pub(super) async fn settings(vars: Vars<'_>, secrets: Option<&KmsSecretBox>) -> Result<Settings, String> {
    let dest = parse(&var(vars, "DEST_IMAP_URL")?)?;
    let master_password = opened(vars, "DEST_MASTER_PASSWORD_SEALED", secrets, "destination")
        .await?
        .unwrap_or_else(|| Secret::new(String::new()));
    let timeout = Duration::from_secs(60);
    let allow: Vec<String> = vars("OPERATOR_EMAIL_ALLOW")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    Ok(Settings {
        destination: Destination { endpoint: dest.endpoint(None, timeout), master_user: dest.user, master_password },
        source_ca_file: None,
        // Off unless the deployment says so (template parameter AllowPrivateSources).
        allow_private_sources: vars("ALLOW_PRIVATE_SOURCES").is_some_and(|v| v == "true"),
        imap_timeout: timeout,
        credential_retention: Duration::from_secs(86_400 * number(vars, "CREDENTIAL_RETENTION_DAYS", 30)? as u64),
        mailboxes_in_flight: number(vars, "MAILBOXES_IN_FLIGHT", 10)?,
        preflight_concurrency: number(vars, "PREFLIGHT_CONCURRENCY", 8)?,
        copy: CopySettings {
            owner: format!("lambda:{}", vars("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default()),
            ..Default::default()
        },
        connections: Connections {
            per_mailbox: number(vars, "CONNECTIONS_PER_MAILBOX", 4)? as u32,
            per_source_host: number(vars, "CONNECTIONS_PER_SOURCE_HOST", 20)? as u32,
            small_folder: number(vars, "SMALL_FOLDER_MESSAGES", 2000)? as u32,
        },
        budget: crate::stages::budget::Budgets::parse(&vars("SOURCE_BUDGET").unwrap_or_default())
            .map_err(|e| format!("SOURCE_BUDGET: {e}"))?,
        sender: var(vars, "SENDER_EMAIL")?,
        default_operator: vars("OPERATOR_EMAIL").filter(|s| !s.is_empty()),
        operator_allow: Some(allow),
        reports_at: format!("s3://{}/", var(vars, "BUCKET_NAME")?),
        command_scope: "--aws".into(),
    })
}

/// Where imports create accounts: PostgreSQL (PostfixAdmin schema, e.g. RDS in the function's VPC) when a target
/// is configured, its password sealed with the deployment's key (context `import-target`).
#[cfg(feature = "postgres")]
pub(super) async fn directory(
    vars: Vars<'_>,
    secrets: Option<&KmsSecretBox>,
) -> Result<Option<Arc<dyn Directory>>, String> {
    use crate::import::postgres::{PostgresDirectory, connect};
    let Some(url) = vars("IMPORT_TARGET").filter(|t| !t.is_empty()) else { return Ok(None) };
    let password = opened(vars, "IMPORT_TARGET_PASSWORD_SEALED", secrets, "import-target").await?;
    let ca = vars("IMPORT_CA_FILE").map(std::path::PathBuf::from);
    let client = connect(&url, password.as_ref(), ca.as_deref()).await.map_err(|e| format!("IMPORT_TARGET: {e}"))?;
    Ok(Some(Arc::new(PostgresDirectory::new(client))))
}

#[cfg(not(feature = "postgres"))]
pub(super) async fn directory(vars: Vars<'_>, _: Option<&KmsSecretBox>) -> Result<Option<Arc<dyn Directory>>, String> {
    match vars("IMPORT_TARGET").filter(|t| !t.is_empty()) {
        Some(_) => Err("IMPORT_TARGET: this build has no PostgreSQL support (feature postgres)".into()),
        None => Ok(None),
    }
}
