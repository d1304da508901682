//! Import into a Dovecot passwd-file read by a running Dovecot: the new mailboxes log in with their passwords
//! (plain-given, hashed on import, and hash-given), their quota is in force, aliases land in the alias map; a file
//! with one bad row changes nothing; the same file again changes nothing; a differing row is a conflict.

use mailferry::csv::{Options, Plan, validate};
use mailferry::imap::{self, Login};
use mailferry::import::passwd_file::PasswdFileDirectory;
use mailferry::import::reconcile::{Action, Mode};
use mailferry::import::{ImportReport, import};
use mailferry::model::Secret;
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::dovecot::Dovecot;
use std::path::Path;

async fn run(file: &str, path: &Path, mode: Mode) -> ImportReport {
    // The domain already exists on the destination once the first file is in (what `--existing-domain` says).
    let options = Options { known_domains: ["new.test".to_string()].into(), ..Default::default() };
    let v = validate(file.as_bytes(), &options).unwrap();
    let Some(Plan::Import(plan)) = v.plan else { panic!("invalid file: {:?}", v.problems) };
    import(&plan, &PasswdFileDirectory::new(path), mode, false).await.unwrap()
}

async fn login(d: &Dovecot, user: &str, password: &str) -> Result<imap::Session, imap::ImapError> {
    imap::open(&plain_endpoint(d.port), &Login::Password { user: user.into(), password: Secret::new(password.into()) })
        .await
}

#[tokio::test]
async fn passwd_file_import_logs_in_with_quota() {
    let dir = tempfile::tempdir().unwrap();
    let (d, path) = mailferry_tests::pipeline::passwd_file_dovecot(dir.path());
    let given = d.doveadm(&["pw", "-s", "SHA512-CRYPT", "-p", "given pass"]);
    let (scheme, hash) = given.trim().trim_start_matches('{').split_once('}').unwrap();
    let file = format!(
        "type,domain,address,password,quota_mb,display_name,targets,max_mailboxes,max_aliases
domain,new.test,,,,,,10,
mailbox,,ann@new.test,plain pass A,1,Ann Example,,,
mailbox,,bob@new.test,{{{scheme}}}{hash},0,Bob,,,
alias,,info@new.test,,,,ann@new.test|bob@new.test,,
"
    );
    let first = run(&file, &path, Mode::CreateOnly).await;
    assert!(first.applied && first.problems.is_empty(), "{:?}", first.problems);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("plain pass A"), "a clear password in the passwd-file");
    assert!(text.contains("ann@new.test:{ARGON2ID}$argon2id$"));

    let mut ann = match login(&d, "ann@new.test", "plain pass A").await {
        Ok(s) => s,
        Err(e) => panic!("plain-given password must log in: {e}\n{}\n{}", text, d.log()),
    };
    mailferry_tests::pipeline::assert_quota_enforced(&mut ann).await;
    ann.logout().await;
    login(&d, "bob@new.test", "given pass").await.expect("hash-given password logs in").logout().await;
    let aliases = std::fs::read_to_string(dir.path().join("users.aliases")).unwrap();
    assert_eq!(aliases.trim(), "info@new.test ann@new.test,bob@new.test");

    // The same file again: every row unchanged, nothing rewritten.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let again = run(&file, &path, Mode::CreateOnly).await;
    assert!(!again.applied && again.problems.is_empty());
    assert!(again.rows.iter().all(|r| r.action == Action::Unchanged), "{:?}", again.rows);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);

    // A new mailbox and one bad row (an alias on the address of a mailbox that exists on the destination):
    // nothing is created.
    let before = std::fs::read(&path).unwrap();
    let bad = "type,address,password,quota_mb,targets\nmailbox,carl@new.test,carl pass 3,5,\nalias,ann@new.test,,,carl@new.test\n";
    let r = run(bad, &path, Mode::CreateOnly).await;
    assert!(!r.applied);
    assert_eq!(
        r.problems.iter().map(|p| (p.line, p.message.as_str())).collect::<Vec<_>>(),
        [(3, "ann@new.test is a mailbox; an alias cannot have its address")]
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "the passwd-file is unchanged");
    assert!(login(&d, "carl@new.test", "carl pass 3").await.is_err());

    // A differing quota is a conflict, applied only in update mode (with a backup of the previous file).
    let more = file.replace("plain pass A,1,Ann", "plain pass A,2,Ann");
    let r = run(&more, &path, Mode::CreateOnly).await;
    assert!(!r.applied && r.problems[0].message.starts_with("conflict: mailbox ann@new.test"));
    let r = run(&more, &path, Mode::Update).await;
    assert!(r.applied, "{:?}", r.problems);
    assert!(std::fs::read_to_string(&path).unwrap().contains("userdb_quota_rule=*:storage=2M"));
    assert_eq!(std::fs::read(dir.path().join("users.bak")).unwrap(), before);
    login(&d, "ann@new.test", "plain pass A").await.expect("password kept on update").logout().await;
}

/// `{SSHA}` followed by passwd-file syntax: written as is, it would give the new account `nopassword=y` and make
/// it log in as someone else.
const SMUGGLED_HASH: &str = ":::::: nopassword=y user=ann@new.test x=";

#[tokio::test]
async fn a_hash_cannot_smuggle_passwd_file_fields() {
    use mailferry::model::{EmailAddress, MailboxSpec, PasswordSpec, ProvisionPlan};
    let dir = tempfile::tempdir().unwrap();
    let (d, path) = mailferry_tests::pipeline::passwd_file_dovecot(dir.path());
    let victim = "type,domain,address,password,quota_mb\ndomain,new.test,,,\nmailbox,,ann@new.test,ann secret 1,0\n";
    assert!(run(victim, &path, Mode::CreateOnly).await.applied);

    // Through the CSV: refused by line, and the message does not quote the "hash".
    let file = format!("type,address,password,quota_mb\nmailbox,evil@new.test,{{SSHA}}{SMUGGLED_HASH},0\n");
    let options = Options { known_domains: ["new.test".to_string()].into(), ..Default::default() };
    let v = validate(file.as_bytes(), &options).unwrap();
    assert!(v.plan.is_none());
    let problem = v.problems.iter().find(|p| p.line == 2).expect("line 2 refused");
    assert!(problem.message.contains("characters that scheme never uses"), "{}", problem.message);
    assert!(!problem.message.contains("nopassword"), "{}", problem.message);

    // Past the CSV (a bug upstream, another caller): the writer itself refuses, and nothing changes.
    let before = std::fs::read(&path).unwrap();
    let plan = ProvisionPlan {
        mailboxes: vec![MailboxSpec {
            line: 2,
            address: EmailAddress::parse("evil@new.test").unwrap(),
            password: PasswordSpec::Hashed { scheme: "SSHA".into(), hash: Secret::new(SMUGGLED_HASH.into()) },
            quota_mb: 0,
            display_name: "Evil\nmallory:x".into(),
        }],
        ..Default::default()
    };
    let err = import(&plan, &PasswdFileDirectory::new(&path), Mode::CreateOnly, false).await.expect_err("refused");
    assert!(err.to_string().contains("a password hash with ':'"), "{err}");
    assert!(!err.to_string().contains("nopassword"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the passwd-file is unchanged");
    assert!(login(&d, "evil@new.test", "anything").await.is_err(), "no account logs in without a password");
    login(&d, "ann@new.test", "ann secret 1").await.expect("the victim is untouched").logout().await;
}

#[tokio::test]
async fn directory_files_are_never_written_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::write(&elsewhere, "untouched\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    let file = "type,domain,address,password,quota_mb\ndomain,new.test,,,\nmailbox,,ann@new.test,ann secret 1,0\n";
    let options = Options::default();
    let v = validate(file.as_bytes(), &options).unwrap();
    let Some(Plan::Import(plan)) = v.plan else { panic!("{:?}", v.problems) };
    let err = import(&plan, &PasswdFileDirectory::new(&path), Mode::CreateOnly, false).await.expect_err("refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "untouched\n");
    // A fresh file is created 0600; an existing one keeps its mode (0640 here) and so does its backup.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let fresh = dir.path().join("fresh");
    import(&plan, &PasswdFileDirectory::new(&fresh), Mode::CreateOnly, false).await.unwrap();
    assert_eq!(mode(&fresh), 0o600);
    let kept = dir.path().join("kept");
    std::fs::write(&kept, "").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    import(&plan, &PasswdFileDirectory::new(&kept), Mode::CreateOnly, false).await.unwrap();
    assert_eq!((mode(&kept), mode(&dir.path().join("kept.bak"))), (0o640, 0o640));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
