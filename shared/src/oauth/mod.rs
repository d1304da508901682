//! OAuth 2.0 for sources that take no passwords (Google Workspace, Microsoft 365): minting the assertions and
//! tokens a bearer-token sign-in (`imap::Login::Bearer`) needs. Everything here is a secret from the moment it is
//! read or made: keys and tokens live in [`crate::model::Secret`] and never reach a log or an error message.

mod jwt;

pub use jwt::{JwtError, sign_rs256};
