//! People who sign in to the web console: their account, email, password hash and role.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::{AccountId, StoreError, UserId, entity::user};

/// What a user may do in the console. API keys are not users: they keep full access
/// to their account's API for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, including connectors, people and API keys.
    Admin,
    /// Everything except connectors, people and API keys.
    Marketer,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Marketer => "marketer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "marketer" => Ok(Role::Marketer),
            other => Err(format!(
                "unknown role '{other}': expected admin or marketer"
            )),
        }
    }
}

/// A person who signs in to the console. The password hash stays in the store: only
/// [`UserRepo::password_hash`] hands it out, to the code that verifies a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The account the person works in; the console shows only its data.
    pub account_id: AccountId,
    /// The sign-in email, lower-cased.
    pub email: String,
    /// What the person may do.
    pub role: Role,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

/// What is stored for a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The user.
    pub user: User,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
}

fn from_row(row: user::Model) -> Result<(User, String), StoreError> {
    let corrupt = |message: &str| StoreError::Corrupt {
        table: "users",
        id: row.id.clone(),
        message: message.to_string(),
    };
    let id = UserId::from_db(&row.id).ok_or_else(|| corrupt("id is not a UUID"))?;
    let account_id =
        AccountId::from_db(&row.account_id).ok_or_else(|| corrupt("account_id is not a UUID"))?;
    let role = row.role.parse().map_err(|e: String| corrupt(&e))?;
    Ok((
        User {
            id,
            account_id,
            email: row.email,
            role,
            created_at: row.created_at,
        },
        row.password_hash,
    ))
}

/// Reads and writes `users`.
#[derive(Debug)]
pub struct UserRepo<'a> {
    db: &'a DatabaseConnection,
}

impl<'a> UserRepo<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        UserRepo { db }
    }

    /// Inserts a user; an email already taken is [`StoreError::Duplicate`].
    pub async fn create(&self, new: &NewUser) -> Result<(), StoreError> {
        let u = &new.user;
        let row = user::ActiveModel {
            id: Set(u.id.as_db()),
            account_id: Set(u.account_id.as_db()),
            email: Set(u.email.clone()),
            password_hash: Set(new.password_hash.clone()),
            role: Set(u.role.as_str().to_string()),
            created_at: Set(u.created_at),
        };
        user::Entity::insert(row)
            .exec_without_returning(self.db)
            .await
            .map_err(|e| StoreError::from_write(e, || format!("a user with email {}", u.email)))?;
        Ok(())
    }

    /// The user signing in with this (lower-cased) email, with the password hash to
    /// check the sign-in against.
    pub async fn password_hash(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.db)
            .await?
            .map(from_row)
            .transpose()
    }

    /// Replaces a user's password hash; false when there is no such user in the account.
    pub async fn set_password_hash(
        &self,
        account: AccountId,
        id: UserId,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                sea_orm::sea_query::Expr::value(password_hash.to_string()),
            )
            .filter(user::Column::Id.eq(id.as_db()))
            .filter(user::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// The user with this id in this account, if any.
    pub async fn get(&self, account: AccountId, id: UserId) -> Result<Option<User>, StoreError> {
        user::Entity::find_by_id(id.as_db())
            .filter(user::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(|row| from_row(row).map(|(user, _)| user))
            .transpose()
    }

    /// The account's users, oldest first.
    pub async fn list(&self, account: AccountId) -> Result<Vec<User>, StoreError> {
        user::Entity::find()
            .filter(user::Column::AccountId.eq(account.as_db()))
            .order_by_asc(user::Column::CreatedAt)
            .order_by_asc(user::Column::Email)
            .all(self.db)
            .await?
            .into_iter()
            .map(|row| from_row(row).map(|(user, _)| user))
            .collect()
    }

    /// The password hash of the user with this id in this account, to check a
    /// password they type again (changing it).
    pub async fn password_hash_of(
        &self,
        account: AccountId,
        id: UserId,
    ) -> Result<Option<String>, StoreError> {
        Ok(user::Entity::find_by_id(id.as_db())
            .filter(user::Column::AccountId.eq(account.as_db()))
            .one(self.db)
            .await?
            .map(|row| row.password_hash))
    }

    /// Changes a user's role; false when there is no such user in the account.
    pub async fn set_role(
        &self,
        account: AccountId,
        id: UserId,
        role: Role,
    ) -> Result<bool, StoreError> {
        let done = user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::value(role.as_str().to_string()))
            .filter(user::Column::Id.eq(id.as_db()))
            .filter(user::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Removes a user; their sessions and invitations go with them (`ON DELETE
    /// CASCADE`). False when there is no such user in the account.
    pub async fn delete(&self, account: AccountId, id: UserId) -> Result<bool, StoreError> {
        let done = user::Entity::delete_many()
            .filter(user::Column::Id.eq(id.as_db()))
            .filter(user::Column::AccountId.eq(account.as_db()))
            .exec(self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }
}
