//! Reading query results by column name. A column that is missing or holds another type than the code reads (the
//! schema drifted from the build: a migration not applied, a column renamed) is a [`SchemaDrift`] error with the
//! stable code `schema-drift`, never a panic and never a value read from the wrong column. Positional
//! `row.get(n)` is not used in this workspace.

use tokio_postgres::Row;
use tokio_postgres::types::FromSql;

/// A column could not be read as the code expects.
#[derive(Debug, thiserror::Error)]
#[error(
    "schema-drift: column `{column}` cannot be read ({source}); is the schema behind this build (`pathfinder migrate`)?"
)]
pub struct SchemaDrift {
    pub column: String,
    #[source]
    pub source: tokio_postgres::Error,
}

impl SchemaDrift {
    /// The stable code of this error, in logs and in answers.
    pub const CODE: &'static str = "schema-drift";
}

/// A query that failed, or whose result did not have the columns the code reads.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Drift(#[from] SchemaDrift),
}

impl QueryError {
    /// `database-unavailable` (try again later), `database-error` (the database refused the statement) or
    /// `schema-drift`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Database(error) if super::is_unavailable(error) => "database-unavailable",
            Self::Database(_) => "database-error",
            Self::Drift(_) => SchemaDrift::CODE,
        }
    }
}

/// [`Row::try_get`] by name, its error naming the column.
pub trait RowExt {
    fn column<'a, T: FromSql<'a>>(&'a self, name: &str) -> Result<T, SchemaDrift>;
}

impl RowExt for Row {
    fn column<'a, T: FromSql<'a>>(&'a self, name: &str) -> Result<T, SchemaDrift> {
        self.try_get(name).map_err(|source| SchemaDrift { column: name.to_string(), source })
    }
}
