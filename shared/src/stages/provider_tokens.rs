//! Sign-ins with a job-level provider credential (Google's service-account key, Microsoft's app): a token source
//! per task that asks the token endpoint when it has no token or the one it has ends within a minute, with one
//! request in flight at a time (a lock around the cache), so that every sign-in of the task, including the ones
//! after a token ran out in the middle of a folder, gets a current token. The first token is asked for at once,
//! so a refusal reaches the pre-flight or the task with the provider's words and what to do.

use super::StageError;
use super::holds::{HasClock, HasSettings, holds};
use crate::imap::{BearerMechanism, BearerToken, ImapError, Login, TokenSource};
use crate::model::{EmailAddress, JobId, Secret, SecretCell};
use crate::oauth::{AccessToken, GOOGLE_MAIL_SCOPE, MicrosoftApp, OAuthError, RefreshGrant, ServiceAccount};
use crate::ports::{Clock, JobStore, SecretBox};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Whose credential mints the tokens.
#[derive(Debug)]
pub(crate) enum Provider {
    /// Domain-wide delegation: a token per mailbox.
    Google(ServiceAccount),
    /// App-only: one token for every mailbox of the tenant.
    Microsoft(MicrosoftApp),
    /// The mailbox's own refresh token (a sealed `RefreshGrant`); a rotated one replaces it in the cell and, for a
    /// stored mailbox, in its sealed credentials.
    Refresh { grant: SecretCell, keep: Option<Box<Keep>> },
}

/// Where a rotated refresh token is kept: the stored mailbox's sealed credentials (the two ports that takes).
pub(crate) struct Keep {
    pub store: Arc<dyn JobStore>,
    pub secrets: Arc<dyn SecretBox>,
    pub job: JobId,
    pub address: EmailAddress,
}

impl std::fmt::Debug for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keep").field("job", &self.job).field("address", &self.address).finish_non_exhaustive()
    }
}

holds!(Keep: store, secrets);

impl Keep {
    /// The grant as the mailbox's record has it now (another task of the mailbox may have rotated it).
    async fn load(&self) -> Option<Secret<String>> {
        let m = self.store.mailbox(&self.job, &self.address).await.ok()??;
        super::sealing::open_secret(self, &m, "purged").await.ok()
    }

    /// Seal `grant` into the mailbox's record, so the next sign-in and the next pass use it.
    async fn keep(&self, grant: &Secret<String>) -> Result<(), StageError> {
        let (deps, job, address) = (self, &self.job, &self.address);
        let Some(mut m) = self.store.mailbox(job, address).await.map_err(StageError::port("read mailbox"))? else {
            return Ok(());
        };
        if m.sealed_credentials.is_none() {
            return Ok(()); // purged meanwhile: the job ended, nothing to keep
        }
        m.sealed_credentials = Some(super::sealing::seal_secret(deps, job, address, grant).await?);
        self.store.put_mailboxes(std::slice::from_ref(&m)).await.map_err(StageError::port("keep the refresh token"))
    }
}

impl Provider {
    /// Read a job-level credential file as sealed with a mailbox.
    pub(crate) fn google(text: &Secret<String>) -> Result<Provider, OAuthError> {
        ServiceAccount::from_json(text).map(Provider::Google)
    }

    pub(crate) fn microsoft(text: &Secret<String>) -> Result<Provider, OAuthError> {
        MicrosoftApp::from_json(text).map(Provider::Microsoft)
    }

    /// What the operator must do about a refusal, where the provider's error says.
    fn hint(&self, e: &OAuthError) -> Option<&'static str> {
        let OAuthError::Refused { error, .. } = e else { return None };
        match (self, error.as_str()) {
            (Provider::Google(_), "unauthorized_client") => Some(
                "in the Google Admin console, add the service account's client ID to domain-wide delegation with the \
                 scope https://mail.google.com/ (it can take up to 24 hours to apply)",
            ),
            (Provider::Google(_), "invalid_grant") => {
                Some("check that the mailbox exists in Google Workspace and that the key is current")
            }
            (Provider::Microsoft(_), "invalid_client" | "unauthorized_client") => {
                Some("check the app's client ID and secret, and that it has IMAP.AccessAsApp with admin consent")
            }
            (Provider::Refresh { .. }, "invalid_grant") => Some(
                "the refresh token is no longer valid (revoked, expired or already used): give a new one with \
                 retry --credentials FILE",
            ),
            (Provider::Refresh { .. }, "invalid_client" | "unauthorized_client") => {
                Some("check the client ID and secret in the job's OAuth client file")
            }
            _ => None,
        }
    }
}

/// What the operator must do when a provider's server refuses a signed-in source, from its own words: Microsoft's
/// `BAD User is authenticated but not connected.` (the token is good, the app may not open this mailbox), Gmail's
/// "not enabled for IMAP" / "IMAP access is disabled", Microsoft's bare `AUTHENTICATE failed.` for a token.
pub(crate) fn server_hint(e: &ImapError) -> Option<&'static str> {
    let (ImapError::Auth { text } | ImapError::Bad { text, .. } | ImapError::No { text, .. }) = e else { return None };
    let t = text.to_ascii_lowercase();
    if t.contains("authenticated but not connected") {
        Some(
            "give the app's service principal FullAccess on this mailbox (Exchange Online: Add-MailboxPermission \
             -Identity <mailbox> -User <service principal ID> -AccessRights FullAccess) and check that the mailbox \
             exists in the tenant",
        )
    } else if t.contains("not enabled for imap") || t.contains("imap access is disabled") {
        Some("turn IMAP on for this user (Google Admin console: Apps, Google Workspace, Gmail, End User Access)")
    } else if t.contains("authenticate failed") {
        Some(
            "check that IMAP is enabled for the mailbox (Set-CASMailbox -ImapEnabled $true) and that the app's \
             service principal has FullAccess on it",
        )
    } else {
        None
    }
}

/// The tokens of one mailbox's sign-ins.
struct Minted {
    provider: Provider,
    user: String,
    ca_file: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    cache: tokio::sync::Mutex<Option<AccessToken>>,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted").field("provider", &self.provider).field("user", &self.user).finish_non_exhaustive()
    }
}

impl Minted {
    /// A current token: the cached one while it has more than a minute left, else a new one.
    async fn fetch(&self) -> Result<(Secret<String>, Duration), OAuthError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        let left = |t: &AccessToken| (t.expires_at - now).to_std().unwrap_or_default();
        if let Some(t) = cache.as_ref().filter(|t| left(t) > Duration::from_secs(60)) {
            return Ok((t.token.clone(), left(t)));
        }
        let ca = self.ca_file.as_ref();
        let fresh = match &self.provider {
            Provider::Google(sa) => sa.token_for(&self.user, GOOGLE_MAIL_SCOPE, now, ca).await?,
            Provider::Microsoft(app) => app.token(now, ca).await?,
            Provider::Refresh { grant, keep } => refreshed(grant, keep.as_deref(), &self.user, now, ca).await?,
        };
        tracing::debug!(user = %self.user, expires_at = %fresh.expires_at, "access token obtained");
        let result = (fresh.token.clone(), left(&fresh));
        *cache = Some(fresh);
        Ok(result)
    }
}

/// An access token from the mailbox's refresh token; a rotated refresh token replaces the old one in `grant` and
/// is kept with the mailbox (a failure to keep it is logged: the sign-in goes on with the token it has).
async fn refreshed(
    grant: &SecretCell,
    keep: Option<&Keep>,
    user: &str,
    now: chrono::DateTime<chrono::Utc>,
    ca: Option<&PathBuf>,
) -> Result<AccessToken, OAuthError> {
    let mut current = RefreshGrant::from_json(&grant.get())?;
    let mut tries = 0;
    let token = loop {
        match current.token(now, ca).await {
            // Refused: another task of the mailbox may have redeemed this token and kept the rotated one. Take
            // that (it may take the other task a moment to keep it) and try again.
            Err(OAuthError::Refused { error, .. }) if error == "invalid_grant" && keep.is_some() && tries < 3 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500 * tries)).await;
                if let Some(keep) = keep
                    && let Some(kept) = keep.load().await
                {
                    grant.set(kept);
                }
                current = RefreshGrant::from_json(&grant.get())?;
            }
            other => break other?,
        }
    };
    if let Some(rotated) = &token.refresh_token {
        let next = RefreshGrant { refresh_token: rotated.clone(), ..current }.to_json();
        grant.set(next.clone());
        if let Some(keep) = keep
            && let Err(e) = keep.keep(&next).await
        {
            tracing::warn!(user = %user, error = %e, "the rotated refresh token could not be kept");
        }
        tracing::info!(user = %user, "the refresh token was rotated; the new one is kept");
    }
    Ok(token)
}

#[async_trait::async_trait]
impl TokenSource for Minted {
    async fn token(&self) -> Result<(Secret<String>, Option<Duration>), ImapError> {
        match self.fetch().await {
            Ok((token, left)) => Ok((token, Some(left))),
            Err(e) => {
                let hint = self.provider.hint(&e).map(|h| format!(" ({h})")).unwrap_or_default();
                Err(ImapError::Token { detail: format!("{e}{hint}"), retryable: e.is_retryable() })
            }
        }
    }

    async fn rejected(&self, token: &Secret<String>) {
        let mut cache = self.cache.lock().await;
        // Only if it is still the cached one: a sign-in that already got a new token keeps it.
        if cache.as_ref().is_some_and(|t| t.token.expose() == token.expose()) {
            tracing::info!(
                user = %self.user, "the server refused the access token as expired; a new one will be asked for"
            );
            *cache = None;
        }
    }
}

/// The sign-in of `user` (the mailbox `mailbox`) with `provider`'s tokens; the first token is asked for now.
pub(crate) async fn login(
    deps: &(impl HasClock + HasSettings),
    mailbox: &EmailAddress,
    user: &str,
    provider: Provider,
) -> Result<Login, StageError> {
    let minted = Minted {
        provider,
        user: user.to_string(),
        ca_file: deps.settings().source_ca_file.clone(),
        clock: deps.clock().clone(),
        cache: tokio::sync::Mutex::new(None),
    };
    if let Err(source) = minted.fetch().await {
        let hint = minted.provider.hint(&source);
        return Err(StageError::Token { mailbox: mailbox.to_string(), source, hint });
    }
    let token = BearerToken::Minted(Arc::new(minted));
    Ok(Login::Bearer { user: user.to_string(), token, mechanism: BearerMechanism::XOAuth2 })
}
