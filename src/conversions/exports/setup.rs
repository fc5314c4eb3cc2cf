//! Setting an export up: its settings checked (the rule against the CRM's fields, the
//! destination against the outbound policy) and sealed, for a new export or in place of
//! an existing one's.

use chrono::Duration;
use listbridge_connector::{FieldType, SourceKind};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ConversionExports, Export, view};
use crate::{
    conversions::{
        ConversionError, ConversionRule,
        destination::{self, DestinationInput},
    },
    store::{AccountId, ConnectorId, ConversionExportId, StoredExport},
};

/// The longest export name.
const MAX_NAME: usize = 100;
/// The longest time between scheduled runs: a week.
const MAX_EVERY_MINUTES: u32 = 7 * 24 * 60;

/// A new export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportInput {
    /// The name people know the export by (unique in the account).
    #[schema(example = "Won deals to call tracking", pattern = r"\S")]
    pub name: String,
    /// The connector whose CRM is read.
    pub connector_id: ConnectorId,
    /// What is read: `lead`, `contact` or `opportunity`.
    #[schema(example = "opportunity")]
    pub source: String,
    /// Which records are conversions and how each becomes a row.
    pub rule: ConversionRule,
    /// Where rows go.
    pub destination: DestinationInput,
    /// The CRM field of the source the platform's marketing source is written to.
    #[serde(default)]
    pub enrich_field: Option<String>,
    /// Runs every this many minutes (60 hourly, 1440 daily, 10080 weekly); only when
    /// asked (*Run Now*) when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10080)]
    pub every_minutes: Option<u32>,
    /// Real time: also runs after every list sync that read the connector's CRM.
    #[serde(default)]
    pub with_list_syncs: bool,
}

impl ConversionExports<'_> {
    /// Checks and saves a new export.
    pub async fn create(
        &self,
        account: AccountId,
        input: ExportInput,
    ) -> Result<Export, ConversionError> {
        let id = ConversionExportId(self.state.random.uuid());
        let stored = self.settle(account, id, input).await?;
        self.state
            .store
            .conversion_exports()
            .insert(&stored)
            .await?;
        view(stored)
    }

    /// Replaces an export's settings, its secret included (write-only, so given again),
    /// keeping what it has read and sent: its read position, runs and ledger, so no row is
    /// sent twice (the platform's idempotency keys are per export). The connector and the
    /// source are what the read position and ledger are of: another needs a new export.
    /// A run under way finishes with the settings it started with.
    pub async fn replace(
        &self,
        account: AccountId,
        id: ConversionExportId,
        input: ExportInput,
    ) -> Result<Export, ConversionError> {
        let current = self.stored(account, id).await?;
        let invalid = |field, message: String| ConversionError::Invalid { field, message };
        if input.connector_id != current.connector_id {
            return Err(invalid(
                "connector_id",
                format!(
                    "export '{}' reads connector {}; create a new export to read another CRM",
                    current.name, current.connector_id
                ),
            ));
        }
        let source: SourceKind = input
            .source
            .parse()
            .map_err(|message| invalid("source", message))?;
        if Ok(source) != current.source.parse::<SourceKind>() {
            return Err(invalid(
                "source",
                format!(
                    "export '{}' reads {} records; create a new export to read another source",
                    current.name, current.source
                ),
            ));
        }
        let mut stored = self.settle(account, id, input).await?;
        stored.watermark = current.watermark;
        stored.created_at = current.created_at;
        // The same period keeps the next slot as the scheduler keeps it (it may claim
        // one meanwhile); a new period starts from now.
        let reschedule = stored.every_minutes != current.every_minutes;
        if !self
            .state
            .store
            .conversion_exports()
            .update_settings(&stored, reschedule)
            .await?
        {
            return Err(ConversionError::NotFound(id));
        }
        self.stored(account, id).await.and_then(view)
    }

    /// The settings of `input` checked (the rule against the CRM's fields, the
    /// destination against the outbound policy) and its secret sealed for export `id`:
    /// a new export's row, never read from.
    async fn settle(
        &self,
        account: AccountId,
        id: ConversionExportId,
        input: ExportInput,
    ) -> Result<StoredExport, ConversionError> {
        let invalid = |field, message: String| ConversionError::Invalid { field, message };
        let name = input.name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(invalid(
                "name",
                format!("must be 1 to {MAX_NAME} characters"),
            ));
        }
        let source: SourceKind = input
            .source
            .parse()
            .map_err(|message| invalid("source", message))?;
        if let Some(minutes) = input.every_minutes
            && !(1..=MAX_EVERY_MINUTES).contains(&minutes)
        {
            return Err(invalid(
                "every_minutes",
                format!("must be between 1 and {MAX_EVERY_MINUTES}, not {minutes}"),
            ));
        }
        let (destination, token) =
            destination::check(&self.state.outbound, input.destination).await?;
        let connector = self
            .state
            .connectors()
            .open(account, input.connector_id)
            .await?;
        let defs = connector
            .describe_source(source)
            .await
            .map_err(crate::connectors::ConnectError::from)?;
        input.rule.validate(&defs)?;
        let enrich_field = match input.enrich_field.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(field) => {
                let def = defs
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(field))
                    .ok_or_else(|| {
                        invalid(
                            "enrich_field",
                            format!("the CRM's {} have no field '{field}'", source.plural()),
                        )
                    })?;
                if def.read_only || def.field_type != FieldType::Text {
                    return Err(invalid(
                        "enrich_field",
                        format!("'{}' is not a text field the CRM lets us write", def.name),
                    ));
                }
                Some(def.name.clone())
            }
        };
        if !destination.sends() && enrich_field.is_some() {
            return Err(invalid(
                "enrich_field",
                "a download export gets no marketing sources to write back".into(),
            ));
        }
        let now = self.state.clock.now();
        let destination_secret = token
            .map(|t| self.state.cipher.encrypt(&t, &id.as_db()))
            .transpose()?;
        let stored = StoredExport {
            id,
            account_id: account,
            connector_id: input.connector_id,
            name,
            source: source.as_str().to_string(),
            rule: serde_json::to_string(&input.rule).unwrap_or_default(),
            destination_kind: destination.kind().to_string(),
            destination_settings: serde_json::to_string(&destination).unwrap_or_default(),
            destination_secret,
            enrich_field,
            every_minutes: input.every_minutes.map(|m| m as i32),
            with_list_syncs: input.with_list_syncs,
            watermark: None,
            next_run_at: input
                .every_minutes
                .map(|m| now + Duration::minutes(i64::from(m))),
            created_at: now,
            updated_at: now,
        };
        Ok(stored)
    }
}
