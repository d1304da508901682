//! A mailbox's secret at rest: sealed bound to its job and mailbox (opening it for another job or mailbox fails)
//! and opened only where it is used. Both the credentials given at upload (`credentials`) and the refresh tokens
//! a provider rotates (`provider_tokens`) are kept this way.

use super::StageError;
use super::holds::HasSecrets;
use crate::model::{EmailAddress, MailboxRecord, Secret};
use crate::ports::Sealed;

/// What a sealed secret is bound to: opening it for another job or mailbox fails.
fn context(job: &crate::model::JobId, address: &EmailAddress) -> String {
    format!("{job}/{address}")
}

/// Seal one secret for mailbox `address` of `job`.
pub(crate) async fn seal_secret(
    deps: &impl HasSecrets,
    job: &crate::model::JobId,
    address: &EmailAddress,
    secret: &Secret<String>,
) -> Result<Sealed, StageError> {
    deps.secrets().seal(secret, &context(job, address)).await.map_err(StageError::port("seal credentials"))
}

/// Open a stored mailbox's sealed secret; `purged` says why there is none.
pub(crate) async fn open_secret(
    deps: &impl HasSecrets,
    m: &MailboxRecord,
    purged: &str,
) -> Result<Secret<String>, StageError> {
    let Some(sealed) = m.sealed_credentials.clone() else {
        return Err(StageError::Mailbox { mailbox: m.address.to_string(), reason: purged.to_string() });
    };
    deps.secrets().open(&sealed, &context(&m.job, &m.address)).await.map_err(StageError::port("open credentials"))
}
