//! The DNS port: a domain's MX records, for the cutover assistant. One implementation serves both homes
//! (`crate::dns`, on hickory-resolver): DNS is the same from a Lambda function and from one machine.

use super::PortError;
use crate::model::cutover::MxAnswer;
use async_trait::async_trait;
use std::net::SocketAddr;

/// Looks up MX records, without a cache of its own: every call asks again (the assistant wants what the DNS
/// says now, and the TTL it says it with).
#[async_trait]
pub trait MxLookup: Send + Sync {
    /// The MX records of `domain` (an ASCII or Unicode name), asked of `name_server` when given, else of the
    /// system's resolvers. A domain without MX or without existence is an answer, not an error.
    async fn mx(&self, domain: &str, name_server: Option<SocketAddr>) -> Result<MxAnswer, PortError>;
}
