//! listbridge's database migrations: one set that runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![]
    }
}
