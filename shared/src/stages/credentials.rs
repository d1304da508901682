//! Source credentials at rest and in use: sealed (bound to the job and mailbox) the moment the upload is read,
//! opened only by the task that logs in, and turned into the engine's connection settings.

use super::{Deps, StageError};
use crate::engine::MailboxSync;
use crate::imap::plan::Filters;
use crate::imap::{Endpoint, Login, Networks};
use crate::model::{AuthKind, Credentials, MailboxRecord, Secret, Security, SourceAccount};
use crate::ports::Sealed;

/// What a sealed secret is bound to: opening it for another job or mailbox fails.
fn context(job: &crate::model::JobId, address: &str) -> String {
    format!("{job}/{address}")
}

/// Seal the one secret of an account (password, master password or token).
pub(crate) async fn seal(
    deps: &Deps,
    job: &crate::model::JobId,
    account: &SourceAccount,
) -> Result<String, StageError> {
    let secret = match &account.credentials {
        Credentials::Password { password } => password,
        Credentials::Master { master_password, .. } => master_password,
        Credentials::Oauth2 { token, .. } => token,
    };
    let sealed = deps
        .secrets
        .seal(secret, &context(job, &account.destination.to_string()))
        .await
        .map_err(StageError::port("seal credentials"))?;
    Ok(sealed.0)
}

/// The source login of an account as read from the file (pre-flight, before anything is stored).
pub(crate) fn login_of(account: &SourceAccount) -> Result<Login, String> {
    match &account.credentials {
        Credentials::Password { password } => {
            Ok(Login::Password { user: account.user.clone(), password: password.clone() })
        }
        Credentials::Master { master_user, master_password } => Ok(Login::Master {
            user: account.user.clone(),
            master_user: master_user.clone(),
            master_password: master_password.clone(),
        }),
        Credentials::Oauth2 { .. } => {
            Err("OAuth 2.0 sign-in is not available yet; use a password or a master user".into())
        }
    }
}

/// An endpoint with the deployment's CA file and timeout.
pub(crate) fn endpoint(deps: &Deps, host: &str, port: u16, security: Security) -> Endpoint {
    Endpoint {
        host: host.to_string(),
        port,
        security,
        ca_file: deps.settings.source_ca_file.clone(),
        timeout: deps.settings.imap_timeout,
        networks: if deps.settings.allow_private_sources { Networks::Any } else { Networks::PublicOnly },
    }
}

/// The destination login for a mailbox (the platform's master user acting for it).
pub(crate) fn dest_login(deps: &Deps, address: &str) -> Login {
    let d = &deps.settings.destination;
    Login::Master {
        user: address.to_string(),
        master_user: d.master_user.clone(),
        master_password: d.master_password.clone(),
    }
}

/// Open a stored mailbox's credentials and build the engine's settings for it.
pub(crate) async fn mailbox_sync(deps: &Deps, m: &MailboxRecord) -> Result<MailboxSync, StageError> {
    let unusable = |reason: &str| StageError::Mailbox { mailbox: m.address.clone(), reason: reason.to_string() };
    let sealed = m.sealed_credentials.clone().ok_or_else(|| unusable("its credentials were purged (the job ended)"))?;
    let secret: Secret<String> = deps
        .secrets
        .open(&Sealed(sealed), &context(&m.job, &m.address))
        .await
        .map_err(StageError::port("open credentials"))?;
    let d = &m.details;
    let source_login = match d.auth {
        Some(AuthKind::Password) | None => Login::Password { user: m.source_user.clone(), password: secret },
        Some(AuthKind::Master) => Login::Master {
            user: m.source_user.clone(),
            master_user: d.master_user.clone().unwrap_or_default(),
            master_password: secret,
        },
        Some(AuthKind::Oauth2) => return Err(unusable("OAuth 2.0 sign-in is not available yet")),
    };
    Ok(MailboxSync {
        source: endpoint(deps, &d.host, d.port, d.security.unwrap_or(Security::Tls)),
        source_login,
        dest: deps.settings.destination.endpoint.clone(),
        dest_login: dest_login(deps, &m.address),
        job: m.job.clone(),
        mailbox: m.address.clone(),
        filters: Filters { include: d.include.clone(), exclude: d.exclude.clone() },
        parallel: 1,
        // A dropped connection is retried inside the task from the checkpoint (fresh logins), before the queue's
        // redelivery with its longer back-off.
        attempts: 4,
        settings: deps.settings.copy.clone(),
    })
}
