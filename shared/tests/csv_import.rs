//! The import CSV contract: domains, mailboxes and aliases; every bad input names its line, column and fix.

mod csv_support;

use csv_support::{assert_error, assert_warning, check, check_with};
use mailferry::csv::{FileKind, Options, Plan, Purpose};
use mailferry::model::PasswordSpec;

const H: &str = "type,domain,address,password,quota_mb,display_name,targets,max_mailboxes,max_aliases\n";
const DOMAIN: &str = "domain,example.com,,,,,,,\n";

/// A combined file with the header, a domain row (line 2) and the given rows (from line 3).
fn with_domain(rows: &str) -> String {
    format!("{H}{DOMAIN}{rows}")
}

bad!(
    type_empty,
    with_domain(",,ann@example.com,Pass-1234,100,,,,\n"),
    3,
    Some("type"),
    "the type is empty; use domain, mailbox or alias"
);
bad!(
    type_unknown,
    with_domain("group,,ann@example.com,Pass-1234,100,,,,\n"),
    3,
    Some("type"),
    "the value is not one of: domain, mailbox, alias"
);
bad!(
    domain_with_space,
    format!("{H}domain,exa mple.com,,,,,,,\n"),
    2,
    Some("domain"),
    "the value is not a valid domain name: it contains a space"
);
bad!(
    domain_without_dot,
    format!("{H}domain,intranet,,,,,,,\n"),
    2,
    Some("domain"),
    "the value is not a valid domain name: it has a domain without a dot (intranet)"
);
bad!(domain_empty, format!("{H}domain,,,,,,,,\n"), 2, Some("domain"), "the domain name is empty");
bad!(
    domain_declared_twice,
    format!("{H}{DOMAIN}domain,EXAMPLE.com,,,,,,,\n"),
    3,
    Some("domain"),
    "the domain example.com is already declared on line 2"
);
bad!(
    domain_limit_not_a_number,
    format!("{H}domain,example.com,,,,,,ten,\n"),
    2,
    Some("max_mailboxes"),
    "the value is not a whole number (leave it empty for no limit)"
);
bad!(
    mailbox_bad_address,
    with_domain("mailbox,,ann(at)example.com,Pass-1234,100,,,,\n"),
    3,
    Some("address"),
    "the value is not a valid email address: it has no '@'"
);
bad!(
    mailbox_address_empty,
    with_domain("mailbox,,,Pass-1234,100,,,,\n"),
    3,
    Some("address"),
    "the mailbox address is empty"
);
bad!(
    mailbox_password_empty,
    with_domain("mailbox,,ann@example.com,,100,,,,\n"),
    3,
    Some("password"),
    "the password is empty"
);
bad!(
    quota_with_unit,
    with_domain("mailbox,,ann@example.com,Pass-1234,2GB,,,,\n"),
    3,
    Some("quota_mb"),
    "the value is not a whole number; write the number only, of MB (for example 2048 for 2 GB; 0 for no limit)"
);
bad!(
    quota_negative,
    with_domain("mailbox,,ann@example.com,Pass-1234,-5,,,,\n"),
    3,
    Some("quota_mb"),
    "the value is not a whole number of MB (for example 2048 for 2 GB; 0 for no limit)"
);
bad!(
    quota_empty,
    with_domain("mailbox,,ann@example.com,Pass-1234,,,,,\n"),
    3,
    Some("quota_mb"),
    "the quota is empty; give it in MB (0 for no limit)"
);
bad!(
    unknown_hash_scheme,
    with_domain("mailbox,,ann@example.com,{MD4}abcdef0123456789,100,,,,\n"),
    3,
    Some("password"),
    "{MD4} is not a password scheme mailferry accepts; use SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, ARGON2ID, ARGON2I, MD5-CRYPT, SSHA512, SSHA256, SSHA, PBKDF2 or a plain password"
);
bad!(
    hash_of_wrong_form,
    with_domain("mailbox,,ann@example.com,{SHA512-CRYPT}$1$abcdefgh$ijklmnop,100,,,,\n"),
    3,
    Some("password"),
    "the {SHA512-CRYPT} hash does not have the form of that scheme (expected to start with $6$)"
);
bad!(
    argon_hash_too_short,
    with_domain("mailbox,,ann@example.com,{ARGON2ID}$argon2id$,100,,,,\n"),
    3,
    Some("password"),
    "the {ARGON2ID} hash does not have the form of that scheme (expected to start with $argon2id$)"
);
bad!(
    scheme_without_closing_brace,
    with_domain("mailbox,,ann@example.com,{SHA512-CRYPT$6$abc,100,,,,\n"),
    3,
    Some("password"),
    "the password starts with '{' but has no closing '}' after the scheme name"
);
bad!(
    mailbox_in_undeclared_domain,
    with_domain("mailbox,,ann@example.org,Pass-1234,100,,,,\n"),
    3,
    Some("address"),
    "the domain example.org is not declared in this file and does not exist on the destination; add a domain row for it"
);
bad!(
    mailbox_twice_ignoring_case,
    with_domain("mailbox,,ann@example.com,Pass-1234,100,,,,\nmailbox,,Ann@EXAMPLE.com,Pass-1234,100,,,,\n"),
    4,
    Some("address"),
    "the mailbox Ann@example.com is already on line 3"
);
bad!(
    alias_equal_to_mailbox,
    with_domain("mailbox,,ann@example.com,Pass-1234,100,,,,\nalias,,ann@example.com,,,,bob@example.net,,\n"),
    4,
    Some("address"),
    "the alias ann@example.com has the same address as the mailbox on line 3; an address is either a mailbox or an alias"
);
bad!(
    alias_twice,
    with_domain("alias,,sales@example.com,,,,a@example.net,,\nalias,,sales@example.com,,,,b@example.net,,\n"),
    4,
    Some("address"),
    "the alias sales@example.com is already on line 3"
);
bad!(
    alias_to_itself,
    with_domain("alias,,sales@example.com,,,,\"bob@example.net, SALES@example.com\",,\n"),
    3,
    Some("targets"),
    "the alias sales@example.com delivers to itself"
);
bad!(
    alias_bad_target,
    with_domain("alias,,sales@example.com,,,,ann@example.com|bob@,,\n"),
    3,
    Some("targets"),
    "target 2 is not a valid email address: it has no domain after the '@'"
);
bad!(
    alias_without_targets,
    with_domain("alias,,sales@example.com,,,,,,\n"),
    3,
    Some("targets"),
    "the list of targets is empty"
);
bad!(
    alias_in_undeclared_domain,
    with_domain("alias,,sales@example.org,,,,ann@example.com,,\n"),
    3,
    Some("address"),
    "the domain example.org is not declared in this file and does not exist on the destination; add a domain row for it"
);
bad!(
    domain_mailbox_limit,
    format!(
        "{H}domain,example.com,,,,,,1,\nmailbox,,a@example.com,Pass-1234,1,,,,\nmailbox,,b@example.com,Pass-1234,1,,,,\n"
    ),
    4,
    Some("address"),
    "the domain example.com allows at most 1 mailbox (line 2); this is mailbox number 2"
);
bad!(
    domain_alias_limit,
    format!("{H}domain,example.com,,,,,,,0\nalias,,s@example.com,,,,x@example.net,,\n"),
    3,
    Some("address"),
    "the domain example.com allows at most 0 aliases (line 2); this is alias number 1"
);
bad!(
    mailbox_file_without_quota_column,
    "address,password,display_name\nann@example.com,Pass-1234,Ann\n",
    1,
    None,
    "the import file of mailboxes lacks the column(s): quota_mb"
);
bad!(
    semicolon_import_bad_quota,
    "type;domain;address;password;quota_mb\ndomain;example.com;;;\nmailbox;;ann@example.com;Pass-1234;1,5\n",
    3,
    Some("quota_mb"),
    "the value is not a whole number of MB (for example 2048 for 2 GB; 0 for no limit)"
);

#[test]
fn uploaded_as_a_migration() {
    let options = Options { expect: Some(Purpose::Migration), ..Default::default() };
    let v = check_with(&with_domain(""), &options);
    assert_error(&v, 1, None, "this is an import file (import file) but it was uploaded as a migration");
}

#[test]
fn domains_existing_on_the_destination_need_no_row() {
    let options = Options { known_domains: ["example.org".to_string()].into(), ..Default::default() };
    let v = check_with("address,password,quota_mb\nann@example.org,Pass-1234,100\n", &options);
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.kind, Some(FileKind::ImportMailboxes));
}

#[test]
fn warnings_for_weak_or_unprefixed_passwords() {
    let v = check(&with_domain(
        "mailbox,,ann@example.com,short,100,,,,\nmailbox,,bob@example.com,$6$saltsalt$hashhashhash,100,,,,\n",
    ));
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_warning(&v, 3, Some("password"), "the password is shorter than 8 characters");
    assert_warning(
        &v,
        4,
        Some("password"),
        "this looks like a password hash without its {SCHEME} prefix (for example {SHA512-CRYPT}); it will be used as a plain password",
    );
}

#[test]
fn combined_sample_parses_into_a_plan() {
    let v = check(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/csv/import.csv")).unwrap());
    assert_eq!(v.summary(), "import file: valid; would create 1 domain, 2 mailboxes (3072 MB of quota) and 1 alias");
    let Some(Plan::Import(plan)) = v.plan else { panic!("{:?}", v.problems) };
    assert_eq!(plan.domains[0].max_mailboxes, Some(100));
    assert_eq!(plan.domains[0].quota_mb, Some(51200));
    assert_eq!(plan.mailboxes[1].display_name, "Lee, Bob");
    assert!(matches!(&plan.mailboxes[0].password, PasswordSpec::Plain(p) if p.expose() == "Ann-Initial-Pass"));
    assert!(matches!(&plan.mailboxes[1].password, PasswordSpec::Hashed { scheme, .. } if scheme == "SHA512-CRYPT"));
    let targets: Vec<String> = plan.aliases[0].targets.iter().map(ToString::to_string).collect();
    assert_eq!(targets, ["ann@example.com", "bob@example.com"]);
}

#[test]
fn per_type_files_are_recognised_by_header() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/csv/");
    let kinds: Vec<_> = ["import-domains.csv", "import-mailboxes.csv", "import-aliases.csv"]
        .iter()
        .map(|f| check(&std::fs::read_to_string(format!("{dir}{f}")).unwrap()).kind)
        .collect();
    assert_eq!(kinds, [Some(FileKind::ImportDomains), Some(FileKind::ImportMailboxes), Some(FileKind::ImportAliases)]);
}

bad!(
    quota_that_would_wrap_to_unlimited,
    with_domain("mailbox,,ann@example.com,Pass-1234,9223372036854775807,,,,\n"),
    3,
    Some("quota_mb"),
    "the value is larger than 1073741824, the most mailferry accepts"
);
bad!(
    domain_limit_that_would_turn_negative,
    format!("{H}domain,example.com,,,,,,4294967295,\n"),
    2,
    Some("max_mailboxes"),
    "the value is larger than 1000000000, the most mailferry accepts"
);

#[test]
fn duplicates_and_undeclared_domains_are_reported_with_the_rows_other_problems() {
    // Line 3 is a good mailbox; line 4 repeats it with a bad quota; line 5 is in an undeclared domain with an
    // empty password; line 6 declares the domain again with a bad limit.
    let text = with_domain(
        "mailbox,,ann@example.com,Pass-1234,100,,,,\nmailbox,,ann@example.com,Pass-1234,lots,,,,\n\
         mailbox,,bob@example.org,,100,,,,\ndomain,example.com,,,,,,ten,\n",
    );
    let v = check(&text);
    let places: Vec<(u64, Option<&str>)> = v.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(
        places,
        [
            (4, Some("quota_mb")),
            (4, Some("address")),
            (5, Some("password")),
            (5, Some("address")),
            (6, Some("max_mailboxes")),
            (6, Some("domain")),
        ],
        "{:#?}",
        v.problems
    );
    assert_error(&v, 4, Some("address"), "the mailbox ann@example.com is already on line 3");
    assert_error(
        &v,
        5,
        Some("address"),
        "the domain example.org is not declared in this file and does not exist on the destination; add a domain row for it",
    );
    assert_error(&v, 6, Some("domain"), "the domain example.com is already declared on line 2");
}
