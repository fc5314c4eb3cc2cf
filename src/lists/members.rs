//! Members edited one at a time, as the marketing platform does when a person updates
//! their profile, a marketer corrects a value or removes someone from a list. Every
//! edit is a list-side change: it is numbered (so the next push looks at the member),
//! stamped with the time (so newest-wins can compare it with CRM edits), and a changed
//! member the CRM had rejected is tried again. Removing a member never deletes anything
//! in the CRM.

use sea_orm::TransactionTrait;

use super::{ListError, manage::require_list};
use crate::{
    AppState,
    domain::{email::MemberEmail, values::Values},
    store::{
        AccountId, ListColumn, ListId, ListRepo, Member, MemberId, MemberRepo, PushScopeRepo,
        StoreError,
    },
};

/// The longest value one column may hold.
pub const MAX_VALUE_CHARS: usize = 4_000;

/// Adds a person to a list; `values` name existing columns.
pub async fn add(
    state: &AppState,
    account: AccountId,
    list_id: ListId,
    email: &str,
    values: Values,
) -> Result<Member, ListError> {
    let list = require_list(state, account, list_id).await?;
    let email = MemberEmail::parse(email).map_err(|e| ListError::Invalid {
        field: "email",
        message: e.to_string(),
    })?;
    let db = state.store.conn();
    let columns = ListRepo.columns(db, list_id).await?;
    let mut values = checked_values(&list.name, &columns, values)?;
    // A blank is an absent value, and absent values are not stored.
    values.retain(|_, value| value.is_some());
    let now = state.clock.now();
    let mut member = Member::new(
        state.random.uuid().into(),
        list_id,
        email.as_str().to_string(),
        values,
        now,
    );
    let tx = db.begin().await.map_err(StoreError::from)?;
    member.change_seq = PushScopeRepo.next_change_seq(&tx, list_id).await?;
    MemberRepo
        .insert_many(&tx, std::slice::from_ref(&member), now)
        .await?;
    ListRepo.recount(&tx, list_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(member)
}

/// One member of the account's list `list_id` (the console's member page).
pub async fn get(
    state: &AppState,
    account: AccountId,
    list_id: ListId,
    member_id: MemberId,
) -> Result<Member, ListError> {
    require_list(state, account, list_id).await?;
    MemberRepo
        .get(state.store.conn(), list_id, member_id)
        .await?
        .ok_or(ListError::MemberNotFound(member_id))
}

/// Changes some column values of a member (`None` blanks a value, which removes it:
/// a column without a value reads as blank everywhere; a blank never clears the CRM's
/// value on push).
pub async fn edit(
    state: &AppState,
    account: AccountId,
    list_id: ListId,
    member_id: MemberId,
    values: Values,
) -> Result<Member, ListError> {
    let list = require_list(state, account, list_id).await?;
    let db = state.store.conn();
    let columns = ListRepo.columns(db, list_id).await?;
    let values = checked_values(&list.name, &columns, values)?;
    let tx = db.begin().await.map_err(StoreError::from)?;
    let mut member = MemberRepo
        .get(&tx, list_id, member_id)
        .await?
        .ok_or(ListError::MemberNotFound(member_id))?;
    // A value never stored and a blank are the same: blanking it is no change.
    let changed = values.iter().any(|(column, value)| {
        member.values.get(column).and_then(Option::as_ref) != value.as_ref()
    });
    if !changed {
        return Ok(member);
    }
    for (column, value) in values {
        match value {
            Some(value) => member.values.insert(column, Some(value)),
            None => member.values.remove(&column),
        };
    }
    let now = state.clock.now();
    member.list_changed_at = now;
    member.change_seq = PushScopeRepo.next_change_seq(&tx, list_id).await?;
    MemberRepo.update(&tx, &member, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(member)
}

/// Removes a member from the list (the CRM record, if any, is left alone).
pub async fn remove(
    state: &AppState,
    account: AccountId,
    list_id: ListId,
    member_id: MemberId,
) -> Result<(), ListError> {
    require_list(state, account, list_id).await?;
    let tx = state.store.conn().begin().await.map_err(StoreError::from)?;
    if !MemberRepo.delete(&tx, list_id, member_id).await? {
        return Err(ListError::MemberNotFound(member_id));
    }
    ListRepo.recount(&tx, list_id).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Resolves column names (case-insensitively) to the list's spelling; every unknown
/// name is reported at once, and oversize values are refused by column.
fn checked_values(list: &str, columns: &[ListColumn], values: Values) -> Result<Values, ListError> {
    let mut out = Values::new();
    let mut unknown = Vec::new();
    for (name, value) in values {
        match columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
        {
            Some(column) => {
                if let Some(v) = &value
                    && v.chars().count() > MAX_VALUE_CHARS
                {
                    return Err(ListError::Invalid {
                        field: "values",
                        message: format!(
                            "the value of column '{}' is longer than {MAX_VALUE_CHARS} characters",
                            column.name
                        ),
                    });
                }
                let value = value.filter(|v| !v.trim().is_empty());
                out.insert(column.name.clone(), value);
            }
            None => unknown.push(name),
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(ListError::UnknownColumns {
            list: list.to_string(),
            columns: unknown,
        })
    }
}
