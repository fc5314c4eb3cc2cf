//! Inviting a person: the admin names an email and a role, and the person gets either
//! a one-time sign-in link (valid [`INVITATION_VALID_FOR`]) on which they choose their
//! password, or a generated password. Either secret is shown to the admin once.
//!
//! The user exists from the invitation on (so the email is taken at once and the
//! admin sees them in the list), with a random password nobody knows until the link
//! sets one. Only the SHA-256 of the link's token is stored.

use base64::Engine as _;
use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};

use super::{People, PeopleError, password};
use crate::{
    store::{AccountId, Invitation, Role, User},
    tokens::hash_key,
};

/// How long an invitation link works.
pub const INVITATION_VALID_FOR: Duration = Duration::hours(72);
/// Random bytes in a link's token.
const TOKEN_BYTES: usize = 32;

/// How the invited person gets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteBy {
    /// A one-time link on which they choose their password.
    Link,
    /// A generated password the admin passes on.
    Password,
}

/// A person just invited, with the secret to pass on (shown once).
#[derive(Debug)]
pub enum Invited {
    /// The token of their one-time sign-in link (`/invite/{token}`).
    Link {
        /// The new user.
        user: User,
        /// The link's token.
        token: SecretString,
    },
    /// Their generated password.
    Password {
        /// The new user.
        user: User,
        /// The password.
        password: SecretString,
    },
}

impl People<'_> {
    /// Invites `email` into `account` with `role`.
    pub async fn invite(
        &self,
        account: AccountId,
        email: &str,
        role: Role,
        by: InviteBy,
    ) -> Result<Invited, PeopleError> {
        match by {
            InviteBy::Password => {
                let created = self.create_in(account, email, role, None).await?;
                let password = created
                    .generated_password
                    .ok_or_else(|| PeopleError::Hash("no password was generated".to_string()))?;
                Ok(Invited::Password {
                    user: created.user,
                    password,
                })
            }
            InviteBy::Link => {
                // A password nobody is told: the link sets the real one.
                let unknown = password::generate(self.random);
                let created = self.create_in(account, email, role, Some(unknown)).await?;
                let mut bytes = [0u8; TOKEN_BYTES];
                self.random.fill(&mut bytes);
                let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
                let now = self.clock.now();
                self.store
                    .invitations()
                    .insert(&Invitation {
                        token_hash: hash_key(&token),
                        account_id: account,
                        user_id: created.user.id,
                        created_at: now,
                        expires_at: now + INVITATION_VALID_FOR,
                        used_at: None,
                    })
                    .await?;
                Ok(Invited::Link {
                    user: created.user,
                    token: SecretString::from(token),
                })
            }
        }
    }

    /// The person a link's token invites, while the link still works; otherwise why
    /// it does not.
    pub async fn invitation(&self, token: &str) -> Result<User, PeopleError> {
        let invitation = self.open_invitation(token).await?;
        self.store
            .users()
            .get(invitation.account_id, invitation.user_id)
            .await?
            .ok_or(PeopleError::InvitationUnknown)
    }

    /// Sets the invited person's password through their link and uses the link up.
    /// The caller starts their session.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new_password: SecretString,
    ) -> Result<User, PeopleError> {
        password::check_strength(&new_password)?;
        let invitation = self.open_invitation(token).await?;
        let user = self
            .store
            .users()
            .get(invitation.account_id, invitation.user_id)
            .await?
            .ok_or(PeopleError::InvitationUnknown)?;
        let hash = self.hash(new_password).await?;
        // Used first, so two browsers posting the same link cannot both set a password.
        if !self
            .store
            .invitations()
            .mark_used(&invitation.token_hash, self.clock.now())
            .await?
        {
            return Err(PeopleError::InvitationUsed);
        }
        self.store
            .users()
            .set_password_hash(user.account_id, user.id, &hash)
            .await?;
        Ok(user)
    }

    async fn open_invitation(&self, token: &str) -> Result<Invitation, PeopleError> {
        let token = SecretString::from(token.to_string());
        let invitation = self
            .store
            .invitations()
            .find(&hash_key(token.expose_secret()))
            .await?
            .ok_or(PeopleError::InvitationUnknown)?;
        if invitation.used_at.is_some() {
            return Err(PeopleError::InvitationUsed);
        }
        if self.clock.now() >= invitation.expires_at {
            return Err(PeopleError::InvitationExpired);
        }
        Ok(invitation)
    }
}
