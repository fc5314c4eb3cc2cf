//! People who sign in to the web console: creating users, checking a sign-in, and
//! the sessions that follow it. API keys (for machines) are in [`crate::auth`].
//!
//! A user belongs to one account and sees only its data; the role says whether they
//! may manage connectors, people and API keys (admin) or not (marketer).

mod invitations;
mod manage;
pub mod password;
pub mod sessions;

use secrecy::SecretString;

use crate::{
    AppState,
    clock::{Clock, Random},
    domain::email::{EmailError, MemberEmail},
    store::{AccountId, NewUser, Role, Store, StoreError, User, UserId},
};

pub use invitations::{INVITATION_VALID_FOR, InviteBy, Invited};
pub use manage::Person;
pub use password::{MIN_PASSWORD_CHARS, PasswordError};
pub use sessions::{ActiveSession, SessionToken, Sessions};

/// Why a user could not be created or signed in. Messages are shown to people.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The sign-in email is not an email address.
    #[error("{0}")]
    InvalidEmail(#[from] EmailError),
    /// The password is too short or too long.
    #[error("{0}")]
    Password(#[from] PasswordError),
    /// No account has the name given.
    #[error("no account named '{0}'")]
    UnknownAccount(String),
    /// Someone already signs in with this email.
    #[error("someone already signs in with {0}")]
    EmailTaken(String),
    /// The email or password is wrong (which of the two is not said).
    #[error("the email or password is wrong")]
    Refused,
    /// Hashing failed (the blocking pool is gone, or argon2 refused its input).
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    /// No user with that id in the account (or another account's).
    #[error("there is no such person in this account")]
    UnknownUser,
    /// An admin tried to change their own role.
    #[error(
        "you cannot change your own role, so this account always keeps an admin; another admin can change it"
    )]
    OwnRole,
    /// An admin tried to remove themselves.
    #[error(
        "you cannot remove yourself, so this account always keeps an admin; another admin can remove you"
    )]
    OwnRemoval,
    /// The current password typed to change it is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// No invitation has this link.
    #[error("this sign-in link is not valid; ask an admin of your account for a new one")]
    InvitationUnknown,
    /// The invitation link was already used.
    #[error(
        "this sign-in link was already used; sign in with your email and password, or ask an admin for a new link"
    )]
    InvitationUsed,
    /// The invitation link is older than [`INVITATION_VALID_FOR`].
    #[error(
        "this sign-in link has expired (links work for 72 hours); ask an admin of your account for a new one"
    )]
    InvitationExpired,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user just created, with the password generated for them when none was given
/// (to be shown once).
#[derive(Debug)]
pub struct CreatedUser {
    /// The user.
    pub user: User,
    /// The generated password, if one was generated.
    pub generated_password: Option<SecretString>,
}

/// Creates users and checks sign-ins.
#[derive(Clone, Copy)]
pub struct People<'a> {
    /// The database.
    pub store: &'a Store,
    /// The time source.
    pub clock: &'a dyn Clock,
    /// The randomness source for ids, salts and generated passwords.
    pub random: &'a dyn Random,
}

impl<'a> People<'a> {
    /// The service over the application's store, clock and randomness.
    pub fn of(state: &'a AppState) -> Self {
        People {
            store: &state.store,
            clock: state.clock.as_ref(),
            random: state.random.as_ref(),
        }
    }

    /// Creates a user in the account named `account_name`. Without a password, one is
    /// generated and returned once.
    pub async fn create_user(
        &self,
        account_name: &str,
        email: &str,
        role: Role,
        password: Option<SecretString>,
    ) -> Result<CreatedUser, PeopleError> {
        let account = self
            .store
            .accounts()
            .find_by_name(account_name.trim())
            .await?
            .ok_or_else(|| PeopleError::UnknownAccount(account_name.trim().to_string()))?;
        self.create_in(account.id, email, role, password).await
    }

    /// Creates a user in `account`. Without a password, one is generated and returned
    /// once.
    pub async fn create_in(
        &self,
        account: AccountId,
        email: &str,
        role: Role,
        password: Option<SecretString>,
    ) -> Result<CreatedUser, PeopleError> {
        let email = MemberEmail::parse(email)?;
        let (password, generated) = match password {
            Some(given) => {
                password::check_strength(&given)?;
                (given, false)
            }
            None => (password::generate(self.random), true),
        };
        let password_hash = self.hash(password.clone()).await?;
        let user = User {
            id: UserId(self.random.uuid()),
            account_id: account,
            email: email.as_str().to_string(),
            role,
            created_at: self.clock.now(),
        };
        self.store
            .users()
            .create(&NewUser {
                user: user.clone(),
                password_hash,
            })
            .await
            .map_err(|e| match e {
                StoreError::Duplicate { .. } => PeopleError::EmailTaken(user.email.clone()),
                other => PeopleError::Store(other),
            })?;
        Ok(CreatedUser {
            user,
            generated_password: generated.then_some(password),
        })
    }

    /// Gives the user signing in with `email` a new generated password, returned once
    /// (the demo's ready sign-in on every start). `None` when nobody has that email.
    pub async fn reset_password(
        &self,
        email: &str,
    ) -> Result<Option<(User, SecretString)>, PeopleError> {
        let email = MemberEmail::parse(email)?;
        let Some((user, _)) = self.store.users().password_hash(email.as_str()).await? else {
            return Ok(None);
        };
        let password = password::generate(self.random);
        let hash = self.hash(password.clone()).await?;
        self.store
            .users()
            .set_password_hash(user.account_id, user.id, &hash)
            .await?;
        Ok(Some((user, password)))
    }

    /// The user whose email and password these are. An unknown email costs the same
    /// hashing as a wrong password, so the answer's timing does not tell them apart.
    pub async fn sign_in(&self, email: &str, password: SecretString) -> Result<User, PeopleError> {
        let found = match MemberEmail::parse(email) {
            Ok(email) => self.store.users().password_hash(email.as_str()).await?,
            Err(_) => None,
        };
        let stored = found
            .as_ref()
            .map_or_else(|| password::decoy_hash().to_string(), |(_, h)| h.clone());
        let matches = tokio::task::spawn_blocking(move || password::verify(&password, &stored))
            .await
            .map_err(|e| PeopleError::Hash(e.to_string()))?;
        match found {
            Some((user, _)) if matches => Ok(user),
            _ => Err(PeopleError::Refused),
        }
    }

    async fn hash(&self, password: SecretString) -> Result<String, PeopleError> {
        let mut salt = [0u8; 16];
        self.random.fill(&mut salt);
        tokio::task::spawn_blocking(move || password::hash(&password, salt))
            .await
            .map_err(|e| PeopleError::Hash(e.to_string()))?
            .map_err(PeopleError::Hash)
    }
}
