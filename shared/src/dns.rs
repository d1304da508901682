//! MX lookups with hickory-resolver: the one implementation of `ports::MxLookup`, for both homes. Each lookup
//! builds a resolver without a cache (cache size 0), asks for the fully qualified name (no search domains),
//! and reports the TTL the answer came with: from an authoritative server that is the record's own TTL, from a
//! recursive one what is left of it in that server's cache (RFC 1035 §7.3).

use crate::model::cutover::{MxAnswer, MxHost};
use crate::ports::{MxLookup, PortError};
use async_trait::async_trait;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{Name, Resolver};
use std::net::SocketAddr;
use std::time::Duration;

/// MX lookups over UDP (TCP when an answer is truncated), each attempt bounded by `timeout`.
#[derive(Clone, Debug)]
pub struct HickoryMx {
    pub timeout: Duration,
}

impl Default for HickoryMx {
    fn default() -> Self {
        HickoryMx { timeout: Duration::from_secs(5) }
    }
}

fn failed(op: &'static str, detail: String) -> PortError {
    PortError::Backend { op, retryable: true, detail, source: None }
}

impl HickoryMx {
    fn resolver(&self, name_server: Option<SocketAddr>) -> Result<Resolver<TokioConnectionProvider>, PortError> {
        let (config, mut opts) = match name_server {
            Some(addr) => {
                let servers =
                    vec![NameServerConfig::new(addr, Protocol::Udp), NameServerConfig::new(addr, Protocol::Tcp)];
                (ResolverConfig::from_parts(None, Vec::new(), servers), ResolverOpts::default())
            }
            None => hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| failed("read the system's resolver configuration", e.to_string()))?,
        };
        opts.cache_size = 0;
        opts.timeout = self.timeout;
        opts.attempts = 2;
        opts.use_hosts_file = ResolveHosts::Never;
        Ok(Resolver::builder_with_config(config, TokioConnectionProvider::default()).with_options(opts).build())
    }
}

/// `domain` as an absolute name in ASCII (IDNA for Unicode names).
fn absolute(domain: &str) -> Result<Name, PortError> {
    let bad = |detail: String| PortError::Corrupt { what: format!("domain {domain:?}"), detail };
    let ascii = idna::domain_to_ascii(domain.trim_end_matches('.')).map_err(|e| bad(e.to_string()))?;
    Name::from_ascii(format!("{ascii}.")).map_err(|e| bad(e.to_string()))
}

#[async_trait]
impl MxLookup for HickoryMx {
    async fn mx(&self, domain: &str, name_server: Option<SocketAddr>) -> Result<MxAnswer, PortError> {
        let name = absolute(domain)?;
        let lookup = match self.resolver(name_server)?.mx_lookup(name).await {
            Ok(l) => l,
            Err(e) if e.is_nx_domain() => return Ok(MxAnswer::NoDomain),
            Err(e) if e.is_no_records_found() => return Ok(MxAnswer::NoMx),
            Err(e) => return Err(failed("look up MX records", format!("{domain}: {e}"))),
        };
        let mut hosts = Vec::new();
        let mut ttl = u32::MAX;
        for record in lookup.as_lookup().records().iter().filter(|r| r.record_type() == RecordType::MX) {
            if let RData::MX(mx) = record.data() {
                let host = mx.exchange().to_ascii().trim_end_matches('.').to_ascii_lowercase();
                hosts.push(MxHost { preference: mx.preference(), host });
                ttl = ttl.min(record.ttl());
            }
        }
        if hosts.is_empty() {
            return Ok(MxAnswer::NoMx);
        }
        hosts.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
        Ok(MxAnswer::Hosts { hosts, ttl })
    }
}
