//! The job-level source server options `validate` and `migrate` share: for rows, or whole formats (Microsoft
//! 365's batch file), that name no source server.

use mailferry::csv::SourceDefaults;
use mailferry::model::{Host, Provider, Secret, Security};

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
    /// Google Workspace: the service-account key file (JSON) with domain-wide delegation for the scope
    /// https://mail.google.com/; rows with auth=google sign in with a token it mints for each mailbox. Sealed
    /// with each mailbox's credentials and purged with them.
    #[arg(long, value_parser = read_google_key, value_name = "FILE")]
    google_service_account: Option<CredentialFile>,
    /// Microsoft 365 app-only access: a JSON file with `tenant`, `client_id`, and `client_secret` or `certificate`
    /// and `private_key` (PEM), and `authority` for a sovereign cloud; rows with auth=microsoft sign in as
    /// themselves with the app's token. The app needs IMAP.AccessAsApp with admin consent and FullAccess on each
    /// mailbox for its service principal.
    #[arg(long, value_parser = read_microsoft_app, value_name = "FILE")]
    microsoft_app: Option<CredentialFile>,
    /// The OAuth client that issued the rows' refresh tokens (column oauth_refresh_token): a JSON file with
    /// `client_id`, `client_secret` and `token_uri`. Sealed with each such mailbox and purged with it; a rotated
    /// refresh token is kept (sealed) for the next sign-in and pass.
    #[arg(long, value_parser = read_oauth_client, value_name = "FILE")]
    oauth_client: Option<CredentialFile>,
}

/// A job-level credential file's text (a Google key, a Microsoft app), checked when read, never printed.
#[derive(Clone, Debug)]
struct CredentialFile(Secret<String>);

impl CredentialFile {
    /// Read `path` and check it with `check` (which says what is wrong without quoting the file).
    fn read<E: std::fmt::Display>(
        path: &str,
        check: impl Fn(&Secret<String>) -> Result<(), E>,
    ) -> Result<Self, String> {
        let text = Secret::new(std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?);
        check(&text).map_err(|e| format!("{path}: {e}"))?;
        Ok(CredentialFile(text))
    }
}

fn read_google_key(path: &str) -> Result<CredentialFile, String> {
    CredentialFile::read(path, |t| mailferry::oauth::ServiceAccount::from_json(t).map(|_| ()))
}

fn read_microsoft_app(path: &str) -> Result<CredentialFile, String> {
    CredentialFile::read(path, |t| mailferry::oauth::MicrosoftApp::from_json(t).map(|_| ()))
}

fn read_oauth_client(path: &str) -> Result<CredentialFile, String> {
    CredentialFile::read(path, mailferry::oauth::RefreshGrant::check_client)
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
            google_service_account: self.google_service_account.as_ref().map(|k| k.0.clone()),
            microsoft_app: self.microsoft_app.as_ref().map(|k| k.0.clone()),
            oauth_client: self.oauth_client.as_ref().map(|k| k.0.clone()),
        }
    }
}
