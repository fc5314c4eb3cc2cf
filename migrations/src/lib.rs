//! listbridge's database migrations: one set that runs on SQLite and PostgreSQL.
//!
//! Add a migration by adding a module `mYYYYMMDD_NNNNNN_what.rs` and appending it
//! to [`Migrator::migrations`]; never edit one that has shipped.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_lists_runs_jobs;
mod m20261123_000003_forms_notes;
mod m20261123_000004_sync_scans;
mod m20261124_000001_connector_rate_limits;
mod m20261201_000005_push_scope;
mod m20261203_000006_users_sessions;
mod m20261203_000007_upload_rejections;
mod m20261203_000008_people_keys;
mod m20261203_000009_form_pages;
mod m20261203_000010_phone_numbers;
mod m20261203_000011_lookup_routing;
mod m20261203_000012_interactions;
mod m20261203_000013_alerts;
mod m20261204_000014_alert_subjects;
mod m20261204_000015_form_rejections;
mod m20261204_000016_column_usage;
mod m20261204_000017_run_record_keys;
mod m20261205_000018_conversion_exports;
mod m20261205_000019_several_connectors;
mod m20261205_000020_list_moves;
mod m20261205_000021_list_followed;
mod m20261205_000022_list_links_other_entity;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_lists_runs_jobs::Migration),
            Box::new(m20261123_000003_forms_notes::Migration),
            Box::new(m20261123_000004_sync_scans::Migration),
            Box::new(m20261124_000001_connector_rate_limits::Migration),
            Box::new(m20261201_000005_push_scope::Migration),
            Box::new(m20261203_000006_users_sessions::Migration),
            Box::new(m20261203_000007_upload_rejections::Migration),
            Box::new(m20261203_000008_people_keys::Migration),
            Box::new(m20261203_000009_form_pages::Migration),
            Box::new(m20261203_000010_phone_numbers::Migration),
            Box::new(m20261203_000011_lookup_routing::Migration),
            Box::new(m20261203_000012_interactions::Migration),
            Box::new(m20261203_000013_alerts::Migration),
            Box::new(m20261204_000014_alert_subjects::Migration),
            Box::new(m20261204_000015_form_rejections::Migration),
            Box::new(m20261204_000016_column_usage::Migration),
            Box::new(m20261204_000017_run_record_keys::Migration),
            Box::new(m20261205_000018_conversion_exports::Migration),
            Box::new(m20261205_000019_several_connectors::Migration),
            Box::new(m20261205_000020_list_moves::Migration),
            Box::new(m20261205_000021_list_followed::Migration),
            Box::new(m20261205_000022_list_links_other_entity::Migration),
        ]
    }
}
