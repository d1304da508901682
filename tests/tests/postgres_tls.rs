//! Connecting to PostgreSQL for an import: TLS with certificate checks whenever asked for (and always for a host
//! that is not loopback): with the cluster's CA the connection works; without it the certificate is refused.

use mailferry::import::postgres::connect;
use mailferry_tests::postgres::Postgres;

#[tokio::test]
async fn tls_verified_against_the_ca() {
    let pg = Postgres::start_with(true);
    let url = format!("postgres://mailferry@localhost:{}/mail?sslmode=require", pg.port);
    let client = connect(&url, None, Some(&pg.ca_pem())).await.expect("TLS with the CA");
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.unwrap();
    assert!(row.get::<_, bool>(0), "the session is encrypted");
    let Err(err) = connect(&url, None, None).await else { panic!("an unknown CA must be refused") };
    let err = err.to_string();
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}
