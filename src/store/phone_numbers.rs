//! The per-account phone index: for every member linked to a CRM record, each value of
//! a phone column (a column with a phone field usage, or mirroring a CRM phone field)
//! in E.164, with the record it belongs to. It answers "who has this number" without
//! calling the CRM.
//!
//! It is derived from member values and kept in step where they are written: every
//! [`super::MemberRepo`] insert and update re-indexes its members on the same
//! connection (so in the same transaction), a page of engine writes at once
//! ([`super::MemberWrites`]: one plan, one delete and one insert per page, nothing
//! when the list has no phone column); deleting a member or a list removes its rows by
//! `ON DELETE CASCADE`. A change of the account's field usages or default
//! region re-indexes the account ([`PhoneIndexRepo::reindex_account`]). Texts that are
//! not numbers are kept with the reason ([`PhoneIndexRepo::problems`]), not dropped.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use listbridge_connector::EntityKind;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{
    AccountId, ListId, MemberId, StoreError,
    entity::{account, field_usage, list, list_column, phone_number},
    members::{Member, MemberRepo},
};
use crate::domain::{
    best_match,
    field_usage::{FieldUsage, SystemUsage},
    phone::{PhoneError, Region, to_e164},
};

/// Rows per `INSERT` (each binds 10 values).
const INSERT_CHUNK: usize = 500;
/// Member ids per `DELETE … IN (…)`.
const DELETE_CHUNK: usize = 500;
/// Records holding one number (or typed digits) read at most, best first.
const MAX_HOLDERS: u64 = 200;
/// Members per page when re-indexing a whole list.
const REINDEX_PAGE: u64 = 1000;

/// A record that holds a number, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneMatch {
    /// The member holding the number.
    pub member_id: MemberId,
    /// Its list.
    pub list_id: ListId,
    /// Lead or contact.
    pub entity: EntityKind,
    /// The CRM record's key.
    pub key: String,
    /// The column the number is in.
    pub column: String,
    /// The CRM record's modify date as last seen.
    pub modified_at: Option<DateTime<Utc>>,
}

/// A phone value that is not a number, kept so it can be reported per record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneProblem {
    /// The member holding it.
    pub member_id: MemberId,
    /// The CRM record's key.
    pub key: String,
    /// The column it is in.
    pub column: String,
    /// Why it is not a number.
    pub reason: String,
}

/// What indexing a list's members needs: its account, the account's region and the
/// list's phone columns. Read once per write (a page, an edit), never per member.
#[derive(Debug, Clone)]
struct PhonePlan {
    account: String,
    region: Option<Region>,
    columns: Vec<String>,
}

/// Reads and writes `phone_numbers`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PhoneIndexRepo;

impl PhoneIndexRepo {
    /// The phone columns of a list and the region of its account; `None` when the list
    /// is gone or has no phone column (then none of its members has index rows: a usage
    /// change re-indexes the account, see [`Self::reindex_account`]). At most four
    /// queries, whatever the number of members indexed with it.
    async fn plan<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
    ) -> Result<Option<PhonePlan>, StoreError> {
        let Some(list) = list::Entity::find_by_id(list_id.as_db()).one(db).await? else {
            return Ok(None);
        };
        let list_columns = list_column::Entity::find()
            .filter(list_column::Column::ListId.eq(list_id.as_db()))
            .all(db)
            .await?;
        if list_columns.is_empty() {
            return Ok(None);
        }
        let usages: Vec<FieldUsage> = field_usage::Entity::find()
            .filter(field_usage::Column::AccountId.eq(list.account_id.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|u| FieldUsage {
                column: u.column_name,
                usage: u.usage,
            })
            .collect();
        let columns: Vec<String> = list_columns
            .into_iter()
            .filter(|c| {
                let by_usage = FieldUsage::of(&usages, &c.name)
                    .and_then(|u| SystemUsage::parse(&u.usage))
                    .is_some_and(SystemUsage::is_phone);
                let mirrors_phone = c
                    .usage
                    .as_deref()
                    .and_then(SystemUsage::parse)
                    .is_some_and(SystemUsage::is_phone);
                by_usage || mirrors_phone
            })
            .map(|c| c.name)
            .collect();
        if columns.is_empty() {
            return Ok(None);
        }
        let region = account::Entity::find_by_id(list.account_id.clone())
            .one(db)
            .await?
            .and_then(|a| a.default_region)
            .and_then(|r| Region::parse(&r));
        Ok(Some(PhonePlan {
            account: list.account_id,
            region,
            columns,
        }))
    }

    /// Brings the index rows of members of list `list_id` in step with their values, on
    /// `db` (so in the caller's transaction), in O(1) statements per call: one plan,
    /// one `DELETE … IN` per [`DELETE_CHUNK`] of `updated` members and one `INSERT` per
    /// [`INSERT_CHUNK`] rows. `fresh` members were just inserted (they have no rows to
    /// delete). Nothing at all when the list has no phone column. Every member must
    /// belong to `list_id`, each at most once, in its stored state.
    pub(super) async fn index_list<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
        updated: &[&Member],
        fresh: &[&Member],
    ) -> Result<(), StoreError> {
        if updated.is_empty() && fresh.is_empty() {
            return Ok(());
        }
        debug_assert!(
            updated.iter().chain(fresh).all(|m| m.list_id == list_id),
            "members of another list"
        );
        let Some(plan) = self.plan(db, list_id).await? else {
            return Ok(());
        };
        let ids: Vec<String> = updated.iter().map(|m| m.id.as_db()).collect();
        for chunk in ids.chunks(DELETE_CHUNK) {
            phone_number::Entity::delete_many()
                .filter(phone_number::Column::MemberId.is_in(chunk.iter().cloned()))
                .exec(db)
                .await?;
        }
        self.insert_rows(db, &plan, updated.iter().chain(fresh).copied())
            .await
    }

    /// Inserts the index rows of these members (whose old rows are gone).
    async fn insert_rows<'m, C: ConnectionTrait>(
        &self,
        db: &C,
        plan: &PhonePlan,
        members: impl Iterator<Item = &'m Member>,
    ) -> Result<(), StoreError> {
        let rows: Vec<phone_number::ActiveModel> = members
            .filter(|m| indexable(m))
            .flat_map(|m| rows_of(plan, m))
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            phone_number::Entity::insert_many(chunk.iter().cloned())
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }

    /// Re-indexes every member of a list (after its account's field usages or region
    /// changed): drops the list's rows, then (when it still has a phone column) indexes
    /// its members page by page.
    pub async fn reindex_list<C: ConnectionTrait>(
        &self,
        db: &C,
        list_id: ListId,
    ) -> Result<(), StoreError> {
        phone_number::Entity::delete_many()
            .filter(phone_number::Column::ListId.eq(list_id.as_db()))
            .exec(db)
            .await?;
        let Some(plan) = self.plan(db, list_id).await? else {
            return Ok(());
        };
        let mut after = None;
        loop {
            let page = MemberRepo
                .page_by_id(db, list_id, after, REINDEX_PAGE)
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.id);
            self.insert_rows(db, &plan, page.iter()).await?;
        }
    }

    /// Re-indexes every list of an account.
    pub async fn reindex_account<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<(), StoreError> {
        let lists: Vec<String> = list::Entity::find()
            .select_only()
            .column(list::Column::Id)
            .filter(list::Column::AccountId.eq(account.as_db()))
            .into_tuple()
            .all(db)
            .await?;
        for id in lists {
            if let Some(id) = ListId::from_db(&id) {
                self.reindex_list(db, id).await?;
            }
        }
        Ok(())
    }

    /// The records of the account holding `e164`, best first: contacts before leads,
    /// then the most recently modified (the same rule as email matching).
    pub async fn find<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        e164: &str,
    ) -> Result<Vec<PhoneMatch>, StoreError> {
        use sea_orm::{Order, sea_query::Expr};
        // Ordered in SQL by the same rule before the cap, so a number many records
        // share (a switchboard) still answers its best record, the same one each time.
        let contact_first = Expr::cust(format!(
            "CASE WHEN crm_entity = '{}' THEN 0 ELSE 1 END",
            EntityKind::Contact.as_str()
        ));
        let rows = phone_number::Entity::find()
            .filter(phone_number::Column::AccountId.eq(account.as_db()))
            .filter(phone_number::Column::E164.eq(e164))
            .order_by(contact_first, Order::Asc)
            .order_by(
                Expr::cust("CASE WHEN modified_at IS NULL THEN 1 ELSE 0 END"),
                Order::Asc,
            )
            .order_by_desc(phone_number::Column::ModifiedAt)
            .order_by_asc(phone_number::Column::CrmKey)
            .limit(MAX_HOLDERS)
            .all(db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(to_match(row)?);
        }
        sort_best_first(&mut out);
        Ok(out)
    }

    /// The linked members of the account whose value of `field` is exactly `value`
    /// (typed digits, `dtmf`), best first like [`Self::find`]. In each list `field` is
    /// the column of that name or the column mirroring that CRM field; lists with
    /// neither are not read. A `LIKE` on the stored JSON for the whole quoted value
    /// narrows, read in pages with no cap, and the parsed value of the list's own column
    /// decides (so digits held in another column, or inside a longer value, never hide
    /// the record that holds exactly them).
    pub async fn find_by_value<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        field: &str,
        value: &str,
    ) -> Result<Vec<PhoneMatch>, StoreError> {
        use super::entity::member;
        use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
        let lists: Vec<String> = list::Entity::find()
            .select_only()
            .column(list::Column::Id)
            .filter(list::Column::AccountId.eq(account.as_db()))
            .into_tuple()
            .all(db)
            .await?;
        // The column holding `field` in each list that has one.
        let mut column_of: HashMap<String, String> = HashMap::new();
        for chunk in lists.chunks(DELETE_CHUNK) {
            let columns = list_column::Entity::find()
                .filter(list_column::Column::ListId.is_in(chunk.iter().cloned()))
                .all(db)
                .await?;
            for c in columns {
                let mirrors = c
                    .crm_field
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(field));
                if c.name.eq_ignore_ascii_case(field) || mirrors {
                    column_of.entry(c.list_id).or_insert(c.name);
                }
            }
        }
        let needle = value.trim();
        let quoted = serde_json::Value::String(needle.to_string()).to_string();
        let mut pattern = String::from("%");
        for c in quoted.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let holding: Vec<String> = column_of.keys().cloned().collect();
        let mut out = Vec::new();
        for chunk in holding.chunks(DELETE_CHUNK) {
            let mut after: Option<String> = None;
            loop {
                let mut query = member::Entity::find()
                    .filter(member::Column::ListId.is_in(chunk.iter().cloned()))
                    .filter(member::Column::CrmKey.is_not_null())
                    .filter(
                        Expr::col((member::Entity, member::Column::FieldValues))
                            .like(LikeExpr::new(pattern.clone()).escape('\\')),
                    );
                if let Some(after) = &after {
                    query = query.filter(member::Column::Id.gt(after.clone()));
                }
                let rows = query
                    .order_by_asc(member::Column::Id)
                    .limit(REINDEX_PAGE)
                    .all(db)
                    .await?;
                let full_page = rows.len() as u64 == REINDEX_PAGE;
                after = rows.last().map(|r| r.id.clone());
                for row in rows {
                    let m = super::members::to_member(row)?;
                    let Some(column) = column_of.get(&m.list_id.as_db()) else {
                        continue;
                    };
                    let held = m
                        .values
                        .get(column)
                        .and_then(|v| v.as_deref())
                        .is_some_and(|v| v.trim() == needle);
                    let Some(crm) = m.crm.filter(|c| c.deleted_at.is_none()) else {
                        continue;
                    };
                    if held {
                        out.push(PhoneMatch {
                            member_id: m.id,
                            list_id: m.list_id,
                            entity: crm.entity,
                            key: crm.key,
                            column: column.clone(),
                            modified_at: crm.modify_date,
                        });
                    }
                }
                if !full_page {
                    break;
                }
            }
        }
        sort_best_first(&mut out);
        out.truncate(MAX_HOLDERS as usize);
        Ok(out)
    }

    /// The phone values of these members that are not numbers, with the reason (what
    /// a run reports per record).
    pub async fn problems<C: ConnectionTrait>(
        &self,
        db: &C,
        members: &[MemberId],
    ) -> Result<Vec<PhoneProblem>, StoreError> {
        let ids: Vec<String> = members.iter().map(MemberId::as_db).collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(DELETE_CHUNK) {
            let rows = phone_number::Entity::find()
                .filter(phone_number::Column::MemberId.is_in(chunk.iter().cloned()))
                .filter(phone_number::Column::Problem.is_not_null())
                .order_by_asc(phone_number::Column::MemberId)
                .all(db)
                .await?;
            for row in rows {
                let member_id =
                    MemberId::from_db(&row.member_id).ok_or_else(|| StoreError::Corrupt {
                        table: "phone_numbers",
                        id: row.member_id.clone(),
                        message: "member_id".into(),
                    })?;
                out.push(PhoneProblem {
                    member_id,
                    key: row.crm_key,
                    column: row.column_name,
                    reason: row.problem.unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// How many numbers (parsed or not) the account's index holds.
    pub async fn count<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
    ) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(phone_number::Entity::find()
            .filter(phone_number::Column::AccountId.eq(account.as_db()))
            .count(db)
            .await?)
    }
}

/// Best first by the rule email matching uses ([`crate::domain::best_match`]).
fn sort_best_first(matches: &mut [PhoneMatch]) {
    matches.sort_by(|a, b| best_match::compare(candidate(a), candidate(b)));
}

fn candidate(m: &PhoneMatch) -> best_match::Candidate<'_> {
    best_match::Candidate {
        entity: m.entity,
        modified_at: m.modified_at,
        key: &m.key,
    }
}

/// Whether a member is in the index: linked to a CRM record that is not deleted.
fn indexable(m: &Member) -> bool {
    m.crm.as_ref().is_some_and(|c| c.deleted_at.is_none())
}

/// The index rows of one linked member.
fn rows_of(plan: &PhonePlan, m: &Member) -> Vec<phone_number::ActiveModel> {
    let Some(crm) = m.crm.as_ref() else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for column in &plan.columns {
        let Some(Some(text)) = m.values.get(column) else {
            continue;
        };
        if text.trim().is_empty() || !seen.insert(column.to_ascii_lowercase()) {
            continue;
        }
        let (e164, problem) = match to_e164(text, plan.region) {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(problem_text(&e))),
        };
        out.push(phone_number::ActiveModel {
            member_id: Set(m.id.as_db()),
            column_name: Set(column.clone()),
            account_id: Set(plan.account.clone()),
            e164: Set(e164),
            original: Set(text.clone()),
            problem: Set(problem),
            list_id: Set(m.list_id.as_db()),
            crm_entity: Set(crm.entity.as_str().to_string()),
            crm_key: Set(crm.key.clone()),
            modified_at: Set(crm.modify_date),
        });
    }
    out
}

fn problem_text(e: &PhoneError) -> String {
    e.to_string()
}

fn to_match(row: phone_number::Model) -> Result<PhoneMatch, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "phone_numbers",
        id: row.member_id.clone(),
        message: m.into(),
    };
    Ok(PhoneMatch {
        member_id: MemberId::from_db(&row.member_id).ok_or_else(|| corrupt("member_id"))?,
        list_id: ListId::from_db(&row.list_id).ok_or_else(|| corrupt("list_id"))?,
        entity: row.crm_entity.parse().map_err(|_| corrupt("crm_entity"))?,
        key: row.crm_key.clone(),
        column: row.column_name.clone(),
        modified_at: row.modified_at,
    })
}
