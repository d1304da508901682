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
