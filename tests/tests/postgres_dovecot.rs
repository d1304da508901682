//! Dovecot reading its users from PostgreSQL (dovecot-pgsql, PostfixAdmin tables): a mailbox row with a
//! SHA512-CRYPT hash logs in over IMAP, its `quota` column is in force, an inactive one is refused.

use mailferry::imap::{self, Login, OutMessage};
use mailferry::model::Secret;
use mailferry_tests::corpus::plain_endpoint;
use mailferry_tests::dovecot::{Dovecot, Options};
use mailferry_tests::postgres::Postgres;

#[tokio::test]
async fn users_and_quota_from_postgres() {
    let pg = Postgres::start();
    let connect = format!("sql:host=127.0.0.1 port={} dbname=mail user=mailferry", pg.port);
    let d = Dovecot::start_with(Options { users_from: Some(connect), ..Default::default() });
    let hash = d.doveadm(&["pw", "-s", "SHA512-CRYPT", "-p", "s3cret pass"]);
    pg.psql("mail", "INSERT INTO domain (domain) VALUES ('new.test')");
    pg.psql(
        "mail",
        &format!(
            "INSERT INTO mailbox (username, password, maildir, quota, local_part, domain) VALUES
             ('ann@new.test', '{}', 'new.test/ann/', 50000, 'ann', 'new.test'),
             ('old@new.test', '{}', 'new.test/old/', 0, 'old', 'new.test')",
            hash.trim(),
            hash.trim()
        ),
    );
    pg.psql("mail", "UPDATE mailbox SET active = false WHERE username = 'old@new.test'");
    let login = |user: &str| Login::Password { user: user.into(), password: Secret::new("s3cret pass".into()) };
    let mut s = imap::open(&plain_endpoint(d.port), &login("ann@new.test")).await.expect("ann logs in");
    let small = OutMessage { flags: vec![], internal_date: None, body: b"Subject: hi\r\n\r\nsmall\r\n".to_vec() };
    let big = OutMessage { flags: vec![], internal_date: None, body: vec![b'x'; 80_000] };
    let outcomes = s.append_all("INBOX", &[small, big]).await.unwrap();
    assert!(matches!(outcomes[0], imap::Appended::Stored { .. }));
    assert!(
        matches!(&outcomes[1], imap::Appended::Refused { text } if text.to_lowercase().contains("quota")),
        "{outcomes:?}"
    );
    s.logout().await;
    assert!(imap::open(&plain_endpoint(d.port), &login("old@new.test")).await.is_err(), "inactive mailbox");
}
