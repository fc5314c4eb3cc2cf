//! Answering a phone system: who is calling (from the phone index, or typed digits
//! matched against the lookup key's `dtmf_field`), and the value of one field of that
//! record, or the destination a routing rule set gives it.
//!
//! The record is found without calling the CRM. Its field values come from the
//! members holding it (any list of the account); a field no list holds is read live
//! for that one record (`get_by_keys`, never a search for the number) under a tight
//! timeout, and kept briefly in a small cache.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use listbridge_connector::{EntityKind, Vocabulary};
use serde::Serialize;

use super::{
    CallerError,
    keys::LookupKeyAuth,
    phones::to_e164,
    routing::{Destination, RoutingRules},
};
use crate::{
    app::AppState,
    domain::field_usage::{FieldUsage, SystemUsage},
    store::{
        AccountId, ConnectorId, FieldUsageRepo, ListColumn, ListId, ListRepo, MemberId, MemberRepo,
        PhoneIndexRepo, PhoneMatch, RuleSetId,
    },
};

/// How long a live CRM read for a field no list holds may take before the lookup
/// answers without it (a phone system is waiting with a caller on the line).
pub const LIVE_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a value read live is reused.
const LIVE_CACHE_SECONDS: i64 = 60;
/// Entries the live cache holds at most; it is emptied when full.
const LIVE_CACHE_MAX: usize = 10_000;
/// The pseudo field naming the record's owner.
pub const OWNER_FIELD: &str = "owner";

/// What a phone system asked.
#[derive(Debug, Clone, Default)]
pub struct LookupRequest {
    /// The caller's number as sent (any of the caller parameters).
    pub caller: Option<String>,
    /// Digits the caller typed, matched against the key's `dtmf_field` instead.
    pub dtmf: Option<String>,
    /// The field whose value is answered: a CRM field, a Standard Field Name or `owner`.
    pub field_name: Option<String>,
}

/// The answer to a lookup. No match is `matched: false` (an empty text answer), so the
/// phone system falls to its default destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LookupAnswer {
    /// Whether a record matched.
    pub matched: bool,
    /// `lead` or `contact`.
    pub entity: Option<String>,
    /// The CRM record's key.
    pub key: Option<String>,
    /// The field asked for.
    pub field: Option<String>,
    /// Its value (none when blank or unknown).
    pub value: Option<String>,
}

/// The answer to a route request: the destination, and the record it was decided on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RouteAnswer {
    /// Whether a record matched (when not, the rule set's default destination).
    pub matched: bool,
    /// `lead` or `contact`.
    pub entity: Option<String>,
    /// The CRM record's key.
    pub key: Option<String>,
    /// The rule set's field.
    pub field: String,
    /// Its value for the record.
    pub value: Option<String>,
    /// Where the call goes.
    pub destination: Destination,
}

/// The record a lookup matched and the members (on the account's lists) holding it.
struct Found {
    entity: EntityKind,
    key: String,
    holders: Vec<PhoneMatch>,
}

/// The lookup service over the application state.
#[derive(Clone, Copy)]
pub struct CallerLookup<'a> {
    state: &'a AppState,
}

impl<'a> CallerLookup<'a> {
    /// The service over the application's store, connectors and clock.
    pub fn new(state: &'a AppState) -> Self {
        CallerLookup { state }
    }

    /// The value of `field_name` for the best-matching record of the caller (or of
    /// the typed digits); `matched: false` when no record matches.
    pub async fn lookup(
        &self,
        auth: &LookupKeyAuth,
        req: &LookupRequest,
    ) -> Result<LookupAnswer, CallerError> {
        let Some(found) = self.find(auth, req).await? else {
            return Ok(LookupAnswer::default());
        };
        let field = req
            .field_name
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty());
        let value = match field {
            Some(f) => self
                .values(auth.account_id, &found, &[f])
                .await?
                .remove(f)
                .flatten(),
            None => Some(found.key.clone()),
        };
        Ok(LookupAnswer {
            matched: true,
            entity: Some(found.entity.as_str().to_string()),
            key: Some(found.key),
            field: field.map(str::to_string),
            value,
        })
    }

    /// The destination rule set `rule_set` gives the caller's record: its rows read the
    /// record's values; no record, or no row matching, is the default. An unknown rule
    /// set is refused before anything else (no CRM request).
    pub async fn route(
        &self,
        auth: &LookupKeyAuth,
        req: &LookupRequest,
        rule_set: RuleSetId,
    ) -> Result<RouteAnswer, CallerError> {
        let rules = RoutingRules::from_state(self.state)
            .get(auth.account_id, rule_set)
            .await?
            .ok_or(CallerError::UnknownRuleSet(rule_set))?;
        let Some(found) = self.find(auth, req).await? else {
            return Ok(RouteAnswer {
                matched: false,
                entity: None,
                key: None,
                field: rules.field.clone(),
                value: None,
                destination: rules.route(None).clone(),
            });
        };
        let fields = rules.fields();
        let values = self.values(auth.account_id, &found, &fields).await?;
        let destination = rules.route_by(|f| values.get(f).cloned().flatten()).clone();
        Ok(RouteAnswer {
            matched: true,
            entity: Some(found.entity.as_str().to_string()),
            key: Some(found.key),
            value: values.get(rules.field.as_str()).cloned().flatten(),
            field: rules.field.clone(),
            destination,
        })
    }

    /// The best-matching record: by typed digits when the request has them and the key
    /// names a field for them, else by the caller's number.
    async fn find(
        &self,
        auth: &LookupKeyAuth,
        req: &LookupRequest,
    ) -> Result<Option<Found>, CallerError> {
        let db = self.state.store.reads();
        let dtmf = req.dtmf.as_deref().map(str::trim).filter(|d| !d.is_empty());
        let matches = match (dtmf, auth.dtmf_field.as_deref()) {
            (Some(digits), Some(column)) => {
                PhoneIndexRepo
                    .find_by_value(db, auth.account_id, column, digits)
                    .await?
            }
            _ => {
                let Some(caller) = req.caller.as_deref() else {
                    return Ok(None);
                };
                let Ok(e164) = to_e164(caller, auth.default_region) else {
                    return Ok(None);
                };
                PhoneIndexRepo.find(db, auth.account_id, &e164).await?
            }
        };
        let Some(best) = matches.first() else {
            return Ok(None);
        };
        let (entity, key) = (best.entity, best.key.clone());
        let holders = matches
            .into_iter()
            .filter(|m| m.entity == entity && m.key == key)
            .collect();
        Ok(Some(Found {
            entity,
            key,
            holders,
        }))
    }

    /// The values of `fields` for the found record: from the members holding it, else
    /// read live from the CRM (one request for all missing fields). The members and
    /// their lists' columns are read in one statement each, the field usages only when
    /// a Standard Field Name is asked for.
    async fn values(
        &self,
        account: AccountId,
        found: &Found,
        fields: &[&str],
    ) -> Result<HashMap<String, Option<String>>, CallerError> {
        let db = self.state.store.reads();
        let usages = if fields.iter().any(|f| SystemUsage::parse(f).is_some()) {
            FieldUsageRepo.all(db, account).await?
        } else {
            Vec::new()
        };
        let member_ids: Vec<MemberId> = found.holders.iter().map(|h| h.member_id).collect();
        let mut list_ids: Vec<ListId> = found.holders.iter().map(|h| h.list_id).collect();
        list_ids.sort_unstable();
        list_ids.dedup();
        let members = MemberRepo.get_many(db, &member_ids).await?;
        let columns = ListRepo.columns_of(db, &list_ids).await?;
        // `owner` is a CRM field whose name only the record's connector knows.
        let mut connector = None;
        let mut owner = None;
        if fields
            .iter()
            .any(|f| f.trim().eq_ignore_ascii_case(OWNER_FIELD))
        {
            let id = self.connector_of(account, found, &list_ids).await?;
            connector = Some(id);
            if let Some(id) = id {
                owner = self
                    .state
                    .connectors()
                    .vocabulary(account, id)
                    .await
                    .ok()
                    .and_then(|v| v.owner_field(found.entity));
            }
        }
        let mut out: HashMap<String, Option<String>> = HashMap::new();
        // In the holders' order (best first), so a field held by several lists is read
        // from the same member every time.
        for holder in &found.holders {
            let Some(member) = members.iter().find(|m| m.id == holder.member_id) else {
                continue;
            };
            let Some(columns) = columns.get(&member.list_id) else {
                continue;
            };
            for &field in fields {
                if out.contains_key(field) {
                    continue;
                }
                if let Some(column) = column_for(field, columns, &usages, owner) {
                    let value = member.values.get(&column.name).cloned().flatten();
                    out.insert(field.to_string(), value);
                }
            }
        }
        let missing: Vec<&str> = fields
            .iter()
            .copied()
            .filter(|f| !out.contains_key(*f))
            .collect();
        if !missing.is_empty() {
            let connector = match connector {
                Some(known) => known,
                None => self.connector_of(account, found, &list_ids).await?,
            };
            let live = self.read_live(account, connector, found, &missing).await;
            for field in missing {
                out.insert(field.to_string(), live.get(field).cloned().flatten());
            }
        }
        Ok(out)
    }

    /// The connector a live read goes through: that of the first holding list
    /// imported from the record's entity.
    async fn connector_of(
        &self,
        account: AccountId,
        found: &Found,
        lists: &[ListId],
    ) -> Result<Option<ConnectorId>, CallerError> {
        let db = self.state.store.reads();
        for &list in lists {
            if let Some(list) = ListRepo.get(db, account, list).await?
                && list.entity == Some(found.entity)
                && list.connector_id.is_some()
            {
                return Ok(list.connector_id);
            }
        }
        Ok(None)
    }

    /// Reads fields no list holds from the CRM for the one record, with a timeout and
    /// a short cache. A failure answers no value (logged by kind, never by content).
    async fn read_live(
        &self,
        account: AccountId,
        connector: Option<ConnectorId>,
        found: &Found,
        fields: &[&str],
    ) -> HashMap<String, Option<String>> {
        let mut out = HashMap::new();
        let Some(connector_id) = connector else {
            return out;
        };
        let now = self.state.clock.now();
        let vocab = match self
            .state
            .connectors()
            .vocabulary(account, connector_id)
            .await
        {
            Ok(v) => v,
            Err(err) => {
                tracing::warn!(connector = %connector_id, kind = err.kind(), "caller lookup: the connector is not usable");
                return out;
            }
        };
        let mut wanted = Vec::new();
        for field in fields {
            // A Standard Field Name or `owner` the record's entity has no field for.
            let Some(crm) = crm_field_of(vocab, found.entity, field) else {
                continue;
            };
            let key = cache_key(connector_id, found, &crm);
            match cache_get(&key, now) {
                Some(v) => {
                    out.insert(field.to_string(), v);
                }
                None => wanted.push((field.to_string(), crm, key)),
            }
        }
        if wanted.is_empty() {
            return out;
        }
        let conn = match self.state.connectors().open(account, connector_id).await {
            Ok(c) => c,
            Err(err) => {
                tracing::warn!(connector = %connector_id, kind = err.kind(), "caller lookup: the connector is not usable");
                tracing::debug!(connector = %connector_id, error = %err, "caller lookup: the connector is not usable");
                return out;
            }
        };
        let names: Vec<String> = wanted.iter().map(|(_, crm, _)| crm.clone()).collect();
        let read = tokio::time::timeout(
            LIVE_READ_TIMEOUT,
            conn.get_by_keys(found.entity, std::slice::from_ref(&found.key), &names),
        )
        .await;
        let record = match read {
            Ok(Ok(records)) => records.into_iter().find(|r| r.key == found.key),
            Ok(Err(err)) => {
                tracing::warn!(connector = %connector_id, kind = err.kind(), "caller lookup: live read failed");
                return out;
            }
            Err(_) => {
                tracing::warn!(connector = %connector_id, "caller lookup: live read timed out");
                return out;
            }
        };
        for (field, crm, key) in wanted {
            let value = record.as_ref().and_then(|r| {
                r.fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&crm))
                    .and_then(|(_, v)| v.clone())
            });
            cache_put(key, now, value.clone());
            out.insert(field, value);
        }
        out
    }
}

/// The column of a list holding `field`: for a Standard Field Name the column with
/// that usage (the account's, else the one its mirrored CRM field has); for `owner` the
/// column mirroring the CRM's owner field (`owner`, when known); else the column
/// mirroring that CRM field, or named so.
fn column_for<'c>(
    field: &str,
    columns: &'c [ListColumn],
    usages: &[FieldUsage],
    owner: Option<&str>,
) -> Option<&'c ListColumn> {
    if let Some(usage) = SystemUsage::parse(field) {
        let by_account = columns.iter().find(|c| {
            FieldUsage::of(usages, &c.name).and_then(|u| SystemUsage::parse(&u.usage))
                == Some(usage)
        });
        return by_account.or_else(|| columns.iter().find(|c| c.usage == Some(usage)));
    }
    let crm = if field.trim().eq_ignore_ascii_case(OWNER_FIELD) {
        owner?
    } else {
        field.trim()
    };
    columns
        .iter()
        .find(|c| {
            c.crm_field
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(crm))
        })
        .or_else(|| columns.iter().find(|c| c.name.eq_ignore_ascii_case(crm)))
}

/// The CRM field of an `entity` record a requested field name reads, in the CRM's
/// `vocab`: a Standard Field Name's field, the owner field for `owner`, else the name
/// itself (an API name such as `LeadScore`); `None` when the entity has no such field.
fn crm_field_of(vocab: &dyn Vocabulary, entity: EntityKind, field: &str) -> Option<String> {
    let field = field.trim();
    if field.eq_ignore_ascii_case(OWNER_FIELD) {
        return vocab.owner_field(entity).map(String::from);
    }
    match SystemUsage::parse(field) {
        Some(usage) => vocab.usage_field(entity, usage).map(String::from),
        None => Some(field.to_string()),
    }
}

type CacheKey = (String, EntityKind, String, String);
type Cache = Mutex<HashMap<CacheKey, (DateTime<Utc>, Option<String>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cache_key(connector: ConnectorId, found: &Found, crm: &str) -> CacheKey {
    (
        connector.as_db(),
        found.entity,
        found.key.clone(),
        crm.to_ascii_lowercase(),
    )
}

fn cache_get(key: &CacheKey, now: DateTime<Utc>) -> Option<Option<String>> {
    let cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    cache
        .get(key)
        .filter(|(at, _)| (now - *at).num_seconds() < LIVE_CACHE_SECONDS)
        .map(|(_, v)| v.clone())
}

fn cache_put(key: CacheKey, now: DateTime<Utc>, value: Option<String>) {
    let mut cache = cache().lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= LIVE_CACHE_MAX {
        cache.clear();
    }
    cache.insert(key, (now, value));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_vocabulary::TestVocabulary;

    #[test]
    fn fields_resolve_to_columns() {
        let columns = vec![
            ListColumn::mirroring("phone_1", false).meaning(Some(SystemUsage::WorkPhone)),
            ListColumn::mirroring("LeadScore", false),
            ListColumn::mirroring("the_owner", false),
            ListColumn::plain("Account No"),
        ];
        let usages = vec![FieldUsage {
            column: "account no".into(),
            usage: "company".into(),
        }];
        assert_eq!(
            column_for("work_phone", &columns, &usages, None).map(|c| c.name.as_str()),
            Some("phone_1")
        );
        assert_eq!(
            column_for("leadscore", &columns, &usages, None).map(|c| c.name.as_str()),
            Some("LeadScore")
        );
        assert_eq!(
            column_for("company", &columns, &usages, None).map(|c| c.name.as_str()),
            Some("Account No")
        );
        assert!(column_for("Region", &columns, &usages, None).is_none());
        assert_eq!(
            column_for("Owner", &columns, &usages, Some("THE_OWNER")).map(|c| c.name.as_str()),
            Some("the_owner")
        );
        assert!(column_for("owner", &columns, &usages, None).is_none());
        let v = TestVocabulary;
        assert_eq!(
            crm_field_of(&v, EntityKind::Lead, " OWNER ").as_deref(),
            Some("owner")
        );
        assert_eq!(
            crm_field_of(&v, EntityKind::Lead, "business_city").as_deref(),
            Some("business_city")
        );
        assert_eq!(
            crm_field_of(&v, EntityKind::Contact, "LeadScore").as_deref(),
            Some("LeadScore")
        );
    }
}
