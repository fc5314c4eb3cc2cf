//! What still depends on a connector, by name, and deleting one nothing depends on:
//! *Delete connector* must never leave a list, a form or a schedule pointing at a CRM
//! that is gone, nor drop notes that are waiting to be written through it.

use sea_orm::{
    ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, Query, SelectStatement},
};
use serde::Serialize;

use super::{
    AccountId, ConnectorId, ConnectorRepo, ListKind, StoreError,
    entity::{
        connector, conversion_export, form, interaction, list, note_event, schedule, segment,
    },
    schedules::{KIND_LIST, KIND_SEGMENT},
};

/// Statuses of a note or a call note that is still to be written.
const WAITING: [&str; 2] = ["pending", "sending"];

/// Everything that uses one connector. Empty means it may be deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ConnectorUsers {
    /// Lists imported from it, and uploaded lists whose sync pushes through it (chosen
    /// in their setup, or the account's only connector), by name.
    pub lists: Vec<String>,
    /// Forms that deliver submissions to it, by name.
    pub forms: Vec<String>,
    /// Scheduled syncs of those lists: `list 'L'` or `segment 'S' of list 'L'`.
    pub schedules: Vec<String>,
    /// Message-sent notes waiting to be written through it.
    pub waiting_notes: u64,
    /// Call notes waiting to be written through it.
    pub waiting_calls: u64,
    /// Conversion exports that read its CRM, by name.
    pub conversion_exports: Vec<String>,
}

impl ConnectorUsers {
    /// Whether nothing uses the connector.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
            && self.forms.is_empty()
            && self.schedules.is_empty()
            && self.waiting_notes == 0
            && self.waiting_calls == 0
            && self.conversion_exports.is_empty()
    }
}

/// `SELECT 1 FROM <table> WHERE <column> = connector [AND status IN waiting]`.
fn referring<C: ColumnTrait>(
    table: impl sea_orm::Iden + 'static,
    column: C,
    id: ConnectorId,
    status: Option<C>,
) -> SelectStatement {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(table)
        .and_where(column.eq(id.as_db()));
    if let Some(status) = status {
        q.and_where(status.is_in(WAITING));
    }
    q.to_owned()
}

impl ConnectorRepo<'_> {
    /// What uses connector `id` of `account`: lists imported from it or pushing to it.
    /// With `only_connector` (it is the account's only one), uploaded lists with a sync
    /// set up that chose no connector count too: their pushes go through it.
    pub async fn users(
        &self,
        account: AccountId,
        id: ConnectorId,
        only_connector: bool,
    ) -> Result<ConnectorUsers, StoreError> {
        let mut lists = list::Entity::find()
            .filter(list::Column::AccountId.eq(account.as_db()))
            .filter(
                list::Column::ConnectorId
                    .eq(id.as_db())
                    .or(list::Column::PushConnectorId.eq(id.as_db())),
            )
            .order_by_asc(list::Column::Name)
            .all(self.db)
            .await?;
        if only_connector {
            let synced_segments = Query::select()
                .column(segment::Column::ListId)
                .from(segment::Entity)
                .and_where(segment::Column::AccountId.eq(account.as_db()))
                .and_where(segment::Column::SyncSetup.is_not_null())
                .to_owned();
            lists.extend(
                list::Entity::find()
                    .filter(list::Column::AccountId.eq(account.as_db()))
                    .filter(list::Column::Kind.eq(ListKind::Uploaded.as_str()))
                    .filter(list::Column::PushConnectorId.is_null())
                    .filter(
                        list::Column::SyncSetup
                            .is_not_null()
                            .or(list::Column::Id.in_subquery(synced_segments)),
                    )
                    .order_by_asc(list::Column::Name)
                    .all(self.db)
                    .await?,
            );
        }
        let forms = form::Entity::find()
            .filter(form::Column::AccountId.eq(account.as_db()))
            .filter(form::Column::ConnectorId.eq(id.as_db()))
            .order_by_asc(form::Column::Name)
            .all(self.db)
            .await?;
        let schedules = self.schedules_of(account, &lists).await?;
        let waiting_notes = note_event::Entity::find()
            .filter(note_event::Column::AccountId.eq(account.as_db()))
            .filter(note_event::Column::ConnectorId.eq(id.as_db()))
            .filter(note_event::Column::Status.is_in(WAITING))
            .count(self.db)
            .await?;
        let waiting_calls = interaction::Entity::find()
            .filter(interaction::Column::AccountId.eq(account.as_db()))
            .filter(interaction::Column::ConnectorId.eq(id.as_db()))
            .filter(interaction::Column::Status.is_in(WAITING))
            .count(self.db)
            .await?;
        let conversion_exports = conversion_export::Entity::find()
            .filter(conversion_export::Column::AccountId.eq(account.as_db()))
            .filter(conversion_export::Column::ConnectorId.eq(id.as_db()))
            .order_by_asc(conversion_export::Column::Name)
            .all(self.db)
            .await?
            .into_iter()
            .map(|e| e.name)
            .collect();
        Ok(ConnectorUsers {
            conversion_exports,
            lists: lists.into_iter().map(|l| l.name).collect(),
            forms: forms.into_iter().map(|f| f.name).collect(),
            schedules,
            waiting_notes,
            waiting_calls,
        })
    }

    /// The schedules of `lists` and of their segments, named for a person.
    async fn schedules_of(
        &self,
        account: AccountId,
        lists: &[list::Model],
    ) -> Result<Vec<String>, StoreError> {
        if lists.is_empty() {
            return Ok(Vec::new());
        }
        let list_ids: Vec<&str> = lists.iter().map(|l| l.id.as_str()).collect();
        let segments = segment::Entity::find()
            .filter(segment::Column::ListId.is_in(list_ids.clone()))
            .all(self.db)
            .await?;
        let rows = schedule::Entity::find()
            .filter(schedule::Column::AccountId.eq(account.as_db()))
            .order_by_asc(schedule::Column::CreatedAt)
            .all(self.db)
            .await?;
        let list_name = |id: &str| lists.iter().find(|l| l.id == id).map(|l| l.name.as_str());
        Ok(rows
            .iter()
            .filter_map(|s| match s.target_kind.as_str() {
                KIND_LIST => list_name(&s.target_id).map(|l| format!("list '{l}'")),
                KIND_SEGMENT => segments.iter().find(|g| g.id == s.target_id).and_then(|g| {
                    list_name(&g.list_id).map(|l| format!("segment '{}' of list '{l}'", g.name))
                }),
                _ => None,
            })
            .collect())
    }

    /// Deletes connector `id` of `account` if no list or form names it and no note or
    /// call note waits for it, in one statement, so nothing can start using it between
    /// the check and the delete. Returns false when it was not deleted (gone, or used).
    pub async fn delete_unused(
        &self,
        account: AccountId,
        id: ConnectorId,
    ) -> Result<bool, StoreError> {
        let result = connector::Entity::delete_many()
            .filter(connector::Column::Id.eq(id.as_db()))
            .filter(connector::Column::AccountId.eq(account.as_db()))
            .filter(
                Expr::exists(referring(list::Entity, list::Column::ConnectorId, id, None)).not(),
            )
            .filter(
                Expr::exists(referring(
                    list::Entity,
                    list::Column::PushConnectorId,
                    id,
                    None,
                ))
                .not(),
            )
            .filter(
                Expr::exists(referring(form::Entity, form::Column::ConnectorId, id, None)).not(),
            )
            .filter(
                Expr::exists(referring(
                    conversion_export::Entity,
                    conversion_export::Column::ConnectorId,
                    id,
                    None,
                ))
                .not(),
            )
            .filter(
                Expr::exists(referring(
                    note_event::Entity,
                    note_event::Column::ConnectorId,
                    id,
                    Some(note_event::Column::Status),
                ))
                .not(),
            )
            .filter(
                Expr::exists(referring(
                    interaction::Entity,
                    interaction::Column::ConnectorId,
                    id,
                    Some(interaction::Column::Status),
                ))
                .not(),
            )
            .exec(self.db)
            .await?;
        Ok(result.rows_affected == 1)
    }
}
