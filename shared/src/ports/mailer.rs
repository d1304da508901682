//! The mailer port: notification email to the operator (SES v2 on AWS, an outbox of `.eml` files embedded).

use super::PortError;
use async_trait::async_trait;

/// One notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Sends email.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Send; returns the message id the backend assigned.
    async fn send(&self, email: &Email) -> Result<String, PortError>;
}
