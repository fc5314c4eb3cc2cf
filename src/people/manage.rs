//! What admins do with the people of their account (list them, change a role, remove
//! one) and what everyone does with their own password. An admin can neither change
//! their own role nor remove themselves, and only admins do either, so an account
//! always keeps an admin.

use secrecy::SecretString;

use super::{People, PeopleError, password};
use crate::store::{Role, User, UserId};

/// A user as the People page lists them.
#[derive(Debug, Clone)]
pub struct Person {
    /// The user.
    pub user: User,
    /// Their invitation link is still unused and unexpired: they have not signed in yet.
    pub invited: bool,
}

impl People<'_> {
    /// The people of `actor`'s account, oldest first.
    pub async fn list(&self, actor: &User) -> Result<Vec<Person>, PeopleError> {
        let users = self.store.users().list(actor.account_id).await?;
        let pending = self
            .store
            .invitations()
            .pending_users(actor.account_id, self.clock.now())
            .await?;
        Ok(users
            .into_iter()
            .map(|user| Person {
                invited: pending.contains(&user.id),
                user,
            })
            .collect())
    }

    /// The user with this id in `actor`'s account.
    pub async fn get(&self, actor: &User, id: UserId) -> Result<User, PeopleError> {
        self.store
            .users()
            .get(actor.account_id, id)
            .await?
            .ok_or(PeopleError::UnknownUser)
    }

    /// Gives a person of `actor`'s account another role (never `actor` themselves).
    pub async fn change_role(
        &self,
        actor: &User,
        id: UserId,
        role: Role,
    ) -> Result<User, PeopleError> {
        let mut target = self.get(actor, id).await?;
        if target.id == actor.id {
            return Err(PeopleError::OwnRole);
        }
        if !self
            .store
            .users()
            .set_role(actor.account_id, id, role)
            .await?
        {
            return Err(PeopleError::UnknownUser);
        }
        target.role = role;
        Ok(target)
    }

    /// Removes a person of `actor`'s account (never `actor` themselves). Their
    /// sessions go with them (`ON DELETE CASCADE`): their next request is sent to
    /// sign-in.
    pub async fn remove(&self, actor: &User, id: UserId) -> Result<User, PeopleError> {
        let target = self.get(actor, id).await?;
        if target.id == actor.id {
            return Err(PeopleError::OwnRemoval);
        }
        if !self.store.users().delete(actor.account_id, id).await? {
            return Err(PeopleError::UnknownUser);
        }
        Ok(target)
    }

    /// Changes `user`'s password after checking their current one, then ends every
    /// other session of theirs (the one whose token hashes to `keep_session` stays);
    /// returns how many sessions ended.
    pub async fn change_password(
        &self,
        user: &User,
        current: SecretString,
        new_password: SecretString,
        keep_session: &str,
    ) -> Result<u64, PeopleError> {
        let stored = self
            .store
            .users()
            .password_hash_of(user.account_id, user.id)
            .await?
            .ok_or(PeopleError::UnknownUser)?;
        let matches = tokio::task::spawn_blocking(move || password::verify(&current, &stored))
            .await
            .map_err(|e| PeopleError::Hash(e.to_string()))?;
        if !matches {
            return Err(PeopleError::WrongPassword);
        }
        password::check_strength(&new_password)?;
        let hash = self.hash(new_password).await?;
        self.store
            .users()
            .set_password_hash(user.account_id, user.id, &hash)
            .await?;
        Ok(self
            .store
            .sessions()
            .delete_others_of_user(user.id, keep_session)
            .await?)
    }
}
