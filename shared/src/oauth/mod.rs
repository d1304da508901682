//! OAuth 2.0 for sources that take no passwords (Google Workspace, Microsoft 365): minting the assertions and
//! getting the access tokens a bearer-token sign-in (`imap::Login::Bearer`) needs. Everything here is a secret
//! from the moment it is read or made: keys and tokens live in [`crate::model::Secret`] and never reach a log or an
//! error message.

mod google;
mod http;
mod jwt;
mod microsoft;
mod refresh;
mod token;

pub use google::{GOOGLE_MAIL_SCOPE, ServiceAccount};
pub use jwt::{JwtError, sign_rs256};
pub use microsoft::{ClientProof, MICROSOFT_IMAP_SCOPE, MicrosoftApp};
pub use refresh::RefreshGrant;
pub use token::AccessToken;

/// Why no token could be had. The provider's own error code and description are kept (they tell the operator
/// what to grant); a credential never is.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the credential file is not usable: {0}")]
    Credential(String),
    #[error(transparent)]
    Jwt(#[from] JwtError),
    #[error("token endpoint {url}: {detail}")]
    Endpoint { url: String, detail: String },
    #[error("token endpoint {url} could not be reached: {detail}")]
    Network { url: String, detail: String },
    /// The endpoint answered with an OAuth error (RFC 6749 §5.2), e.g. `invalid_grant`, `unauthorized_client`.
    #[error(
        "token endpoint {url} refused: {error}{}",
        description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    Refused { url: String, error: String, description: Option<String> },
}

impl OAuthError {
    /// Whether trying again later can help (a network failure or a server error, not a refusal).
    pub fn is_retryable(&self) -> bool {
        match self {
            OAuthError::Network { .. } => true,
            OAuthError::Refused { error, .. } => error == "temporarily_unavailable" || error.starts_with("http "),
            _ => false,
        }
    }

    fn network<E: std::fmt::Display>(url: &str) -> impl Fn(E) -> OAuthError + '_ {
        move |e| OAuthError::Network { url: url.to_string(), detail: e.to_string() }
    }
}

/// `application/x-www-form-urlencoded` (the token request's body).
fn form(pairs: &[(&str, &str)]) -> String {
    let encode = crate::text::url_component;
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
