//! The PostgreSQL fixture: a throw-away cluster with the directory tables, independent per test.

use mailferry_tests::postgres::Postgres;

#[test]
fn cluster_with_directory_tables() {
    let (a, b) = (Postgres::start(), Postgres::start());
    assert_ne!(a.port, b.port);
    a.psql("mail", "INSERT INTO domain (domain, mailboxes) VALUES ('example.test', 10)");
    assert_eq!(a.psql("mail", "SELECT domain, mailboxes FROM domain").trim(), "example.test|10");
    assert_eq!(b.psql("mail", "SELECT count(*) FROM domain").trim(), "0", "clusters are independent");
    let tables = a.psql(
        "mail",
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'",
    );
    assert_eq!(tables.trim(), "alias,domain,mailbox");
}
