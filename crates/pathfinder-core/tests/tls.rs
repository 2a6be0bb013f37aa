//! TLS to PostgreSQL: `sslmode=require` with `sslrootcert` connects over TLS and verifies the server (its chain and
//! its host name); a certificate the roots do not vouch for, or a host name it does not carry, is refused.
//!
//! Runs against the test server when it serves TLS with Debian's self-signed "snakeoil" certificate (CN localhost),
//! as the PostgreSQL package sets it up; a server without TLS (a private cluster) skips it, saying so.

use pathfinder_core::db;

const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// The test server (as `make test` names it), plain.
fn admin_url() -> String {
    std::env::var("PF_ADMIN_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// The test server's URL with `host` and a query, when that server serves TLS with the snakeoil certificate.
async fn tls_url(host: &str, query: &str) -> Option<String> {
    let plain = admin_url();
    let client = db::connect(&plain, "tls-test").await.expect("plain connection");
    let ssl: String = client.query_one("SHOW ssl", &[]).await.expect("show ssl").get(0);
    let cert: String = client.query_one("SHOW ssl_cert_file", &[]).await.expect("cert").get(0);
    if ssl != "on" || cert != SNAKEOIL || !std::path::Path::new(SNAKEOIL).exists() {
        eprintln!("skipped: the test server does not serve TLS with {SNAKEOIL} (ssl = {ssl}, cert = {cert})");
        return None;
    }
    let config: tokio_postgres::Config = plain.parse().expect("url");
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    Some(format!("postgres://{user}@{host}:{port}/postgres?{query}"))
}

#[tokio::test]
async fn require_with_sslrootcert_connects_over_verified_tls() {
    let Some(url) = tls_url("localhost", &format!("sslmode=require&sslrootcert={SNAKEOIL}")).await else { return };
    let client = db::connect(&url, "tls-test").await.expect("TLS connection");
    let encrypted: bool = client
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .expect("pg_stat_ssl")
        .get(0);
    assert!(encrypted, "the session is encrypted");

    let settings = pathfinder_core::Settings::load_from(vec![("DATABASE_URL".to_string(), url)]).expect("settings");
    let pool = db::create_pool(&settings, "tls-test").expect("pool");
    let pooled = pool.get().await.expect("a pooled TLS connection");
    let encrypted: bool = pooled
        .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
        .expect("pg_stat_ssl")
        .get(0);
    assert!(encrypted, "pooled connections are encrypted too");
}

#[tokio::test]
async fn an_unverifiable_server_is_refused() {
    // The right root, the wrong host name: the certificate says localhost.
    let Some(wrong_name) = tls_url("127.0.0.1", &format!("sslmode=verify-full&sslrootcert={SNAKEOIL}")).await else {
        return;
    };
    let error = db::connect(&wrong_name, "tls-test").await.expect_err("a host name mismatch is refused");
    assert!(format!("{error:#}").to_lowercase().contains("certificate"), "{error:#}");
    // The right name, a root that does not vouch for the server (Let's Encrypt's, not the self-signed one).
    let other_root = "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt";
    if !std::path::Path::new(other_root).exists() {
        eprintln!("skipped the unknown-issuer case: {other_root} is missing (Debian package ca-certificates)");
        return;
    }
    let Some(no_root) = tls_url("localhost", &format!("sslmode=require&sslrootcert={other_root}")).await else {
        return;
    };
    let error = db::connect(&no_root, "tls-test").await.expect_err("an unknown issuer is refused");
    assert!(format!("{error:#}").to_lowercase().contains("certificate"), "{error:#}");
}
