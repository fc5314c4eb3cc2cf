//! A list's (or segment's) sync setup: what flows in which direction, and how conflicts
//! are settled. Defaults follow the product: push updates no fields until chosen; pull
//! updates every field until some are removed.

use serde::{Deserialize, Serialize};

use super::fields::ConflictRule;
use crate::store::ConnectorId;

/// Push options: list → CRM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PushOptions {
    /// Push at all.
    pub enabled: bool,
    /// Create members without a CRM record as CRM leads.
    pub add_new: bool,
    /// Update the matched lead or contact's push-update fields.
    pub update_existing: bool,
    /// The push-update fields (CRM field names); none by default.
    pub fields: Vec<String>,
}

/// Pull options: CRM → list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PullOptions {
    /// Pull at all.
    pub enabled: bool,
    /// Add CRM records new since the last sync as members.
    pub add_new: bool,
    /// Refresh existing members' pull-update fields.
    pub update_existing: bool,
    /// The pull-update fields; absent means every column of the list.
    pub fields: Option<Vec<String>>,
}

/// The whole setup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SyncSetup {
    /// List → CRM.
    pub push: PushOptions,
    /// CRM → list.
    pub pull: PullOptions,
    /// How fields changed on both sides are settled.
    pub conflict_rule: ConflictRule,
    /// The CRM connection an uploaded list pushes to; needed once the account has
    /// several (a list imported from a CRM always syncs with its own). Kept with the
    /// list, not in the stored setup: a list pushes to one CRM, whichever of its
    /// segments syncs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<ConnectorId>,
}

impl SyncSetup {
    /// Whether `field` is a push-update field.
    pub fn pushes_field(&self, field: &str) -> bool {
        self.push.enabled
            && self.push.update_existing
            && self
                .push
                .fields
                .iter()
                .any(|f| f.eq_ignore_ascii_case(field))
    }

    /// Whether `field` is a pull-update field.
    pub fn pulls_field(&self, field: &str) -> bool {
        self.pull.enabled
            && self.pull.update_existing
            && self
                .pull
                .fields
                .as_ref()
                .is_none_or(|fs| fs.iter().any(|f| f.eq_ignore_ascii_case(field)))
    }
}
