//! List members: one per normalised email per list, with the CRM record they are linked
//! to and, per CRM field, the value both sides held after the last sync (the base the
//! engine's three-way comparison needs).

use chrono::{DateTime, Utc};
use listbridge_connector::EntityKind;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use serde::Serialize;

use super::{
    ListId, MemberId, MemberWrites, StoreError,
    entity::member,
    member_writes::{index_by_list, insert, save},
    phone_numbers::PhoneIndexRepo,
};
use crate::domain::values::Values;

/// The CRM record a member is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CrmLink {
    /// Lead or contact.
    #[schema(value_type = String)]
    pub entity: EntityKind,
    /// CRM key.
    pub key: String,
    /// Etag as last seen.
    #[serde(skip)]
    pub etag: Option<String>,
    /// Modify date as last seen.
    pub modify_date: Option<DateTime<Utc>>,
    /// When the record was found deleted in the CRM. A deleted record is a tombstone:
    /// the member keeps its data and a sync never re-creates the record.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Why the CRM rejected a member, kept until the member or the setup changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Parked {
    /// The CRM's (or the validator's) words.
    pub reason: String,
    /// Fingerprint of the member and setup when parked.
    #[serde(skip)]
    pub fingerprint: String,
}

/// A member of a list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Member {
    /// Member id.
    pub id: MemberId,
    /// Owning list.
    #[serde(skip)]
    pub list_id: ListId,
    /// Normalised email.
    pub email: String,
    /// The linked CRM record.
    pub crm: Option<CrmLink>,
    /// Opted out of email (never reversed by a sync).
    pub opted_out: bool,
    /// Column values by column name. A column without a value may be absent (uploads
    /// and edits store no blanks) or `null`: both read as blank.
    #[schema(value_type = Object)]
    pub values: Values,
    /// Per CRM field, the value both sides held after the last sync.
    #[serde(skip)]
    pub synced: Values,
    /// When the list side last changed a value.
    #[serde(skip)]
    pub list_changed_at: DateTime<Utc>,
    /// The list change number of the last list-side edit (0: as the CRM sent it); a
    /// push looks only at members changed since the change number it last covered.
    #[serde(skip)]
    pub change_seq: i64,
    /// Set while the CRM's rejection stands.
    pub parked: Option<Parked>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// When its row was last written (as read; a write stamps the row, not this copy).
    /// An import whose read started over tells by it which members its new read has
    /// come by.
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
}

/// A member from its row (also used for a dry run's scratch copies).
pub(super) fn to_member(row: member::Model) -> Result<Member, StoreError> {
    let corrupt = |m: &str| StoreError::Corrupt {
        table: "members",
        id: row.id.clone(),
        message: m.into(),
    };
    let crm = match (row.crm_entity.as_deref(), row.crm_key.clone()) {
        (Some(entity), Some(key)) => Some(CrmLink {
            entity: entity.parse().map_err(|_| corrupt("crm_entity"))?,
            key,
            etag: row.crm_etag.clone(),
            modify_date: row.crm_modify_date,
            deleted_at: row.crm_deleted_at,
        }),
        _ => None,
    };
    Ok(Member {
        id: MemberId::from_db(&row.id).ok_or_else(|| corrupt("id"))?,
        list_id: ListId::from_db(&row.list_id).ok_or_else(|| corrupt("list_id"))?,
        email: row.email.clone(),
        crm,
        opted_out: row.opted_out,
        values: serde_json::from_str(&row.field_values).map_err(|_| corrupt("field_values"))?,
        synced: serde_json::from_str(&row.synced).map_err(|_| corrupt("synced"))?,
        list_changed_at: row.list_changed_at,
        change_seq: row.change_seq,
        parked: match (row.parked_reason.clone(), row.parked_fingerprint.clone()) {
            (Some(reason), Some(fingerprint)) => Some(Parked {
                reason,
                fingerprint,
            }),
            _ => None,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The row of a member (also used for a dry run's scratch copies).
pub(super) fn to_row(m: &Member, now: DateTime<Utc>) -> member::Model {
    member::Model {
        id: m.id.as_db(),
        list_id: m.list_id.as_db(),
        email: m.email.clone(),
        crm_entity: m.crm.as_ref().map(|c| c.entity.as_str().to_string()),
        crm_key: m.crm.as_ref().map(|c| c.key.clone()),
        crm_etag: m.crm.as_ref().and_then(|c| c.etag.clone()),
        crm_modify_date: m.crm.as_ref().and_then(|c| c.modify_date),
        opted_out: m.opted_out,
        field_values: serde_json::to_string(&m.values).unwrap_or_else(|_| "{}".into()),
        synced: serde_json::to_string(&m.synced).unwrap_or_else(|_| "{}".into()),
        list_changed_at: m.list_changed_at,
        parked_reason: m.parked.as_ref().map(|p| p.reason.clone()),
        parked_fingerprint: m.parked.as_ref().map(|p| p.fingerprint.clone()),
        change_seq: m.change_seq,
        crm_deleted_at: m.crm.as_ref().and_then(|c| c.deleted_at),
        created_at: m.created_at,
        updated_at: now,
    }
}

pub(super) fn to_active(m: &Member, now: DateTime<Utc>) -> member::ActiveModel {
    let row = to_row(m, now);
    member::ActiveModel {
        id: Set(row.id),
        list_id: Set(row.list_id),
        email: Set(row.email),
        crm_entity: Set(row.crm_entity),
        crm_key: Set(row.crm_key),
        crm_etag: Set(row.crm_etag),
        crm_modify_date: Set(row.crm_modify_date),
        opted_out: Set(row.opted_out),
        field_values: Set(row.field_values),
        synced: Set(row.synced),
        list_changed_at: Set(row.list_changed_at),
        parked_reason: Set(row.parked_reason),
        parked_fingerprint: Set(row.parked_fingerprint),
        change_seq: Set(row.change_seq),
        crm_deleted_at: Set(row.crm_deleted_at),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
    }
}

impl Member {
    /// A new, unlinked member.
    pub fn new(
        id: MemberId,
        list_id: ListId,
        email: String,
        values: Values,
        now: DateTime<Utc>,
    ) -> Self {
        Member {
            id,
            list_id,
            email,
            crm: None,
            opted_out: false,
            values,
            synced: Values::new(),
            list_changed_at: now,
            change_seq: 0,
            parked: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// How many rows one `IN (…)` lookup may bind; both databases take far more.
const LOOKUP_CHUNK: usize = 500;

/// The statement reading the members of `list` whose `column` is one of `values` (one
/// chunk, no value twice).
///
/// PostgreSQL plans `IN ($2, …)` from the table's statistics. A new or fast-growing
/// members table has none until autovacuum analyses it (a minute later, at the
/// earliest), and PostgreSQL then guesses a list small enough to read whole: it read
/// every member of the list and filtered them against the values, so each lookup of a
/// first import grew with the list (20 ms at 50,000 members) and the import with its
/// square. Handing it the values as a relation is not enough (it hashes them and still
/// reads the list). Here each value is looked up on its own, in a `LATERAL` subquery
/// kept apart by `OFFSET 0`: equality on both columns of `(list_id, email)` or
/// `(list_id, crm_key, …)` is an index probe whatever the statistics say. SQLite serves
/// `IN (…)` through the index as it is.
fn lookup(
    backend: DbBackend,
    list: ListId,
    column: member::Column,
    values: &[&String],
) -> Statement {
    if backend != DbBackend::Postgres || values.is_empty() {
        return member::Entity::find()
            .filter(member::Column::ListId.eq(list.as_db()))
            .filter(column.is_in(values.iter().map(|v| (*v).clone())))
            .build(backend);
    }
    let rows: Vec<String> = (0..values.len()).map(|i| format!("(${})", i + 2)).collect();
    let sql = format!(
        r#"SELECT "m".* FROM (VALUES {rows}) AS "wanted" ("value") CROSS JOIN LATERAL (SELECT * FROM "{table}" WHERE "{list_id}" = $1 AND "{column}" = "wanted"."value" OFFSET 0) AS "m""#,
        rows = rows.join(", "),
        table = sea_orm::EntityName::table_name(&member::Entity),
        list_id = sea_orm::IdenStatic::as_str(&member::Column::ListId),
        column = sea_orm::IdenStatic::as_str(&column),
    );
    let params = std::iter::once(sea_orm::Value::from(list.as_db()))
        .chain(values.iter().map(|v| sea_orm::Value::from((*v).clone())));
    Statement::from_sql_and_values(backend, sql, params)
}

/// The members `q` selects, in id order after `after` (a keyset page).
async fn id_page<C: ConnectionTrait>(
    db: &C,
    q: sea_orm::Select<member::Entity>,
    after: Option<MemberId>,
    limit: u64,
) -> Result<Vec<Member>, StoreError> {
    let q = match after {
        Some(after) => q.filter(member::Column::Id.gt(after.as_db())),
        None => q,
    };
    read_page(db, q.order_by_asc(member::Column::Id), limit).await
}

/// Up to `limit` members of an ordered query.
async fn read_page<C: ConnectionTrait>(
    db: &C,
    ordered: sea_orm::Select<member::Entity>,
    limit: u64,
) -> Result<Vec<Member>, StoreError> {
    ordered
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_member)
        .collect()
}

/// Reads and writes `members`.
#[derive(Debug, Default, Clone, Copy)]
pub struct MemberRepo;

impl MemberRepo {
    /// Members of a list with any of these emails.
    pub async fn by_emails<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        emails: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        self.where_in(db, list, member::Column::Email, emails).await
    }

    /// Members of a list linked to any of these CRM keys.
    pub async fn by_crm_keys<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        keys: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        self.where_in(db, list, member::Column::CrmKey, keys).await
    }

    /// Members of a list whose `column` is one of `values`, in `IN (…)` chunks.
    async fn where_in<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        column: member::Column,
        values: &[String],
    ) -> Result<Vec<Member>, StoreError> {
        let backend = db.get_database_backend();
        let mut unique: Vec<&String> = values.iter().collect();
        unique.sort_unstable();
        unique.dedup();
        let mut out = Vec::new();
        for chunk in unique.chunks(LOOKUP_CHUNK) {
            let rows = member::Entity::find()
                .from_raw_sql(lookup(backend, list, column, chunk))
                .all(db)
                .await?;
            for row in rows {
                out.push(to_member(row)?);
            }
        }
        Ok(out)
    }

    /// The statement that looks up a list's members by up to 500 emails, as
    /// [`MemberRepo::by_emails`] runs it: there so its plan can be examined (`EXPLAIN`).
    pub fn email_lookup_statement(
        &self,
        backend: DbBackend,
        list: ListId,
        emails: &[String],
    ) -> Statement {
        let emails: Vec<&String> = emails.iter().collect();
        lookup(backend, list, member::Column::Email, &emails)
    }

    /// A page of a list's members in id order after `after` (the engine's cursor).
    pub async fn page_by_id<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        after: Option<MemberId>,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let q = member::Entity::find().filter(member::Column::ListId.eq(list.as_db()));
        id_page(db, q, after, limit).await
    }

    /// A page of the members changed on the list side after change number `since` and
    /// up to `upto`, in (change number, id) order after `after` (a push's first scan).
    pub async fn page_changed<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        since: i64,
        upto: i64,
        after: Option<(i64, MemberId)>,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let mut q = member::Entity::find()
            .filter(member::Column::ListId.eq(list.as_db()))
            .filter(member::Column::ChangeSeq.gt(since))
            .filter(member::Column::ChangeSeq.lte(upto));
        if let Some((seq, id)) = after {
            q = q.filter(
                Condition::any().add(member::Column::ChangeSeq.gt(seq)).add(
                    Condition::all()
                        .add(member::Column::ChangeSeq.eq(seq))
                        .add(member::Column::Id.gt(id.as_db())),
                ),
            );
        }
        let ordered = q
            .order_by_asc(member::Column::ChangeSeq)
            .order_by_asc(member::Column::Id);
        read_page(db, ordered, limit).await
    }

    /// How many members a push scoped to changes in (`since`, `upto`] plus unlinked
    /// members looks at (its progress total).
    pub async fn count_push_scope<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        since: i64,
        upto: i64,
    ) -> Result<u64, StoreError> {
        let changed = member::Entity::find()
            .filter(member::Column::ListId.eq(list.as_db()))
            .filter(member::Column::ChangeSeq.gt(since))
            .filter(member::Column::ChangeSeq.lte(upto))
            .count(db)
            .await?;
        let unlinked = member::Entity::find()
            .filter(member::Column::ListId.eq(list.as_db()))
            .filter(member::Column::CrmKey.is_null())
            .filter(member::Column::ChangeSeq.lte(since))
            .count(db)
            .await?;
        Ok(changed + unlinked)
    }

    /// A page of the unlinked members not changed after change number `since`, in id
    /// order after `after` (a push's second scan: they are matched by email every run).
    pub async fn page_unlinked<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        since: i64,
        after: Option<MemberId>,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let q = member::Entity::find()
            .filter(member::Column::ListId.eq(list.as_db()))
            .filter(member::Column::CrmKey.is_null())
            .filter(member::Column::ChangeSeq.lte(since));
        id_page(db, q, after, limit).await
    }

    /// A page of a list's members in email order after `after`, optionally only emails
    /// containing `search` (the API's member listing).
    pub async fn page_by_email<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        search: Option<&str>,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let mut q = member::Entity::find().filter(member::Column::ListId.eq(list.as_db()));
        if let Some(search) = search {
            q = q.filter(email_contains(search));
        }
        if let Some(after) = after {
            q = q.filter(member::Column::Email.gt(after));
        }
        read_page(db, q.order_by_asc(member::Column::Email), limit).await
    }

    /// The `limit` members of a list just before `before` in email order, optionally only
    /// emails containing `search`, returned in email order (the console's *Previous*
    /// page over the same cursor as [`Self::page_by_email`]).
    pub async fn page_before_email<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        search: Option<&str>,
        before: &str,
        limit: u64,
    ) -> Result<Vec<Member>, StoreError> {
        let mut q = member::Entity::find().filter(member::Column::ListId.eq(list.as_db()));
        if let Some(search) = search {
            q = q.filter(email_contains(search));
        }
        let mut rows = q
            .filter(member::Column::Email.lt(before))
            .order_by_desc(member::Column::Email)
            .limit(limit)
            .all(db)
            .await?;
        rows.reverse();
        rows.into_iter().map(to_member).collect()
    }

    /// One member of a list.
    pub async fn get<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        id: MemberId,
    ) -> Result<Option<Member>, StoreError> {
        member::Entity::find_by_id(id.as_db())
            .filter(member::Column::ListId.eq(list.as_db()))
            .one(db)
            .await?
            .map(to_member)
            .transpose()
    }

    /// These members, in one statement (a caller lookup reads every member holding the
    /// matched record at once). Ids that are gone are left out.
    pub async fn get_many<C: ConnectionTrait>(
        &self,
        db: &C,
        ids: &[MemberId],
    ) -> Result<Vec<Member>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        member::Entity::find()
            .filter(member::Column::Id.is_in(ids.iter().map(MemberId::as_db)))
            .all(db)
            .await?
            .into_iter()
            .map(to_member)
            .collect()
    }

    /// Removes a member from a list (its phone index rows go with it, `ON DELETE
    /// CASCADE`); whether it was there.
    pub async fn delete<C: ConnectionTrait>(
        &self,
        db: &C,
        list: ListId,
        id: MemberId,
    ) -> Result<bool, StoreError> {
        let done = member::Entity::delete_many()
            .filter(member::Column::Id.eq(id.as_db()))
            .filter(member::Column::ListId.eq(list.as_db()))
            .exec(db)
            .await?;
        Ok(done.rows_affected > 0)
    }

    /// Inserts new members and indexes their phone numbers.
    pub async fn insert_many<C: ConnectionTrait>(
        &self,
        db: &C,
        members: &[Member],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert(db, members, now).await?;
        // The phone index follows member values in the same transaction.
        let fresh: Vec<&Member> = members.iter().collect();
        index_by_list(db, &[], &fresh).await
    }

    /// Saves a changed member and re-indexes its phone numbers (one edit). A page of
    /// members is saved with [`Self::update_many`] or [`MemberWrites`], which index once.
    pub async fn update<C: ConnectionTrait>(
        &self,
        db: &C,
        member: &Member,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        save(db, member, now).await?;
        PhoneIndexRepo
            .index_list(db, member.list_id, &[member], &[])
            .await
    }

    /// Saves changed members (a page), then re-indexes their phone numbers in one go.
    pub async fn update_many<C: ConnectionTrait>(
        &self,
        db: &C,
        members: &[Member],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut writes = MemberWrites::new(now);
        for member in members {
            writes.update(db, member.clone()).await?;
        }
        writes.finish(db).await.map(drop)
    }
}

/// Emails containing `search` (trimmed, lower-cased) as typed: `%`, `_` and `\\` match
/// themselves, not any text, so searching `_` finds the emails with an underscore.
fn email_contains(search: &str) -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
    let mut pattern = String::from("%");
    for c in search.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Expr::col((member::Entity, member::Column::Email)).like(LikeExpr::new(pattern).escape('\\'))
}
