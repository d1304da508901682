//! The migration contract: one row per mailbox to migrate, in mailferry's own format, Microsoft 365's batch
//! format or imapsync's batch format. All three become [`SourceAccount`]s through the same per-row checks.

use super::columns::{ColumnSpec, Columns};
use super::fields;
use super::problem::Problem;
use super::reader::{Row, Table};
use super::{FileKind, Options};
use crate::model::{AuthKind, Provider, Security, SourceAccount};
use std::collections::HashMap;

/// Header cells that identify mailferry's own migration format.
/// (`server`, `host` and `ssl` too: no import format has them, and Qboxmail-style exports name their columns
/// `Email;Server;Port;Username;Password;SSL`.)
pub(crate) const HEADER_MARKERS: &[&str] =
    &["destination", "destination_address", "source_host", "source_user", "server", "host", "imap_host", "ssl"];

/// Whether the first row names a column that a migration file reads as the destination address.
pub(crate) fn names_destination(table: &Table) -> bool {
    let Some(first) = table.rows.first() else { return false };
    let spec = &SPECS[0];
    first
        .fields
        .iter()
        .map(|f| super::columns::normalize(f))
        .any(|c| c == spec.name || spec.aliases.contains(&c.as_str()))
}

/// A valid row: the account and the line it came from (for reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationEntry {
    pub line: u64,
    pub account: SourceAccount,
}

const SPECS: &[ColumnSpec] = &[
    ColumnSpec {
        name: "destination",
        aliases: &["destination_address", "dest", "email", "emailaddress", "email_address"],
    },
    ColumnSpec { name: "source_host", aliases: &["host", "server", "imap_host"] },
    ColumnSpec { name: "source_port", aliases: &["port"] },
    ColumnSpec { name: "security", aliases: &["encryption", "ssl"] },
    ColumnSpec { name: "source_user", aliases: &["username", "user", "login"] },
    ColumnSpec { name: "auth", aliases: &["auth_method", "authentication"] },
    ColumnSpec { name: "password", aliases: &["source_password"] },
    ColumnSpec { name: "master_user", aliases: &["admin_user"] },
    ColumnSpec { name: "master_password", aliases: &["admin_password"] },
    ColumnSpec { name: "oauth_provider", aliases: &[] },
    ColumnSpec { name: "oauth_token", aliases: &["token", "access_token"] },
    ColumnSpec { name: "oauth_refresh_token", aliases: &["refresh_token"] },
    ColumnSpec { name: "provider", aliases: &["preset"] },
    ColumnSpec { name: "include", aliases: &["include_folders"] },
    ColumnSpec { name: "exclude", aliases: &["exclude_folders"] },
    ColumnSpec { name: "gmail_labels", aliases: &["labels"] },
];

const IMAPSYNC_FIELDS: &[(&str, &str)] = &[
    ("source_host", "host1"),
    ("source_user", "user1"),
    ("password", "password1"),
    ("dest_host", "host2"),
    ("destination", "user2"),
    ("dest_password", "password2"),
];

/// An `SSL` column (yes/no) instead of `security`: no SSL means STARTTLS on the plain port, never clear text
/// (write `security=plain` for that).
const SSL: &[(&str, Security)] = &[
    ("yes", Security::Tls),
    ("true", Security::Tls),
    ("1", Security::Tls),
    ("no", Security::Starttls),
    ("false", Security::Starttls),
    ("0", Security::Starttls),
];
pub(crate) const SECURITY: &[(&str, Security)] = &[
    ("tls", Security::Tls),
    ("ssl", Security::Tls),
    ("imaps", Security::Tls),
    ("starttls", Security::Starttls),
    ("plain", Security::Plain),
    ("none", Security::Plain),
];
const AUTH: &[(&str, AuthKind)] = &[
    ("password", AuthKind::Password),
    ("master", AuthKind::Master),
    ("oauth2", AuthKind::Oauth2),
    ("oauth", AuthKind::Oauth2),
    ("google", AuthKind::Google),
    ("microsoft", AuthKind::Microsoft),
    ("office365", AuthKind::Microsoft),
];
/// How a Gmail source's messages with several labels are placed: in each label's folder, or once.
const GMAIL_LABELS: &[(&str, bool)] =
    &[("folders", false), ("per-label", false), ("single", true), ("single-copy", true), ("once", true)];
/// An imapsync line without the empty field a trailing `;` makes.
fn without_trailing_empty(row: &Row) -> Row {
    let mut row = row.clone();
    if row.fields.len() == IMAPSYNC_FIELDS.len() + 1 && row.fields.last().is_some_and(String::is_empty) {
        row.fields.pop();
    }
    row
}

/// Validate every data row; `None` when any row is wrong.
pub(crate) fn validate(
    kind: FileKind,
    table: &Table,
    options: &Options,
    problems: &mut Vec<Problem>,
) -> Option<Vec<MigrationEntry>> {
    let trimmed: Vec<Row>;
    let (cols, data) = match kind {
        FileKind::Imapsync => {
            // imapsync's own documentation ends each line with ';': an empty 7th field, not a column.
            trimmed = table.rows.iter().map(without_trailing_empty).collect();
            (Columns::positional(IMAPSYNC_FIELDS), &trimmed[..])
        }
        _ => (Columns::from_header(&table.rows[0], SPECS, problems), &table.rows[1..]),
    };
    let defaults = &options.source_defaults;
    let header_line = table.rows[0].line;
    // A format without a server column needs the job's default host; say so once, not on every row.
    let mut host_reported = false;
    if !cols.has("source_host")
        && defaults.host.is_none()
        && defaults.provider.and_then(Provider::default_host).is_none()
    {
        let what = if kind == FileKind::Microsoft365 { "a Microsoft 365 batch file" } else { "this file" };
        problems.push(Problem::row_error(
            header_line,
            format!(
                "{what} names no source server: give one for the whole job (--source-host HOST on validate and \
                 migrate, or the upload's source-host metadata)"
            ),
        ));
        host_reported = true;
    }
    if kind == FileKind::Imapsync {
        problems.push(Problem::warning(
            header_line,
            Some("host2".into()),
            "host2 and password2 are not used: mail is written to the destination platform configured for the job",
        ));
    }
    let mut entries = Vec::with_capacity(data.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut ok = true;
    for row in data {
        if kind == FileKind::Imapsync && row.fields.len() != IMAPSYNC_FIELDS.len() {
            problems.push(Problem::row_error(
                row.line,
                format!(
                    "an imapsync line needs 6 fields separated by ';' (host1;user1;password1;host2;user2;password2); \
                     this one has {}",
                    row.fields.len()
                ),
            ));
            ok = false;
            continue;
        }
        let before = problems.iter().filter(|p| p.is_error()).count();
        let shape_ok = cols.check_shape(row, problems);
        let account = shape_ok.then(|| account(&cols, row, options, host_reported, problems)).flatten();
        // A destination used twice is reported on every row that repeats it, whatever else is wrong there: every
        // problem at once, not one per attempt.
        let repeated = shape_ok && repeated_destination(&cols, row, &mut seen, problems);
        let row_ok = shape_ok && !repeated && problems.iter().filter(|p| p.is_error()).count() == before;
        match account {
            Some(account) if row_ok => entries.push(MigrationEntry { line: row.line, account }),
            _ => ok = false,
        }
    }
    ok.then_some(entries)
}

/// Whether the row's destination (when it is an address) appeared on an earlier row; reported when it did.
fn repeated_destination(
    cols: &Columns,
    row: &super::Row,
    seen: &mut HashMap<String, u64>,
    problems: &mut Vec<Problem>,
) -> bool {
    let Some(address) = cols.get(row, "destination").and_then(|v| fields::email(v).ok()) else { return false };
    match seen.get(&address.key()) {
        Some(first) => {
            problems.push(Problem::error(
                row.line,
                cols.label("destination"),
                format!(
                    "{address} is already the destination on line {first}; each destination mailbox may appear once"
                ),
            ));
            true
        }
        None => {
            seen.insert(address.key(), row.line);
            false
        }
    }
}

/// Warnings about a row's security: clear text, or a port that usually goes with the other security.
fn security_warnings(
    cols: &Columns,
    line: u64,
    security: Option<Security>,
    port: Option<u16>,
    problems: &mut Vec<Problem>,
) {
    if security == Some(Security::Plain) {
        problems.push(Problem::warning(
            line,
            Some(cols.label("security")),
            "security=plain sends the password unencrypted over the network",
        ));
    }
    if let (Some(s), Some(p)) = (security, port)
        && ((s == Security::Tls && p == 143) || (s != Security::Tls && p == 993))
    {
        problems.push(Problem::warning(
            line,
            Some(cols.label("source_port")),
            format!(
                "port {p} usually goes with security={}; check the security column",
                if p == 993 { "tls" } else { "starttls" }
            ),
        ));
    }
}

/// A row's folder patterns (`include`, `exclude`) and how Gmail labels are placed; `None` (with the problem)
/// when one of them is unusable.
fn folder_options(
    cols: &Columns,
    row: &super::Row,
    problems: &mut Vec<Problem>,
) -> Option<(Vec<String>, Vec<String>, bool)> {
    let line = row.line;
    let include = cols.get(row, "include").map(|v| fields::list(v, &['|'])).unwrap_or_default();
    let exclude = cols.get(row, "exclude").map(|v| fields::list(v, &['|'])).unwrap_or_default();
    if let Some(bad) = include.iter().chain(&exclude).find(|p| p.chars().any(char::is_control)) {
        let col = if include.contains(bad) { "include" } else { "exclude" };
        problems.push(Problem::error(
            line,
            cols.label(col),
            "a folder pattern contains a control character".to_string(),
        ));
        return None;
    }
    let gmail_single_copy =
        match cols.get(row, "gmail_labels").map(|v| fields::choice(v, GMAIL_LABELS, "folders, single")) {
            None => false,
            Some(Ok(single)) => single,
            Some(Err(why)) => {
                problems.push(Problem::error(line, cols.label("gmail_labels"), why));
                return None;
            }
        };
    Some((include, exclude, gmail_single_copy))
}

/// Build one account from a row, pushing every problem found; `None` when a required part is missing.
fn account(
    cols: &Columns,
    row: &super::Row,
    options: &Options,
    host_reported: bool,
    problems: &mut Vec<Problem>,
) -> Option<SourceAccount> {
    let line = row.line;
    let d = &options.source_defaults;
    let mut err = |col: &str, msg: String| problems.push(Problem::error(line, cols.label(col), msg));

    let destination = match cols.get(row, "destination") {
        None => {
            err("destination", "the destination address is empty".into());
            None
        }
        Some(v) => fields::email(v).map_err(|m| err("destination", m)).ok(),
    };
    let provider = match cols.get(row, "provider") {
        None => Some(d.provider.unwrap_or(Provider::Imap)),
        Some(v) => {
            fields::choice(v, fields::PROVIDER, "imap, gmail, office365, exchange").map_err(|m| err("provider", m)).ok()
        }
    };
    let host = match cols.get(row, "source_host") {
        Some(v) => fields::host(v).map_err(|m| err("source_host", m)).ok(),
        None => match (provider.and_then(Provider::default_host), &d.host) {
            (Some(h), _) => crate::model::Host::parse(h).ok(),
            (None, Some(h)) => Some(h.clone()),
            (None, None) => {
                if !host_reported {
                    err("source_host", "the source server is empty: give the old server's host name".into());
                }
                None
            }
        },
    };
    let security = match cols.get(row, "security") {
        None => Some(d.security.unwrap_or(Security::Tls)),
        Some(v) if cols.label("security").eq_ignore_ascii_case("ssl") => {
            fields::choice(v, SSL, "yes, no").map_err(|m| err("security", m)).ok()
        }
        Some(v) => fields::choice(v, SECURITY, "tls, starttls, plain").map_err(|m| err("security", m)).ok(),
    };
    let port = match cols.get(row, "source_port") {
        None => security.map(|s| d.port.unwrap_or(s.default_port())),
        Some(v) => fields::port(v).map_err(|m| err("source_port", m)).ok(),
    };
    let user = cols.get(row, "source_user").map(str::to_string).or_else(|| destination.as_ref().map(|a| a.to_string()));
    let auth = match cols.get(row, "auth") {
        Some(v) => {
            fields::choice(v, AUTH, "password, master, oauth2, google, microsoft").map_err(|m| err("auth", m)).ok()
        }
        None if cols.get(row, "oauth_token").is_some() || cols.get(row, "oauth_refresh_token").is_some() => {
            Some(AuthKind::Oauth2)
        }
        None if cols.get(row, "master_user").is_some() => Some(AuthKind::Master),
        None => Some(AuthKind::Password),
    };
    let credentials = super::migration_credentials::credentials(auth?, cols, row, d, provider, &mut err);
    security_warnings(cols, line, security, port, problems);
    let (include, exclude, gmail_single_copy) = folder_options(cols, row, problems)?;
    Some(SourceAccount {
        destination: destination?,
        host: host?,
        port: port?,
        security: security?,
        user: user?,
        credentials: credentials?,
        provider: provider?,
        include,
        exclude,
        gmail_single_copy,
    })
}
