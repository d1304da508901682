//! Notification email through SES v2 (text and HTML).

use super::error::sdk_error;
use crate::ports::{Email, Mailer, PortError};
use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

/// [`Mailer`] on SES v2. The sender must be a verified identity.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        SesMailer { client }
    }
}

fn content(text: &str) -> Result<Content, PortError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| PortError::backend("send email", false, e))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &Email) -> Result<String, PortError> {
        let mut body = Body::builder().text(content(&email.text)?);
        if let Some(html) = &email.html {
            body = body.html(content(html)?);
        }
        let message = Message::builder().subject(content(&email.subject)?).body(body.build()).build();
        let out = self
            .client
            .send_email()
            .from_email_address(&email.from)
            .destination(Destination::builder().set_to_addresses(Some(email.to.clone())).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| sdk_error("send email", e))?;
        Ok(out.message_id.unwrap_or_default())
    }
}
