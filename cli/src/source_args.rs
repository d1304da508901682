//! The job-level source server options `validate` and `migrate` share: for rows, or whole formats (Microsoft
//! 365's batch file), that name no source server.

use mailferry::csv::SourceDefaults;
use mailferry::model::{Host, Provider, Security};

#[derive(clap::Args, Clone, Debug, Default)]
pub struct SourceArgs {
    /// Source server for rows (or formats, such as Microsoft 365's batch file) that name none.
    #[arg(long, value_parser = parse_host, value_name = "HOST")]
    source_host: Option<Host>,
    /// Source port for rows that name none (default: 993 with tls, 143 otherwise).
    #[arg(long, value_name = "PORT")]
    source_port: Option<u16>,
    /// Source security for rows that name none (default: tls).
    #[arg(long, value_enum)]
    source_security: Option<SecurityArg>,
    /// Provider preset for rows that name none (gmail and office365 know their server).
    #[arg(long, value_enum)]
    provider: Option<ProviderArg>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SecurityArg {
    /// Implicit TLS (imaps, usually port 993).
    Tls,
    /// STARTTLS on the plain port (usually 143).
    Starttls,
    /// No encryption: the password crosses the network in clear.
    Plain,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ProviderArg {
    Imap,
    Gmail,
    Office365,
    Exchange,
}

fn parse_host(s: &str) -> Result<Host, String> {
    Host::parse(s).map_err(|why| format!("the host {why}"))
}

impl SourceArgs {
    /// The defaults the CSV rows fall back to.
    pub fn defaults(&self) -> SourceDefaults {
        SourceDefaults {
            host: self.source_host.clone(),
            port: self.source_port,
            security: self.source_security.map(|s| match s {
                SecurityArg::Tls => Security::Tls,
                SecurityArg::Starttls => Security::Starttls,
                SecurityArg::Plain => Security::Plain,
            }),
            provider: self.provider.map(|p| match p {
                ProviderArg::Imap => Provider::Imap,
                ProviderArg::Gmail => Provider::Gmail,
                ProviderArg::Office365 => Provider::Office365,
                ProviderArg::Exchange => Provider::Exchange,
            }),
        }
    }
}
