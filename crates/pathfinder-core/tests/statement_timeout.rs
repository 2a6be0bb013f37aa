//! Every pooled connection starts with the PostgreSQL `statement_timeout` of its workload (settings
//! `database.statement_timeout_ms` for ingest-api's requests, `database.background_statement_timeout_ms` for the
//! workers and the CLI), keeping `options` the URL gives; a statement that runs longer is cancelled (SQLSTATE 57014).
//! Writes nothing, so it runs on the test server's own database.

use pathfinder_core::Settings;
use pathfinder_core::db::{self, Workload};
use tokio_postgres::error::SqlState;

fn admin_url() -> String {
    std::env::var("PF_ADMIN_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn settings(url: String) -> Settings {
    Settings::load_from(vec![
        ("DATABASE_URL".to_string(), url),
        ("PATHFINDER_DATABASE__STATEMENT_TIMEOUT_MS".to_string(), "150".to_string()),
        ("PATHFINDER_DATABASE__BACKGROUND_STATEMENT_TIMEOUT_MS".to_string(), "0".to_string()),
    ])
    .expect("settings")
}

async fn show(pool: &db::DbPool, setting: &str) -> String {
    let client = pool.get().await.expect("connection");
    client.query_one(&format!("SHOW {setting}"), &[]).await.expect("show").try_get(setting).expect("text")
}

#[tokio::test]
async fn request_connections_cancel_a_statement_past_the_timeout() {
    let settings = settings(admin_url());
    let pool = db::create_pool_for(&settings, "statement-timeout-test", Workload::Requests).expect("pool");
    assert_eq!(show(&pool, "statement_timeout").await, "150ms");
    let client = pool.get().await.expect("connection");
    let error = client.query_one("SELECT pg_sleep(30)", &[]).await.expect_err("cancelled");
    assert_eq!(error.code(), Some(&SqlState::QUERY_CANCELED), "{error}");
}

#[tokio::test]
async fn background_connections_get_their_own_timeout_and_the_url_options_are_kept() {
    let url = admin_url();
    let separator = if url.contains('?') { '&' } else { '?' };
    let settings = settings(format!("{url}{separator}options=-c%20lock_timeout%3D1234"));
    let background = db::create_pool(&settings, "statement-timeout-test").expect("pool");
    assert_eq!(show(&background, "statement_timeout").await, "0", "0 turns it off");
    assert_eq!(show(&background, "lock_timeout").await, "1234ms", "the URL's options are kept");
    let requests = db::create_pool_for(&settings, "statement-timeout-test", Workload::Requests).expect("pool");
    assert_eq!(show(&requests, "statement_timeout").await, "150ms");
}
