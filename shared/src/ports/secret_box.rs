//! The secret box port: seal credentials before they are stored, open them only where they are used. A sealed
//! value is bound to a context (the job id): opened with another context, or altered, it fails.

use super::PortError;
use crate::model::Secret;
use async_trait::async_trait;

pub use crate::model::Sealed;

/// Seals and opens secrets (KMS envelope encryption on AWS, a local key file embedded).
#[async_trait]
pub trait SecretBox: Send + Sync {
    /// Encrypt and authenticate `secret`, bound to `context`.
    async fn seal(&self, secret: &Secret<String>, context: &str) -> Result<Sealed, PortError>;

    /// Decrypt; [`PortError::Tampered`] when the value was altered or sealed with another context or key.
    async fn open(&self, sealed: &Sealed, context: &str) -> Result<Secret<String>, PortError>;
}
