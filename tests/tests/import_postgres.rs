//! Import into PostgreSQL with the PostfixAdmin schema, read by a running Dovecot (dovecot-pgsql): new mailboxes
//! log in with plain-given and hash-given passwords, their quota is in force, the alias resolves in `alias`; a
//! file with one bad row leaves every table unchanged; the same file again changes nothing.

use mailferry::csv::{Options, Plan, validate};
use mailferry::imap::{self, Login};
use mailferry::import::postgres::PostgresDirectory;
use mailferry::import::reconcile::{Action, Mode};
use mailferry::import::{ImportReport, import};
use mailferry::model::Secret;
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::dovecot::{Dovecot, Options as DovecotOptions};
use mailferry_tests::postgres::Postgres;

async fn directory(pg: &Postgres) -> PostgresDirectory {
    let (client, connection) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    PostgresDirectory::new(client)
}

async fn run(file: &str, pg: &Postgres) -> ImportReport {
    let options = Options { known_domains: ["new.test".to_string()].into(), ..Default::default() };
    let v = validate(file.as_bytes(), &options).unwrap();
    let Some(Plan::Import(plan)) = v.plan else { panic!("invalid file: {:?}", v.problems) };
    import(&plan, &directory(pg).await, Mode::CreateOnly, false).await.unwrap()
}

fn snapshot(pg: &Postgres) -> String {
    pg.psql("mail", "SELECT (SELECT string_agg(domain || mailboxes, ',' ORDER BY domain) FROM domain) || '|' || (SELECT string_agg(username || password || quota, ',' ORDER BY username) FROM mailbox) || '|' || (SELECT string_agg(address || goto, ',' ORDER BY address) FROM alias)")
}

#[tokio::test]
async fn postgres_import_logs_in_with_quota_and_aliases() {
    let pg = Postgres::start();
    let connect = format!("sql:host=127.0.0.1 port={} dbname=mail user=mailferry", pg.port);
    let d = Dovecot::start_with(DovecotOptions { users_from: Some(connect), ..Default::default() });
    let given = d.doveadm(&["pw", "-s", "SHA512-CRYPT", "-p", "given pass"]);
    let file = format!(
        "type,domain,address,password,quota_mb,display_name,targets,max_mailboxes,max_aliases
domain,new.test,,,,,,10,
mailbox,,ann@new.test,plain pass A,1,Ann Example,,,
mailbox,,bob@new.test,{},0,Bob,,,
alias,,info@new.test,,,,ann@new.test|bob@new.test,,
",
        given.trim()
    );
    let first = run(&file, &pg).await;
    assert!(first.applied && first.problems.is_empty(), "{:?}", first.problems);
    assert_eq!(
        pg.psql("mail", "SELECT goto FROM alias WHERE address = 'info@new.test'").trim(),
        "ann@new.test,bob@new.test"
    );
    assert_eq!(
        pg.psql("mail", "SELECT quota, maildir FROM mailbox WHERE username = 'ann@new.test'").trim(),
        "1048576|new.test/ann/"
    );
    assert!(
        pg.psql("mail", "SELECT password FROM mailbox WHERE username = 'ann@new.test'")
            .starts_with("{ARGON2ID}$argon2id$")
    );

    let login = |user: &str, pw: &str| Login::Password { user: user.into(), password: Secret::new(pw.into()) };
    let mut ann =
        imap::open(&plain_endpoint(d.port), &login("ann@new.test", "plain pass A")).await.expect("ann logs in");
    mailferry_tests::pipeline::assert_quota_enforced(&mut ann).await;
    ann.logout().await;
    imap::open(&plain_endpoint(d.port), &login("bob@new.test", "given pass"))
        .await
        .expect("bob logs in")
        .logout()
        .await;

    let before = snapshot(&pg);
    let again = run(&file, &pg).await;
    assert!(!again.applied && again.rows.iter().all(|r| r.action == Action::Unchanged), "{:?}", again.rows);
    let bad = "type,address,password,quota_mb,targets\nmailbox,carl@new.test,carl pass 3,5,\nalias,sales@new.test,,,sales2@new.test\nalias,sales2@new.test,,,sales@new.test\n";
    let r = run(bad, &pg).await;
    assert!(!r.applied);
    assert_eq!(r.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [3, 4], "{:?}", r.problems);
    assert!(r.problems[0].message.starts_with("alias loop: sales@new.test → sales2@new.test → sales@new.test"));
    assert_eq!(snapshot(&pg), before, "tables unchanged");
}
