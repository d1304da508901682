//! The migration CSV contract: every bad input names its line, its column and what to do about it.

mod csv_support;

use csv_support::{assert_error, assert_warning, check, check_with};
use mailferry::csv::{FileError, FileKind, Limits, Options, Plan, Purpose, SourceDefaults, validate};
use mailferry::model::{Credentials, Host, Provider, Security};

const H: &str = "destination,source_host,source_port,security,source_user,auth,password,master_user,master_password,provider,oauth_token,include,exclude\n";

fn row(cells: &str) -> String {
    format!("{H}{cells}\n")
}

bad!(
    empty_destination,
    row(",mail.old.test,993,tls,ann,password,pw-123456,,,imap,,,"),
    2,
    Some("destination"),
    "the destination address is empty"
);
bad!(
    destination_without_at,
    row("ann.example.com,mail.old.test,993,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("destination"),
    "the value is not a valid email address: it has no '@'"
);
bad!(
    destination_two_ats,
    row("a@b@example.com,mail.old.test,,,,,pw-123456,,,,,,"),
    2,
    Some("destination"),
    "the value is not a valid email address: it has more than one '@'"
);
bad!(
    destination_domain_without_dot,
    row("ann@localhost,mail.old.test,,,,,pw-123456,,,,,,"),
    2,
    Some("destination"),
    "the value is not a valid email address: it has a domain without a dot (localhost)"
);
bad!(
    destination_with_space,
    row("\"ann lee@example.com\",mail.old.test,,,,,pw-123456,,,,,,"),
    2,
    Some("destination"),
    "the value is not a valid email address: it contains a space"
);
bad!(
    destination_double_dot,
    row("ann..lee@example.com,mail.old.test,,,,,pw-123456,,,,,,"),
    2,
    Some("destination"),
    "the value is not a valid email address: it has a '.' at the start or end of the part before the '@', or two dots in a row"
);
bad!(
    port_too_large,
    row("ann@example.com,mail.old.test,99999,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_port"),
    "the value is not a port: use a number from 1 to 65535"
);
bad!(
    port_zero,
    row("ann@example.com,mail.old.test,0,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_port"),
    "the value is not a port: use a number from 1 to 65535"
);
bad!(
    port_not_a_number,
    row("ann@example.com,mail.old.test,imaps,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_port"),
    "the value is not a port: use a number from 1 to 65535"
);
bad!(
    host_with_scheme,
    row("ann@example.com,imap://mail.old.test,993,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_host"),
    "the value is not a valid server name: it must be a host name only, without \"imap://\" or a path"
);
bad!(
    host_with_port,
    row("ann@example.com,mail.old.test:993,,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_host"),
    "the value is not a valid server name: it must not contain a port: put the port in its own column"
);
bad!(
    host_with_underscore,
    row("ann@example.com,mail_old.test,,tls,ann,password,pw-123456,,,,,,"),
    2,
    Some("source_host"),
    "the value is not a valid server name: it is not a valid host name"
);
bad!(
    host_empty,
    row("ann@example.com,,993,tls,ann,password,pw-123456,,,imap,,,"),
    2,
    Some("source_host"),
    "the source server is empty: give the old server's host name"
);
bad!(
    security_unknown,
    row("ann@example.com,mail.old.test,993,ssl3,ann,password,pw-123456,,,,,,"),
    2,
    Some("security"),
    "the value is not one of: tls, starttls, plain"
);
bad!(
    auth_unknown,
    row("ann@example.com,mail.old.test,993,tls,ann,kerberos,pw-123456,,,,,,"),
    2,
    Some("auth"),
    "the value is not one of: password, master, oauth2, google, microsoft"
);
bad!(
    provider_unknown,
    row("ann@example.com,mail.old.test,993,tls,ann,password,pw-123456,,,yahoo,,,"),
    2,
    Some("provider"),
    "the value is not one of: imap, gmail, office365, exchange"
);
bad!(
    password_missing,
    row("ann@example.com,mail.old.test,993,tls,ann,password,,,,,,,"),
    2,
    Some("password"),
    "the password is empty; it is needed to log in to the source with auth=password"
);
bad!(
    master_user_missing,
    row("ann@example.com,mail.old.test,993,tls,ann,master,,,Master-pw1,,,,"),
    2,
    Some("master_user"),
    "the master user is empty; auth=master logs in as an administrator on the user's behalf"
);
bad!(
    master_password_missing,
    row("ann@example.com,mail.old.test,993,tls,ann,master,,admin,,,,,"),
    2,
    Some("master_password"),
    "the master password is empty; it is needed with auth=master"
);
bad!(
    oauth_without_provider,
    row("ann@example.com,mail.old.test,993,tls,ann,oauth2,,,,imap,tok-123,,"),
    2,
    Some("oauth_provider"),
    "auth=oauth2 needs the provider that issued the token: gmail, office365 or exchange"
);
bad!(
    oauth_without_token,
    row("ann@example.com,,,,ann@gmail.example,oauth2,,,,gmail,,,"),
    2,
    Some("oauth_token"),
    "the OAuth token is empty; it is needed with auth=oauth2"
);
bad!(
    duplicate_destination_ignores_case,
    format!(
        "{H}ann@example.com,mail.old.test,,,ann,,pw-123456,,,,,,\nANN@Example.COM,mail.old.test,,,ann2,,pw-123456,,,,,,\n"
    ),
    3,
    Some("destination"),
    "ANN@example.com is already the destination on line 2; each destination mailbox may appear once"
);
bad!(
    unquoted_delimiter_in_value,
    row("ann@example.com,mail.old.test,993,tls,ann,password,pw,123456,,,,,,"),
    2,
    None,
    "this row has 14 fields but the header has 13 columns; a value containing the delimiter must be put in double quotes"
);
bad!(
    unterminated_quote,
    format!(
        "{H}ann@example.com,mail.old.test,993,tls,ann,password,\"pw-123456,,,,,,\nbob@example.com,mail.old.test,993,tls,bob,password,pw-654321,,,,,,\n"
    ),
    2,
    Some("password"),
    "this value runs over several lines; is a closing double quote missing?"
);
bad!(
    duplicate_column,
    "destination,email,source_host,password\nann@example.com,ann@example.com,mail.old.test,pw-123456\n",
    1,
    Some("email"),
    "this column means the same as column 1 (\"destination\"); keep only one of them"
);
bad!(header_only, H, 1, None, "the file has no data rows");
bad!(
    unknown_format,
    "name,phone\nAnn,123\n",
    1,
    None,
    "the first line does not name the columns of a known format (found 2 fields separated by ','); expected a migration header (destination,source_host,…), Microsoft 365's EmailAddress,UserName,Password, an imapsync batch line host1;user1;password1;host2;user2;password2, or an import header (type,… or domain,… or address,password,quota_mb,… or address,targets)"
);
bad!(
    semicolon_file_bad_port,
    "destination;source_host;source_port;password\nann@example.com;mail.old.test;70000;\"pw;123456\"\n",
    2,
    Some("source_port"),
    "the value is not a port: use a number from 1 to 65535"
);
bad!(
    m365_without_server,
    "EmailAddress,UserName,Password\nann@example.com,ann,pw-123456\n",
    1,
    None,
    "a Microsoft 365 batch file names no source server: give one for the whole job (--source-host HOST on validate and migrate, or the upload's source-host metadata)"
);
bad!(
    imapsync_short_line,
    "mail.old.test;ann;pw-123456;mail.new.test;ann@example.com;x\nmail.old.test;bob;pw-654321;mail.new.test\n",
    2,
    None,
    "an imapsync line needs 6 fields separated by ';' (host1;user1;password1;host2;user2;password2); this one has 4"
);
bad!(
    imapsync_user2_not_an_address,
    "mail.old.test;ann;pw-123456;mail.new.test;ann;x\n",
    1,
    Some("user2"),
    "the value is not a valid email address: it has no '@'"
);
bad!(
    include_with_control_character,
    row("ann@example.com,mail.old.test,993,tls,ann,password,pw-123456,,,,,INBOX\u{7}x,"),
    2,
    Some("include"),
    "a folder pattern contains a control character"
);

#[test]
fn m365_with_host_from_job_default_is_valid() {
    let options = Options {
        source_defaults: SourceDefaults { host: Some(Host::parse("mail.old.test").unwrap()), ..Default::default() },
        ..Default::default()
    };
    let v = check_with("EmailAddress,UserName,Password\nbad-address,ann,pw-123456\n", &options);
    assert_error(&v, 2, Some("EmailAddress"), "the value is not a valid email address: it has no '@'");
    let v = check_with("EmailAddress,UserName,Password\r\nann@example.com,ann,pw-123456\r\n", &options);
    assert_eq!(v.kind, Some(FileKind::Microsoft365));
    let Some(Plan::Migration(entries)) = v.plan else { panic!("valid: {:?}", v.problems) };
    let a = &entries[0].account;
    assert_eq!((a.host.as_str(), a.port, a.security, a.user.as_str()), ("mail.old.test", 993, Security::Tls, "ann"));
}

#[test]
fn uploaded_to_the_wrong_place() {
    let options = Options { expect: Some(Purpose::Import), ..Default::default() };
    let v = check_with(&row("ann@example.com,mail.old.test,993,tls,ann,password,pw-123456,,,,,,"), &options);
    assert_error(&v, 1, None, "this is a migration file (migration file) but it was uploaded as an import");
}

#[test]
fn too_many_rows() {
    let options = Options { limits: Limits { max_rows: 2, ..Default::default() }, ..Default::default() };
    let body: String = (1..=3).map(|i| format!("u{i}@example.com,mail.old.test,,,,,pw-123456,,,,,,\n")).collect();
    let v = check_with(&format!("{H}{body}"), &options);
    assert_error(&v, 4, None, "the file has 3 rows, more than the limit of 2; split it into several files");
}

#[test]
fn latin1_bytes_are_refused_with_their_csv_column() {
    let bytes = b"destination,source_host,password\nren\xe9@example.com,mail.old.test,pw\n";
    let err = validate(bytes, &Options::default()).unwrap_err();
    assert_eq!(err, FileError::NotUtf8 { line: 2, column: 1, name: " (destination)".into(), byte: 0xE9 });
    assert_eq!(
        err.to_string(),
        "line 2, column 1 (destination): byte 0xE9 is not valid UTF-8; the file seems to be saved as Windows-1252 or Latin-1: save it as \"CSV UTF-8\" and upload it again"
    );
    // The column counts fields (a quoted delimiter is inside one), not bytes or characters.
    let bytes = b"destination;source_host;password\nann@example.com;\"mail;old\";p\xe4ss\n";
    let err = validate(bytes, &Options::default()).unwrap_err().to_string();
    assert!(err.starts_with("line 2, column 3 (password): byte 0xE4"), "{err}");
}

#[test]
fn utf16_and_oversized_files_are_refused() {
    assert_eq!(validate(b"\xff\xfed\x00e\x00", &Options::default()).unwrap_err(), FileError::Utf16);
    let options = Options { limits: Limits { max_bytes: 10, ..Default::default() }, ..Default::default() };
    let err = validate(H.as_bytes(), &options).unwrap_err();
    assert_eq!(err.to_string(), format!("the file is {} bytes, more than the limit of 10 bytes", H.len()));
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = format!(
        "{H}ann@example.com,mail.old.test,0,tls,ann,password,,,,,,,\nbad,mail.old.test,993,xyz,bob,password,pw-123456,,,,,,\n"
    );
    let v = check(&text);
    let places: Vec<(u64, Option<&str>)> = v.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(
        places,
        [(2, Some("source_port")), (2, Some("password")), (3, Some("destination")), (3, Some("security"))]
    );
    assert_eq!(v.summary(), "migration file: 4 errors; nothing will be created or migrated");
}

#[test]
fn a_repeated_destination_is_reported_with_the_rows_other_problems() {
    let text = format!(
        "{H}ann@example.com,mail.old.test,993,tls,ann,password,pw-123456,,,,,,\nann@example.com,mail.old.test,0,tls,ann,password,,,,,,,\n"
    );
    let v = check(&text);
    let places: Vec<(u64, Option<&str>)> = v.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(places, [(3, Some("source_port")), (3, Some("password")), (3, Some("destination"))]);
    assert_error(
        &v,
        3,
        Some("destination"),
        "ann@example.com is already the destination on line 2; each destination mailbox may appear once",
    );
}

#[test]
fn warnings_do_not_block() {
    let text = format!("{H}ann@example.com,mail.old.test,993,plain,ann,password,pw-123456,,,,,,\n")
        .replace("exclude", "exclude,colour");
    let v = check(&text);
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_warning(&v, 1, Some("colour"), "this column is not one mailferry knows; it will be ignored");
    assert_warning(&v, 2, Some("security"), "security=plain sends the password unencrypted over the network");
    assert_warning(&v, 2, Some("source_port"), "port 993 usually goes with security=tls; check the security column");
}

#[test]
fn canonical_sample_parses_into_accounts() {
    let v =
        check(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../events/csv/migration.csv")).unwrap());
    let Some(Plan::Migration(entries)) = v.plan else { panic!("{:?}", v.problems) };
    assert_eq!(entries.len(), 3);
    assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4, 5]);
    let bob = &entries[1].account;
    assert_eq!((bob.port, bob.security, bob.user.as_str()), (143, Security::Starttls, "bob"));
    assert!(matches!(&bob.credentials, Credentials::Master { master_user, .. } if master_user == "admin"));
    assert_eq!(bob.include, ["INBOX", "Projects/*"]);
    let carla = &entries[2].account;
    assert_eq!((carla.host.as_str(), carla.port, carla.provider), ("imap.gmail.com", 993, Provider::Gmail));
    assert!(matches!(&carla.credentials, Credentials::Oauth2 { provider: Provider::Gmail, .. }));
    assert_eq!(entries[0].account.exclude, ["Trash", "Junk"]);
}

#[test]
fn semicolon_and_imapsync_samples_parse() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/csv/");
    let v = check(&std::fs::read_to_string(format!("{dir}migration-semicolon.csv")).unwrap());
    let Some(Plan::Migration(e)) = v.plan else { panic!("{:?}", v.problems) };
    assert_eq!(e[0].account.destination.to_string(), "dörte@example.com");
    assert!(matches!(&e[0].account.credentials, Credentials::Password { password } if password.expose() == "pa;ss"));
    let v = check(&std::fs::read_to_string(format!("{dir}migration-imapsync.txt")).unwrap());
    assert_eq!(v.kind, Some(FileKind::Imapsync));
    let Some(Plan::Migration(e)) = v.plan else { panic!("{:?}", v.problems) };
    assert_eq!(
        (e[1].line, e[1].account.user.as_str(), e[1].account.destination.to_string()),
        (3, "bob", "bob@example.com".to_string())
    );
}

#[test]
fn a_row_bomb_is_cut_off_while_reading() {
    // 2 million tiny rows: reading stops one row past the limit instead of building every record first.
    let options = Options { limits: Limits { max_rows: 50_000, max_bytes: 20 << 20 }, ..Default::default() };
    let body = format!("{H}{}", "a\n".repeat(2_000_000));
    let table = mailferry::csv::read_table(body.as_bytes(), &options.limits).unwrap();
    assert_eq!((table.rows.len(), table.cut_short), (50_002, true));
    let v = check_with(&body, &options);
    assert_error(&v, 50_002, None, "the file has more than 50000 rows; split it into several files");
}

#[test]
fn a_shifted_row_never_quotes_the_password_that_landed_in_another_column() {
    // The port is missing, so the password sits under source_port (and the rest shifts left).
    let v = check("destination,source_host,source_port,password\nann@example.com,mail.old.test,Sup3r-Secret!\n");
    assert!(v.plan.is_none());
    let all: String = v.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(!all.contains("Sup3r-Secret"), "{all}");
    assert_error(&v, 2, Some("source_port"), "the value is not a port: use a number from 1 to 65535");
}

#[test]
fn an_unknown_format_is_described_not_quoted() {
    let v = check("mail.old.test|ann|Sup3r-Secret!|x\n");
    let all: String = v.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(!all.contains("Sup3r-Secret"), "{all}");
    assert!(all.contains("found 1 fields separated by ','"), "{all}");
}

#[test]
fn imapsync_lines_may_end_with_a_semicolon() {
    let v = check(
        "# imapsync\nold.test;ann;Sup3r-Secret!;new.test;ann@example.com;x;\nold.test;bob;B0b-Secret!!;new.test;bob@example.com;y;\n",
    );
    assert_eq!(v.kind, Some(FileKind::Imapsync), "{:?}", v.problems);
    let Some(Plan::Migration(entries)) = &v.plan else { panic!("{:?}", v.problems) };
    assert_eq!(entries.len(), 2);
    let all: String = v.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n");
    assert!(!all.contains("Secret"), "{all}");
}

#[test]
fn qboxmail_style_headers_are_a_migration_with_an_ssl_column() {
    let text = "Email;Server;Port;Username;Password;SSL\n\
                ann@example.com;mail.old.test;993;ann;pw-123456;yes\n\
                bob@example.com;mail.old.test;143;bob;pw-654321;no\n";
    let v = check(text);
    assert_eq!(v.kind, Some(FileKind::Migration), "{:?}", v.problems);
    assert!(v.is_valid(), "{:?}", v.problems);
    let Some(Plan::Migration(entries)) = &v.plan else { panic!("no plan") };
    let got: Vec<(u16, Security)> = entries.iter().map(|e| (e.account.port, e.account.security)).collect();
    assert_eq!(got, [(993, Security::Tls), (143, Security::Starttls)], "no SSL is STARTTLS, never clear text");
    let v = check("Email;Server;Port;Username;Password;SSL\nann@example.com;mail.old.test;993;ann;pw-123456;maybe\n");
    assert_error(&v, 2, Some("SSL"), "the value is not one of: yes, no");
}

#[test]
fn an_asked_for_migration_wins_over_an_import_look_alike() {
    let text = "email,password\nann@example.com,pw-123456\n";
    assert_eq!(check(text).kind, Some(FileKind::ImportMailboxes), "without a purpose it looks like an import");
    let options = Options {
        expect: Some(Purpose::Migration),
        source_defaults: SourceDefaults::from_text(Some("mail.old.test"), Some("993"), Some("tls"), None).unwrap(),
        ..Default::default()
    };
    let v = validate(text.as_bytes(), &options).unwrap();
    assert_eq!(v.kind, Some(FileKind::Migration));
    assert!(v.is_valid(), "{:?}", v.problems);
}

#[test]
fn job_level_defaults_from_upload_metadata_name_the_field_at_fault() {
    let d = SourceDefaults::from_text(Some(" imap.old.test "), Some("143"), Some("starttls"), Some("office365"));
    let d = d.unwrap();
    assert_eq!((d.port, d.security, d.provider), (Some(143), Some(Security::Starttls), Some(Provider::Office365)));
    assert_eq!(SourceDefaults::from_text(None, None, None, Some("")).unwrap(), SourceDefaults::default());
    let err = SourceDefaults::from_text(None, Some("99999"), None, None).unwrap_err();
    assert_eq!(err, "source-port: the value is not a port: use a number from 1 to 65535");
    let err = SourceDefaults::from_text(None, None, Some("ssl3"), None).unwrap_err();
    assert!(err.starts_with("source-security: the value is not one of: tls, starttls, plain"), "{err}");
}
