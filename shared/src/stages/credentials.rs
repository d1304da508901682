//! Source credentials at rest and in use: sealed (bound to the job and mailbox) the moment the upload is read,
//! opened only by the task that logs in, and turned into the engine's connection settings.

use super::StageError;
use super::holds::{HasBlobs, HasClock, HasSecrets, HasSettings, HasStore};
use super::provider_tokens::{self, Provider};
use super::sealing::{open_secret, seal_secret};
use crate::engine::{CopySettings, MailboxSync};
use crate::imap::plan::Filters;
use crate::imap::{Endpoint, Login, Networks};
use crate::model::{AuthKind, Credentials, EmailAddress, MailboxRecord, Secret, Security, SourceAccount};
use crate::ports::Sealed;

/// Seal the one secret of an account (password, master password or token).
pub(crate) async fn seal(
    deps: &impl HasSecrets,
    job: &crate::model::JobId,
    account: &SourceAccount,
) -> Result<Sealed, StageError> {
    let current;
    let secret = match &account.credentials {
        Credentials::Password { password } => password,
        Credentials::Master { master_password, .. } => master_password,
        Credentials::Oauth2 { token, .. } => token,
        Credentials::Google { service_account } => service_account,
        Credentials::Microsoft { app } => app,
        // As it is now: the pre-flight's sign-in may have rotated the refresh token.
        Credentials::Refresh { grant } => {
            current = grant.get();
            &current
        }
    };
    seal_secret(deps, job, &account.destination, secret).await
}

/// The non-secret half of an account as a mailbox record keeps it, with what the pre-flight found.
pub(crate) fn details_of(a: &SourceAccount, preflight: crate::model::Preflight) -> crate::model::MailboxDetails {
    crate::model::MailboxDetails {
        host: a.host.to_string(),
        port: a.port,
        security: Some(a.security),
        auth: Some(a.credentials.kind()),
        master_user: match &a.credentials {
            Credentials::Master { master_user, .. } => Some(master_user.clone()),
            _ => None,
        },
        include: a.include.clone(),
        exclude: a.exclude.clone(),
        gmail_single_copy: a.gmail_single_copy,
        preflight: Some(preflight),
        folders: Vec::new(),
        round: 0,
        renamed: Vec::new(),
    }
}

/// A stored mailbox's account again, its secret opened (for a new pre-flight); an error when it was purged.
pub(crate) async fn account_of(deps: &impl HasSecrets, m: &MailboxRecord) -> Result<SourceAccount, StageError> {
    let unusable = |reason: String| StageError::Mailbox { mailbox: m.address.to_string(), reason };
    let purged = "its credentials were purged: give them again with --credentials FILE";
    let secret = open_secret(deps, m, purged).await?;
    let d = &m.details;
    let credentials = match d.auth {
        Some(AuthKind::Password) | None => Credentials::Password { password: secret },
        Some(AuthKind::Master) => {
            Credentials::Master { master_user: d.master_user.clone().unwrap_or_default(), master_password: secret }
        }
        Some(AuthKind::Oauth2) => Credentials::Oauth2 { provider: crate::model::Provider::Imap, token: secret },
        Some(AuthKind::Google) => Credentials::Google { service_account: secret },
        Some(AuthKind::Microsoft) => Credentials::Microsoft { app: secret },
        Some(AuthKind::Refresh) => Credentials::Refresh { grant: crate::model::SecretCell::new(secret) },
    };
    Ok(SourceAccount {
        destination: m.address.clone(),
        host: crate::model::Host::parse(&d.host).map_err(|e| unusable(format!("its host {e}")))?,
        port: d.port,
        security: d.security.unwrap_or(Security::Tls),
        user: m.source_user.clone(),
        credentials,
        provider: crate::model::Provider::Imap,
        include: d.include.clone(),
        exclude: d.exclude.clone(),
        gmail_single_copy: d.gmail_single_copy,
    })
}

/// The source login of an account as read from the file (pre-flight, before anything is stored); a Google or
/// Microsoft row gets its first token here.
pub(crate) async fn login_of(deps: &(impl HasClock + HasSettings), account: &SourceAccount) -> Result<Login, String> {
    match &account.credentials {
        Credentials::Password { password } => {
            Ok(Login::Password { user: account.user.clone(), password: password.clone() })
        }
        Credentials::Master { master_user, master_password } => Ok(Login::Master {
            user: account.user.clone(),
            master_user: master_user.clone(),
            master_password: master_password.clone(),
        }),
        Credentials::Oauth2 { token, .. } => Ok(bearer(&account.user, token.clone())),
        Credentials::Google { service_account: file } | Credentials::Microsoft { app: file } => {
            let kind = account.credentials.kind();
            provider_login(deps, &account.destination, &account.user, kind, file).await.map_err(|e| e.to_string())
        }
        // The pre-flight's sign-in: a rotated token goes into the cell, which is sealed afterwards.
        Credentials::Refresh { grant } => {
            let provider = Provider::Refresh { grant: grant.clone(), keep: None };
            provider_tokens::login(deps, &account.destination, &account.user, provider).await.map_err(|e| e.to_string())
        }
    }
}

/// A sign-in with a job-level provider credential (`kind` Google or Microsoft), whose tokens are asked for as
/// they are needed (see `provider_tokens`).
async fn provider_login(
    deps: &(impl HasClock + HasSettings),
    mailbox: &EmailAddress,
    user: &str,
    kind: AuthKind,
    credential: &Secret<String>,
) -> Result<Login, StageError> {
    let provider = match kind {
        AuthKind::Microsoft => Provider::microsoft(credential),
        _ => Provider::google(credential),
    };
    let provider = provider.map_err(|source| StageError::Token { mailbox: mailbox.to_string(), source, hint: None })?;
    provider_tokens::login(deps, mailbox, user, provider).await
}

/// A sign-in with a per-row access token: XOAUTH2 (Google, Microsoft), or OAUTHBEARER where the server offers
/// only that.
fn bearer(user: &str, token: Secret<String>) -> Login {
    let token = crate::imap::BearerToken::Fixed(token);
    Login::Bearer { user: user.to_string(), token, mechanism: crate::imap::BearerMechanism::XOAuth2 }
}

/// An endpoint with the deployment's CA file and timeout.
pub(crate) fn endpoint(deps: &impl HasSettings, host: &crate::model::Host, port: u16, security: Security) -> Endpoint {
    Endpoint {
        host: host.clone(),
        port,
        security,
        ca_file: deps.settings().source_ca_file.clone(),
        timeout: deps.settings().imap_timeout,
        networks: if deps.settings().allow_private_sources { Networks::Any } else { Networks::PublicOnly },
    }
}

/// The destination login for a mailbox (the platform's master user acting for it).
pub(crate) fn dest_login(deps: &impl HasSettings, address: &EmailAddress) -> Login {
    let d = &deps.settings().destination;
    Login::Master {
        user: address.to_string(),
        master_user: d.master_user.clone(),
        master_password: d.master_password.clone(),
    }
}

/// Open a stored mailbox's credentials and build the engine's settings for it.
pub(crate) async fn mailbox_sync(
    deps: &(impl HasStore + HasBlobs + HasSecrets + HasClock + HasSettings),
    m: &MailboxRecord,
) -> Result<MailboxSync, StageError> {
    let secret = open_secret(deps, m, "its credentials were purged (the job ended)").await?;
    let d = &m.details;
    let preset = super::presets::of(&d.host, d.auth);
    let source_login = match d.auth {
        Some(AuthKind::Password) | None => Login::Password { user: m.source_user.clone(), password: secret },
        Some(AuthKind::Master) => Login::Master {
            user: m.source_user.clone(),
            master_user: d.master_user.clone().unwrap_or_default(),
            master_password: secret,
        },
        Some(AuthKind::Oauth2) => bearer(&m.source_user, secret),
        Some(kind @ (AuthKind::Google | AuthKind::Microsoft)) => {
            provider_login(deps, &m.address, &m.source_user, kind, &secret).await?
        }
        Some(AuthKind::Refresh) => {
            let keep = provider_tokens::Keep {
                store: deps.store().clone(),
                secrets: deps.secrets().clone(),
                job: m.job.clone(),
                address: m.address.clone(),
            };
            let keep = Some(Box::new(keep));
            let provider = Provider::Refresh { grant: crate::model::SecretCell::new(secret), keep };
            provider_tokens::login(deps, &m.address, &m.source_user, provider).await?
        }
    };
    let host = crate::model::Host::parse(&d.host)
        .map_err(|e| StageError::Mailbox { mailbox: m.address.to_string(), reason: format!("its source host {e}") })?;
    Ok(MailboxSync {
        source: endpoint(deps, &host, d.port, d.security.unwrap_or(Security::Tls)),
        source_login,
        dest: deps.settings().destination.endpoint.clone(),
        dest_login: dest_login(deps, &m.address),
        job: m.job.clone(),
        mailbox: m.address.to_string(),
        filters: Filters {
            include: d.include.clone(),
            exclude: super::presets::exclude(preset, &d.include, &d.exclude),
            gmail_single_copy: d.gmail_single_copy,
        },
        parallel: 1,
        // A dropped connection is retried inside the task from the checkpoint (fresh logins), before the queue's
        // redelivery with its longer back-off.
        attempts: 4,
        settings: CopySettings { max_message: preset.map(|p| (p.max_message, p.name)), ..deps.settings().copy.clone() },
        ledgers: Some(crate::engine::ledger::LedgerStore(deps.blobs().clone())),
        known_folders: d.folders.clone(),
    })
}
