//! A fresh PostgreSQL database per test, cloned from a migrated template.

use std::time::Duration;

use crate::{db, migrations};

/// The maintenance-database URL of the server tests run against.
pub fn admin_url() -> String {
    if let Ok(url) = std::env::var("PF_ADMIN_DATABASE_URL") {
        return url;
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return with_database(&url, "postgres");
    }
    "postgres://postgres@127.0.0.1:5432/postgres".to_string()
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A database that exists for one test and is dropped with it.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    /// A new database with the current schema (cloned from the template for this build's migrations).
    pub async fn migrated() -> Self {
        let admin_url = admin_url();
        let template = ensure_template(&admin_url).await;
        Self::create(admin_url, Some(&template)).await
    }

    /// A new, empty database (for tests of migrating itself).
    pub async fn empty() -> Self {
        Self::create(admin_url(), None).await
    }

    /// A database on another server (e.g. a [`super::PrivateCluster`]), migrated.
    pub async fn migrated_on(admin_url: &str) -> Self {
        let database = Self::create(admin_url.to_string(), None).await;
        let mut client = db::connect(&database.url, "pathfinder-test").await.expect("connect to test database");
        migrations::run(&mut client).await.expect("migrate test database");
        database
    }

    async fn create(admin_url: String, template: Option<&str>) -> Self {
        let name = format!("pf_test_{}", uuid::Uuid::new_v4().simple());
        let admin = db::connect(&admin_url, "pathfinder-test").await.expect("connect to the test server");
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name}"),
        };
        // A template still being closed by another process makes CREATE DATABASE fail briefly: retry.
        let mut attempt = 0;
        loop {
            match admin.batch_execute(&sql).await {
                Ok(()) => break,
                Err(error) if attempt < 50 => {
                    attempt += 1;
                    tracing::debug!(error = %error, "create test database; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot create test database: {error}"),
            }
        }
        let url = with_database(&admin_url, &name);
        Self { name, url, admin_url }
    }

    /// A direct connection to this database.
    pub async fn connect(&self) -> tokio_postgres::Client {
        db::connect(&self.url, "pathfinder-test").await.expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async work on a runtime of its own thread.
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = db::connect(&admin_url, "pathfinder-test").await {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// Creates (once per server and migration set) the migrated template database; returns its name.
async fn ensure_template(admin_url: &str) -> String {
    let name = format!("pf_template_{}", migrations::fingerprint());
    let admin = db::connect(admin_url, "pathfinder-test").await.expect("connect to the test server");
    admin.execute("SELECT pg_advisory_lock(7070)", &[]).await.expect("template lock");
    let exists: bool = admin
        .query_one("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists", &[&name])
        .await
        .expect("look up template")
        .try_get("exists")
        .expect("a boolean");
    if !exists {
        let building = format!("{name}_building");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)")).await.expect("drop");
        admin.batch_execute(&format!("CREATE DATABASE {building}")).await.expect("create template");
        {
            let mut client = db::connect(&with_database(admin_url, &building), "pathfinder-test")
                .await
                .expect("connect to template");
            migrations::run(&mut client).await.expect("migrate template");
        }
        // The migrating connection must be gone before the rename; FORCE-free rename waits for it.
        let mut attempt = 0;
        while let Err(error) = admin.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}")).await {
            attempt += 1;
            assert!(attempt < 100, "cannot finish the template: {error}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    admin.execute("SELECT pg_advisory_unlock(7070)", &[]).await.expect("template unlock");
    name
}
