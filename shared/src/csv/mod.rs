//! The CSV contracts: reading and validating the two kinds of upload (import and migration) in the formats
//! people already have. Knows nothing of AWS or IMAP. Validation finds every problem at once; a file with any
//! error yields no plan, so it creates nothing.

mod columns;
mod fields;
mod import;
mod import_checks;
mod migration;
mod migration_credentials;
mod problem;
mod reader;

pub use migration::MigrationEntry;
pub use problem::{Problem, Severity};
pub use reader::{Limits, Row, Table, read_table};

use crate::model::{Host, Provider, ProvisionPlan, Security};
use columns::normalize;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// Why a file cannot be read at all (as opposed to being read and found wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the file is saved as UTF-16; save it as \"CSV UTF-8\" and upload it again")]
    Utf16,
    #[error(
        "line {line}, column {column}{name}: byte 0x{byte:02X} is not valid UTF-8; the file seems to be saved as \
         Windows-1252 or Latin-1: save it as \"CSV UTF-8\" and upload it again"
    )]
    NotUtf8 { line: u64, column: usize, name: String, byte: u8 },
    #[error("line {line}: the file is not valid CSV: {detail}")]
    Malformed { line: u64, detail: String },
}

/// Which of the two uploads a file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    Import,
    Migration,
}

/// The recognised formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// mailferry's own migration format (a header with `destination`, `source_host`, …).
    Migration,
    /// Microsoft 365's IMAP migration batch: `EmailAddress,UserName,Password`.
    Microsoft365,
    /// imapsync's batch file: `host1;user1;password1;host2;user2;password2`, no header.
    Imapsync,
    /// An import file with a `type` column (domain, mailbox and alias rows together).
    ImportCombined,
    /// An import file of domains only.
    ImportDomains,
    /// An import file of mailboxes only.
    ImportMailboxes,
    /// An import file of aliases only.
    ImportAliases,
}

impl FileKind {
    /// Rows before the data: the header, except in imapsync's headerless batch files.
    pub fn header_rows(self) -> usize {
        usize::from(self != FileKind::Imapsync)
    }

    /// Whether files of this kind import accounts or migrate mail.
    pub fn purpose(self) -> Purpose {
        match self {
            FileKind::Migration | FileKind::Microsoft365 | FileKind::Imapsync => Purpose::Migration,
            _ => Purpose::Import,
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Migration => "migration file",
            FileKind::Microsoft365 => "Microsoft 365 migration batch",
            FileKind::Imapsync => "imapsync batch file",
            FileKind::ImportCombined => "import file",
            FileKind::ImportDomains => "import file of domains",
            FileKind::ImportMailboxes => "import file of mailboxes",
            FileKind::ImportAliases => "import file of aliases",
        })
    }
}

/// Job-level defaults for source servers: formats without a server column (Microsoft 365's) take the host from
/// here, and any row leaving a column empty falls back to these.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceDefaults {
    pub host: Option<Host>,
    pub port: Option<u16>,
    pub security: Option<Security>,
    pub provider: Option<Provider>,
    /// The job's Google service-account key file (JSON), for rows with `auth=google`.
    pub google_service_account: Option<crate::model::Secret<String>>,
    /// The job's Microsoft app file (JSON), for rows with `auth=microsoft`.
    pub microsoft_app: Option<crate::model::Secret<String>>,
    /// The job's OAuth client file (JSON: client_id, client_secret, token_uri), for rows with a refresh token.
    pub oauth_client: Option<crate::model::Secret<String>>,
}

/// A value that is there and not blank.
fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl SourceDefaults {
    /// Job-level defaults from text (an upload's metadata: `source-host`, `source-port`, `source-security`,
    /// `provider`), with the values the CSV columns accept; the error names the field at fault.
    pub fn from_text(
        host: Option<&str>,
        port: Option<&str>,
        security: Option<&str>,
        provider: Option<&str>,
    ) -> Result<SourceDefaults, String> {
        let named = |field: &'static str| move |why: String| format!("{field}: {why}");
        Ok(SourceDefaults {
            host: nonempty(host).map(fields::host).transpose().map_err(named("source-host"))?,
            port: nonempty(port).map(fields::port).transpose().map_err(named("source-port"))?,
            security: nonempty(security)
                .map(|v| fields::choice(v, migration::SECURITY, "tls, starttls, plain"))
                .transpose()
                .map_err(named("source-security"))?,
            provider: nonempty(provider)
                .map(|v| fields::choice(v, fields::PROVIDER, "imap, gmail, office365, exchange"))
                .transpose()
                .map_err(named("provider"))?,
            google_service_account: None,
            microsoft_app: None,
            oauth_client: None,
        })
    }
}

/// How to validate.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub limits: Limits,
    /// The purpose the upload place implies (`imports/` or `migrations/`); `None` accepts either.
    pub expect: Option<Purpose>,
    pub source_defaults: SourceDefaults,
    /// Domains that already exist on the destination (ASCII form), so import rows may use them undeclared.
    pub known_domains: BTreeSet<String>,
    /// Import rows may use domains the file does not declare: the import checks them against the destination
    /// itself (`mailferry import`, the upload stage), with the real list of existing domains.
    pub domains_checked_later: bool,
}

/// What a valid file asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    Migration(Vec<MigrationEntry>),
    Import(ProvisionPlan),
}

/// The outcome of validating a readable file.
#[derive(Clone, Debug)]
pub struct Validation {
    /// The format recognised, if any.
    pub kind: Option<FileKind>,
    /// Every problem, sorted by line; errors and warnings.
    pub problems: Vec<Problem>,
    /// Present only when there is no error: a file with any error creates nothing.
    pub plan: Option<Plan>,
}

impl Validation {
    /// True when the file has no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.plan.is_some()
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    /// One line saying what the file would do, or why it would do nothing.
    pub fn summary(&self) -> String {
        let kind = self.kind.map_or_else(|| "file of unknown format".to_string(), |k| k.to_string());
        let warnings = self.problems.len() - self.error_count();
        let tail = if warnings > 0 { format!(" ({warnings} warning{})", plural(warnings)) } else { String::new() };
        match &self.plan {
            None => {
                let e = self.error_count();
                format!("{kind}: {e} error{}{tail}; nothing will be created or migrated", plural(e))
            }
            Some(Plan::Migration(entries)) => {
                let servers: BTreeSet<_> = entries.iter().map(|e| (e.account.host.as_str(), e.account.port)).collect();
                let (n, s) = (entries.len(), servers.len());
                format!(
                    "{kind}: valid; would migrate {n} mailbox{} from {s} source server{}{tail}",
                    plural_es(n),
                    plural(s)
                )
            }
            Some(Plan::Import(p)) => {
                let quota: u64 = p.mailboxes.iter().map(|m| m.quota_mb).sum();
                let (d, m, a) = (p.domains.len(), p.mailboxes.len(), p.aliases.len());
                format!(
                    "{kind}: valid; would create {d} domain{}, {m} mailbox{} ({quota} MB of quota) and {a} \
                     alias{}{tail}",
                    plural(d),
                    plural_es(m),
                    plural_es(a)
                )
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn plural_es(n: usize) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// Read and validate an upload. `Err` only when the bytes cannot be read (encoding, size, broken CSV);
/// everything else is a [`Problem`] in the returned [`Validation`].
pub fn validate(bytes: &[u8], options: &Options) -> Result<Validation, FileError> {
    let table = read_table(bytes, &options.limits)?;
    let mut problems = Vec::new();
    // The purpose the caller insists on wins over a look-alike: a header with an address column read as an
    // import is a migration file when a migration was asked for (its rows then say what is missing).
    let kind = detect(&table).map(|k| match options.expect {
        Some(Purpose::Migration) if k.purpose() == Purpose::Import && migration::names_destination(&table) => {
            FileKind::Migration
        }
        _ => k,
    });
    let plan = match kind {
        None => {
            problems.push(unknown_format(&table));
            None
        }
        Some(kind) if options.expect.is_some_and(|p| p != kind.purpose()) => {
            let line = table.rows.first().map_or(1, |r| r.line);
            let (is, was) = match kind.purpose() {
                Purpose::Import => ("an import file", "a migration"),
                Purpose::Migration => ("a migration file", "an import"),
            };
            problems.push(Problem::row_error(line, format!("this is {is} ({kind}) but it was uploaded as {was}")));
            None
        }
        Some(kind) => {
            let data_rows = table.rows.len() - kind.header_rows();
            if data_rows > options.limits.max_rows {
                let line = table.rows[options.limits.max_rows + kind.header_rows()].line;
                let limit = options.limits.max_rows;
                let message = if table.cut_short {
                    format!("the file has more than {limit} rows; split it into several files")
                } else {
                    format!(
                        "the file has {data_rows} rows, more than the limit of {limit}; split it into several files"
                    )
                };
                problems.push(Problem::row_error(line, message));
                None
            } else if kind.purpose() == Purpose::Migration {
                migration::validate(kind, &table, options, &mut problems).map(Plan::Migration)
            } else {
                import::validate(kind, &table, options, &mut problems).map(Plan::Import)
            }
        }
    };
    if kind.is_some_and(|k| table.rows.len() <= k.header_rows()) {
        problems.push(Problem::row_error(table.rows.first().map_or(1, |r| r.line), "the file has no data rows"));
    }
    problems.sort_by_key(|p| (p.line, p.severity));
    let plan = if problems.iter().any(Problem::is_error) { None } else { plan };
    Ok(Validation { kind, problems, plan })
}

/// Recognise the format from the first row (the header, or the first record of a headerless file).
pub fn detect(table: &Table) -> Option<FileKind> {
    let first = table.rows.first()?;
    let cols: Vec<String> = first.fields.iter().map(|f| normalize(f)).collect();
    let has = |n: &str| cols.iter().any(|c| c == n);
    if has("type") {
        Some(FileKind::ImportCombined)
    } else if cols == ["emailaddress", "username", "password"] {
        Some(FileKind::Microsoft365)
    } else if migration::HEADER_MARKERS.iter().any(|m| has(m)) {
        Some(FileKind::Migration)
    } else if has("targets") || has("target") || has("goto") {
        Some(FileKind::ImportAliases)
    } else if (has("address") || has("email")) && (has("password") || has("quota_mb") || has("quota")) {
        Some(FileKind::ImportMailboxes)
    } else if has("domain") && !has("address") {
        Some(FileKind::ImportDomains)
    } else if table.delimiter == b';'
        && (first.fields.len() == 6 || (first.fields.len() == 7 && first.fields[6].is_empty()))
        && !first.fields[0].is_empty()
    {
        Some(FileKind::Imapsync)
    } else {
        None
    }
}

fn unknown_format(table: &Table) -> Problem {
    // The first line may be data (a password among it), so it is described, never quoted.
    let (line, found) = table.rows.first().map_or((1, String::from("nothing")), |r| {
        let delimiter = match table.delimiter {
            b';' => "';'",
            b'\t' => "tabs",
            _ => "','",
        };
        (r.line, format!("{} fields separated by {delimiter}", r.fields.len()))
    });
    Problem::row_error(
        line,
        format!(
            "the first line does not name the columns of a known format (found {found}); expected a migration header \
             (destination,source_host,…), Microsoft 365's EmailAddress,UserName,Password, an imapsync batch line \
             host1;user1;password1;host2;user2;password2, or an import header (type,… or domain,… or \
             address,password,quota_mb,… or address,targets)"
        ),
    )
}
