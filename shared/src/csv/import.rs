//! The import contract: domains, mailboxes (password, quota, display name) and aliases, in one file with a
//! `type` column or one file per type. Checks each row, then the file as a whole (duplicates, mailboxes in
//! undeclared domains, aliases colliding with mailboxes or pointing at themselves, domain limits).

use super::columns::{ColumnSpec, Columns};
use super::fields;
use super::import_checks::{Lines, Partial, cross_check};
use super::problem::Problem;
use super::reader::{Row, Table};
use super::{FileKind, Options};
use crate::model::{AliasSpec, Domain, DomainSpec, MailboxSpec, PasswordSpec, ProvisionPlan, Secret};

const SPECS: &[ColumnSpec] = &[
    ColumnSpec { name: "type", aliases: &["kind", "row_type"] },
    ColumnSpec { name: "domain", aliases: &["domain_name"] },
    ColumnSpec { name: "address", aliases: &["email", "email_address", "mailbox"] },
    ColumnSpec { name: "password", aliases: &["password_hash"] },
    ColumnSpec { name: "quota_mb", aliases: &["quota"] },
    ColumnSpec { name: "display_name", aliases: &["name", "full_name"] },
    ColumnSpec { name: "targets", aliases: &["target", "goto", "forward_to"] },
    ColumnSpec { name: "max_mailboxes", aliases: &["mailboxes"] },
    ColumnSpec { name: "max_aliases", aliases: &["aliases"] },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum RowType {
    Domain,
    Mailbox,
    Alias,
}

const ROW_TYPES: &[(&str, RowType)] = &[
    ("domain", RowType::Domain),
    ("domains", RowType::Domain),
    ("mailbox", RowType::Mailbox),
    ("mailboxes", RowType::Mailbox),
    ("user", RowType::Mailbox),
    ("alias", RowType::Alias),
    ("aliases", RowType::Alias),
];

/// Password schemes accepted as hashes, with the prefix their hash must start with (`None`: any) and the
/// characters the hash may hold. The character set is what keeps a "hash" from carrying a `:` or a space into a
/// passwd-file line, where it would start new fields (`{SSHA}:::::: nopassword=y` logs in with any password).
const SCHEMES: &[Scheme] = &[
    ("SHA512-CRYPT", Some(&["$6$"]), crypt_char),
    ("SHA256-CRYPT", Some(&["$5$"]), crypt_char),
    ("BLF-CRYPT", Some(&["$2y$", "$2b$", "$2a$"]), crypt_char),
    ("ARGON2ID", Some(&["$argon2id$"]), phc_char),
    ("ARGON2I", Some(&["$argon2i$"]), phc_char),
    ("MD5-CRYPT", Some(&["$1$"]), crypt_char),
    ("SSHA512", None, base64_char),
    ("SSHA256", None, base64_char),
    ("SSHA", None, base64_char),
    ("PBKDF2", Some(&["$1$"]), crypt_char),
];

/// A scheme's name, the prefixes its hash may start with, and the characters it may hold.
type Scheme = (&'static str, Option<&'static [&'static str]>, fn(u8) -> bool);

/// The longest hash accepted (the longest real ones are about 200 characters).
const MAX_HASH: usize = 512;

/// crypt(3) hashes: `$id$[rounds=N$]salt$hash` in the `./0-9A-Za-z` alphabet.
fn crypt_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'$' | b'=')
}

/// PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`): base64 and the parameter punctuation.
fn phc_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'$' | b'=' | b',')
}

fn base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// Validate every row and the file as a whole; `None` when anything is wrong.
pub(crate) fn validate(
    kind: FileKind,
    table: &Table,
    options: &Options,
    problems: &mut Vec<Problem>,
) -> Option<ProvisionPlan> {
    let cols = Columns::from_header(&table.rows[0], SPECS, problems);
    let header = table.rows[0].line;
    let required: &[&str] = match kind {
        FileKind::ImportCombined => &["type"],
        FileKind::ImportDomains => &["domain"],
        FileKind::ImportMailboxes => &["address", "password", "quota_mb"],
        _ => &["address", "targets"],
    };
    let missing: Vec<&str> = required.iter().copied().filter(|c| !cols.has(c)).collect();
    if !missing.is_empty() {
        problems.push(Problem::row_error(header, format!("the {kind} lacks the column(s): {}", missing.join(", "))));
        return None;
    }
    let errors_before = problems.iter().filter(|p| p.is_error()).count();
    let mut plan = ProvisionPlan::default();
    let mut lines = Lines::default();
    for row in &table.rows[1..] {
        if !cols.check_shape(row, problems) {
            continue;
        }
        let row_type = match kind {
            FileKind::ImportDomains => RowType::Domain,
            FileKind::ImportMailboxes => RowType::Mailbox,
            FileKind::ImportAliases => RowType::Alias,
            _ => match cols.get(row, "type") {
                None => {
                    problems.push(Problem::error(
                        row.line,
                        cols.label("type"),
                        "the type is empty; use domain, mailbox or alias",
                    ));
                    continue;
                }
                Some(v) => match fields::choice(v, ROW_TYPES, "domain, mailbox, alias") {
                    Ok(t) => t,
                    Err(m) => {
                        problems.push(Problem::error(row.line, cols.label("type"), m));
                        continue;
                    }
                },
            },
        };
        let mut p = RowProblems { cols: &cols, row, problems };
        let accepted = match row_type {
            RowType::Domain => domain_row(&mut p).map(|d| plan.domains.push(d)).is_some(),
            RowType::Mailbox => mailbox_row(&mut p).map(|m| plan.mailboxes.push(m)).is_some(),
            RowType::Alias => alias_row(&mut p).map(|a| plan.aliases.push(a)).is_some(),
        };
        if accepted {
            match row_type {
                RowType::Domain => lines.domains.push(row.line),
                RowType::Mailbox => lines.mailboxes.push(row.line),
                RowType::Alias => lines.aliases.push(row.line),
            }
        } else {
            // A row with errors still takes part in the checks across rows (a duplicate, an undeclared domain)
            // with what of it is valid: every problem of the file is reported at once.
            lines.partial.extend(partial_row(&cols, row, row_type));
        }
    }
    cross_check(&plan, &lines, &cols, options, problems);
    (problems.iter().filter(|p| p.is_error()).count() == errors_before).then_some(plan)
}

fn partial_row(cols: &Columns, row: &Row, row_type: RowType) -> Option<Partial> {
    if row_type == RowType::Domain {
        let domain = Domain::parse(cols.get(row, "domain")?).ok()?;
        return Some(Partial::Domain(row.line, domain));
    }
    let address = fields::email(cols.get(row, "address")?).ok()?;
    Some(if row_type == RowType::Mailbox {
        Partial::Mailbox(row.line, address)
    } else {
        Partial::Alias(row.line, address)
    })
}

struct RowProblems<'a> {
    cols: &'a Columns,
    row: &'a Row,
    problems: &'a mut Vec<Problem>,
}

impl RowProblems<'_> {
    fn error(&mut self, col: &str, message: String) {
        self.problems.push(Problem::error(self.row.line, self.cols.label(col), message));
    }

    fn get(&self, col: &str) -> Option<&str> {
        self.cols.get(self.row, col)
    }

    fn required(&mut self, col: &str, what: &str) -> Option<String> {
        let v = self.get(col).map(str::to_string);
        if v.is_none() {
            self.error(col, format!("the {what} is empty"));
        }
        v
    }

    fn limit(&mut self, col: &str) -> Option<Option<u64>> {
        match self.get(col) {
            None => Some(None),
            Some(v) => fields::count(v, "(leave it empty for no limit)")
                .and_then(|n| at_most(n, if col == "quota_mb" { MAX_QUOTA_MB } else { MAX_LIMIT }))
                .map(Some)
                .map_err(|m| self.error(col, m))
                .ok(),
        }
    }
}

/// The largest quota accepted, in MB (1 PB): its size in bytes fits every store's integer (PostgreSQL's
/// `bigint`, Dovecot's quota rules), so it can never wrap around to 0, which means "no limit".
pub const MAX_QUOTA_MB: u64 = 1 << 30;
/// The largest mailbox or alias count limit (fits PostgreSQL's `integer`; 0 would mean "no limit").
pub const MAX_LIMIT: u64 = 1_000_000_000;

fn at_most(n: u64, max: u64) -> Result<u64, String> {
    if n <= max { Ok(n) } else { Err(format!("the value is larger than {max}, the most mailferry accepts")) }
}

fn domain_row(p: &mut RowProblems) -> Option<DomainSpec> {
    let name = p.required("domain", "domain name")?;
    let domain =
        Domain::parse(&name).map_err(|e| p.error("domain", format!("the value is not a valid domain name: it {e}")));
    let max_mailboxes = p.limit("max_mailboxes");
    let max_aliases = p.limit("max_aliases");
    let quota_mb = p.limit("quota_mb");
    Some(DomainSpec {
        line: p.row.line,
        domain: domain.ok()?,
        max_mailboxes: max_mailboxes?.map(|n| n as u32),
        max_aliases: max_aliases?.map(|n| n as u32),
        quota_mb: quota_mb?,
    })
}

fn mailbox_row(p: &mut RowProblems) -> Option<MailboxSpec> {
    let address = p
        .required("address", "mailbox address")
        .and_then(|v| fields::email(&v).map_err(|m| p.error("address", m)).ok());
    let password = p.required("password", "password").and_then(|v| password(p, &v));
    let quota_mb = match p.get("quota_mb") {
        None => {
            p.error("quota_mb", "the quota is empty; give it in MB (0 for no limit)".into());
            None
        }
        Some(v) => fields::count(v, "of MB (for example 2048 for 2 GB; 0 for no limit)")
            .and_then(|n| at_most(n, MAX_QUOTA_MB))
            .map_err(|m| p.error("quota_mb", m))
            .ok(),
    };
    let display_name = p.get("display_name").unwrap_or_default().to_string();
    Some(MailboxSpec { line: p.row.line, address: address?, password: password?, quota_mb: quota_mb?, display_name })
}

fn password(p: &mut RowProblems, value: &str) -> Option<PasswordSpec> {
    if let Some(rest) = value.strip_prefix('{') {
        let Some((scheme, hash)) = rest.split_once('}') else {
            p.error("password", "the password starts with '{' but has no closing '}' after the scheme name".into());
            return None;
        };
        let scheme = scheme.to_uppercase();
        if scheme == "PLAIN" || scheme == "CLEAR" {
            return Some(PasswordSpec::Plain(Secret::new(hash.to_string())));
        }
        let Some((_, prefixes, allowed)) = SCHEMES.iter().find(|(s, _, _)| *s == scheme) else {
            let names: Vec<&str> = SCHEMES.iter().map(|(s, _, _)| *s).collect();
            p.error(
                "password",
                format!(
                    "{{{scheme}}} is not a password scheme mailferry accepts; use {} or a plain password",
                    names.join(", ")
                ),
            );
            return None;
        };
        if hash.len() > MAX_HASH || !hash.bytes().all(allowed) {
            // The hash is a secret: say what is wrong with it, never quote it.
            p.error(
                "password",
                format!(
                    "the {{{scheme}}} hash holds characters that scheme never uses (a ':', a space, a control \
                     character or other punctuation) or is over {MAX_HASH} characters; paste the hash exactly as \
                     your old platform stored it"
                ),
            );
            return None;
        }
        let form_ok = match prefixes {
            Some(prefixes) => prefixes.iter().any(|pre| hash.starts_with(pre) && hash.len() > pre.len() + 8),
            None => hash.len() >= 8,
        };
        if !form_ok {
            let expected = prefixes
                .map_or_else(|| "at least 8 characters".to_string(), |ps| format!("to start with {}", ps.join(" or ")));
            p.error(
                "password",
                format!("the {{{scheme}}} hash does not have the form of that scheme (expected {expected})"),
            );
            return None;
        }
        return Some(PasswordSpec::Hashed { scheme, hash: Secret::new(hash.to_string()) });
    }
    let line = p.row.line;
    let col = Some(p.cols.label("password"));
    if ["$6$", "$5$", "$2y$", "$2b$", "$argon2"].iter().any(|pre| value.starts_with(pre)) {
        p.problems.push(Problem::warning(
            line,
            col,
            "this looks like a password hash without its {SCHEME} prefix (for example {SHA512-CRYPT}); it will be \
             used as a plain password",
        ));
    } else if value.chars().count() < 8 {
        p.problems.push(Problem::warning(line, col, "the password is shorter than 8 characters"));
    }
    Some(PasswordSpec::Plain(Secret::new(value.to_string())))
}

fn alias_row(p: &mut RowProblems) -> Option<AliasSpec> {
    let address =
        p.required("address", "alias address").and_then(|v| fields::email(&v).map_err(|m| p.error("address", m)).ok());
    let raw = p.required("targets", "list of targets")?;
    let mut targets = Vec::new();
    for (i, t) in fields::list(&raw, &['|', ',', ';', ' ']).iter().enumerate() {
        match fields::email(t) {
            Ok(a) => targets.push(a),
            Err(m) => p.error("targets", m.replacen("the value", &format!("target {}", i + 1), 1)),
        }
    }
    let address = address?;
    if targets.iter().any(|t| t.key() == address.key()) {
        p.error("targets", format!("the alias {address} delivers to itself"));
        return None;
    }
    Some(AliasSpec { line: p.row.line, address, targets })
}
