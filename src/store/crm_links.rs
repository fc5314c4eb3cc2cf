//! The CRM records an account's CRM-linked list members are already linked to, looked up
//! by email: how "message sent" notes find a recipient's lead or contact without asking
//! the CRM.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};

use super::{
    AccountId, ConnectorId, CrmLink, StoreError,
    entity::{list, member},
};

/// How many emails one `IN (…)` lookup binds.
const LOOKUP_CHUNK: usize = 500;

/// Reads member links across an account's lists.
#[derive(Debug, Default, Clone, Copy)]
pub struct CrmLinkRepo;

impl CrmLinkRepo {
    /// `(email, link)` for every linked member with one of `emails` in the account's lists
    /// of `connector` (an email in two lists gives two entries).
    pub async fn by_emails<C: ConnectionTrait>(
        &self,
        db: &C,
        account: AccountId,
        connector: ConnectorId,
        emails: &[String],
    ) -> Result<Vec<(String, CrmLink)>, StoreError> {
        let mut out = Vec::new();
        for chunk in emails.chunks(LOOKUP_CHUNK) {
            let lists = Query::select()
                .column(list::Column::Id)
                .from(list::Entity)
                .and_where(list::Column::AccountId.eq(account.as_db()))
                .and_where(list::Column::ConnectorId.eq(connector.as_db()))
                .to_owned();
            let rows = member::Entity::find()
                .filter(member::Column::ListId.in_subquery(lists))
                .filter(member::Column::Email.is_in(chunk.iter().cloned()))
                .filter(member::Column::CrmKey.is_not_null())
                .all(db)
                .await?;
            for row in rows {
                let (Some(entity), Some(key)) = (row.crm_entity.as_deref(), row.crm_key.clone())
                else {
                    continue;
                };
                let Ok(entity) = entity.parse() else {
                    return Err(StoreError::Corrupt {
                        table: "members",
                        id: row.id,
                        message: "crm_entity".into(),
                    });
                };
                out.push((
                    row.email,
                    CrmLink {
                        entity,
                        key,
                        etag: row.crm_etag,
                        modify_date: row.crm_modify_date,
                        deleted_at: row.crm_deleted_at,
                    },
                ));
            }
        }
        Ok(out)
    }
}
