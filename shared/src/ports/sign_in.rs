//! The sign-in port: who an operator of the control panel is, from the email and password they typed, and for
//! which tenants they act. One machine: operator accounts with Argon2id hashes in the state database
//! (`embedded::SqliteOperators`); AWS: a Cognito user pool (`aws::CognitoSignIn`), whose users carry their
//! tenants in the `custom:tenants` attribute.

use super::PortError;
use crate::model::{Secret, TenantId};
use async_trait::async_trait;

/// A signed-in operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The sign-in name, lowercase.
    pub email: String,
    pub tenants: Vec<TenantId>,
}

/// Checks an operator's password.
#[async_trait]
pub trait SignIn: Send + Sync {
    /// The operator, when `password` is theirs; `None` for a wrong password or an unknown name (the same
    /// answer, so names cannot be probed). An error only when the check itself could not be made.
    async fn sign_in(&self, email: &str, password: &Secret<String>) -> Result<Option<Identity>, PortError>;
}
