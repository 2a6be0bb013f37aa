//! `pathfinder migrate` run as a user would: twice in a row, and twice at once, against a fresh database; inside a
//! checkout whose `.env` names the database, with nothing in the environment.

use std::process::{Command, Output};

use pathfinder_core::migrations;
use pathfinder_core::testing::TestDatabase;

fn migrate(database_url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .arg("migrate")
        .env("DATABASE_URL", database_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start pathfinder")
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "pathfinder migrate failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn assert_one_schema(db: &TestDatabase) {
    let client = db.connect().await;
    // Versions may have gaps (a number reserved for a migration on another branch), so: no version twice, and the
    // newest is this build's.
    let history = client
        .query_one(
            "SELECT count(*) AS rows, count(DISTINCT version) AS versions, max(version) AS newest
             FROM refinery_schema_history",
            &[],
        )
        .await
        .expect("history");
    let (rows, versions, newest): (i64, i64, Option<i32>) =
        (history.get("rows"), history.get("versions"), history.get("newest"));
    assert_eq!(rows, versions, "each migration recorded once");
    assert_eq!(newest, Some(migrations::latest_version()), "every migration applied");
    let registry: i64 = client.query_one("SELECT count(*) FROM field_registry", &[]).await.expect("registry").get(0);
    assert_eq!(registry, 3, "seed rows inserted once");
    migrations::ensure_current(&client).await.expect("schema current");
}

#[tokio::test]
async fn migrate_twice_in_a_row_succeeds() {
    let db = TestDatabase::empty().await;
    let first = migrate(&db.url).wait_with_output().expect("first run");
    assert_ok(&first);
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied V1__initial_schema"));
    let second = migrate(&db.url).wait_with_output().expect("second run");
    assert_ok(&second);
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
    assert_one_schema(&db).await;
}

#[tokio::test]
async fn migrate_twice_at_once_succeeds() {
    let db = TestDatabase::empty().await;
    let a = migrate(&db.url);
    let b = migrate(&db.url);
    assert_ok(&a.wait_with_output().expect("run a"));
    assert_ok(&b.wait_with_output().expect("run b"));
    assert_one_schema(&db).await;
}

#[test]
fn missing_database_url_is_one_line_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env_remove("PATHFINDER_CONFIG")
        // The checkout's own .env (make run/db) would give DATABASE_URL.
        .env("PATHFINDER_ENV_FILE", "none")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("configuration error: DATABASE_URL"), "{stderr}");
}

#[tokio::test]
async fn a_dotenv_in_a_parent_folder_names_the_database_when_the_environment_does_not() {
    let db = TestDatabase::empty().await;
    let checkout = std::env::temp_dir().join(format!("pf-checkout-{}", db.name));
    let deeper = checkout.join("crates/somewhere");
    std::fs::create_dir_all(&deeper).expect("folders");
    std::fs::write(checkout.join(".env"), format!("# Written by scripts/db.sh\nDATABASE_URL={}\n", db.url))
        .expect(".env");
    let output = Command::new(env!("CARGO_BIN_EXE_pathfinder"))
        .arg("migrate")
        .current_dir(&deeper)
        .env_remove("DATABASE_URL")
        .env_remove("PATHFINDER_CONFIG")
        .env_remove("PATHFINDER_ENV_FILE")
        .output()
        .expect("run");
    let _ = std::fs::remove_dir_all(&checkout);
    assert_ok(&output);
    assert_one_schema(&db).await;
}
