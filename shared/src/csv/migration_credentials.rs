//! The credentials of one migration row, by its `auth` kind: the password, the master user, an access token, a
//! refresh token with the job's OAuth client, or the job's Google key or Microsoft app. Every problem names the
//! column at fault and never quotes a secret.

use super::SourceDefaults;
use super::columns::Columns;
use super::fields;
use super::reader::Row;
use crate::model::{AuthKind, Credentials, Provider, Secret, SecretCell};

/// The credentials of `row` for `kind`; `None` (with the problems reported through `err`) when they are not
/// complete. `provider` is the row's preset (for `auth=oauth2` without `oauth_provider`).
pub(super) fn credentials(
    kind: AuthKind,
    cols: &Columns,
    row: &Row,
    d: &SourceDefaults,
    provider: Option<Provider>,
    err: &mut impl FnMut(&str, String),
) -> Option<Credentials> {
    let secret = |col: &str| cols.get(row, col).map(|v| Secret::new(v.to_string()));
    match kind {
        AuthKind::Password => match secret("password") {
            Some(password) => Some(Credentials::Password { password }),
            None => {
                err(
                    "password",
                    "the password is empty; it is needed to log in to the source with auth=password".into(),
                );
                None
            }
        },
        AuthKind::Master => {
            let user = cols.get(row, "master_user");
            let pass = secret("master_password");
            if user.is_none() {
                err(
                    "master_user",
                    "the master user is empty; auth=master logs in as an administrator on the user's behalf".into(),
                );
            }
            if pass.is_none() {
                err("master_password", "the master password is empty; it is needed with auth=master".into());
            }
            Some(Credentials::Master { master_user: user?.to_string(), master_password: pass? })
        }
        AuthKind::Oauth2 | AuthKind::Refresh if cols.get(row, "oauth_refresh_token").is_some() => {
            refresh_grant(d, secret("oauth_refresh_token")?, err)
        }
        AuthKind::Oauth2 | AuthKind::Refresh => access_token(cols, row, provider, err),
        AuthKind::Microsoft => match &d.microsoft_app {
            Some(app) => Some(Credentials::Microsoft { app: app.clone() }),
            None => {
                err(
                    "auth",
                    "auth=microsoft signs in with the job's Microsoft app: give it with --microsoft-app FILE".into(),
                );
                None
            }
        },
        AuthKind::Google => match &d.google_service_account {
            Some(key) => Some(Credentials::Google { service_account: key.clone() }),
            None => {
                err(
                    "auth",
                    "auth=google signs in with the job's Google service-account key: give it with \
                     --google-service-account FILE"
                        .into(),
                );
                None
            }
        },
    }
}

/// A row's access token (`oauth_token`) and the provider that issued it (`oauth_provider`, else the row's
/// preset `provider`).
fn access_token(
    cols: &Columns,
    row: &Row,
    provider: Option<Provider>,
    err: &mut impl FnMut(&str, String),
) -> Option<Credentials> {
    let secret = |col: &str| cols.get(row, col).map(|v| Secret::new(v.to_string()));
    let oauth_provider = match cols.get(row, "oauth_provider") {
        Some(v) => fields::choice(v, fields::PROVIDER, "gmail, office365, exchange")
            .map_err(|m| err("oauth_provider", m))
            .ok()?,
        None => provider?,
    };
    let token = secret("oauth_token");
    if oauth_provider == Provider::Imap {
        err(
            "oauth_provider",
            "auth=oauth2 needs the provider that issued the token: gmail, office365 or exchange".into(),
        );
    }
    if token.is_none() {
        err("oauth_token", "the OAuth token is empty; it is needed with auth=oauth2".into());
    }
    (oauth_provider != Provider::Imap).then_some(())?;
    Some(Credentials::Oauth2 { provider: oauth_provider, token: token? })
}

/// A row's refresh token with the job's OAuth client (`--oauth-client`, metadata `oauth-client`).
fn refresh_grant(
    d: &SourceDefaults,
    refresh_token: Secret<String>,
    err: &mut impl FnMut(&str, String),
) -> Option<Credentials> {
    let Some(client) = &d.oauth_client else {
        err(
            "oauth_refresh_token",
            "a refresh token is redeemed with the job's OAuth client: give it with --oauth-client FILE".into(),
        );
        return None;
    };
    match crate::oauth::RefreshGrant::new(client, refresh_token) {
        Ok(grant) => Some(Credentials::Refresh { grant: SecretCell::new(grant.to_json()) }),
        Err(e) => {
            err("oauth_refresh_token", e.to_string());
            None
        }
    }
}
