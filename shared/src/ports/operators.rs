//! Who may use the control panel on one machine: operator accounts, each acting for one or more tenants, with
//! an Argon2id password hash (`mailferry panel add-user`). On AWS a Cognito user pool holds the operators and
//! the panel trusts the tokens API Gateway verified, so this port has an embedded implementation only.

use super::PortError;
use crate::model::TenantId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// An operator account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The sign-in name (an email address, lowercase).
    pub email: String,
    /// The tenants whose jobs the operator sees and acts on.
    pub tenants: Vec<TenantId>,
    /// The password's Argon2id hash (PHC string); never the password.
    pub password_hash: String,
}

/// Operator accounts.
#[async_trait]
pub trait Operators: Send + Sync {
    /// The account signing in as `email` (any case), or `None`.
    async fn operator(&self, email: &str) -> Result<Option<Operator>, PortError>;
    /// Create or replace an account.
    async fn put_operator(&self, operator: &Operator) -> Result<(), PortError>;
}
