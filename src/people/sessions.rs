//! Console sessions: started at sign-in with a fresh token, found again from the
//! cookie on each request, ended at sign-out or after an idle spell.
//!
//! The cookie holds 256 random bits; the database holds only their SHA-256, like API
//! keys. Each session has its own CSRF token, which every state-changing form carries.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    AppState,
    clock::{Clock, Random},
    store::{Account, SessionRecord, Store, StoreError, User},
    tokens::hash_key,
};

/// How often a session's `last_seen_at` is written: at most once a minute, so
/// reading pages costs no write per request.
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// Random bytes in a session token and a CSRF token.
const TOKEN_BYTES: usize = 32;

/// The cookie value of a session: shown to the browser once, then only its hash is kept.
pub struct SessionToken(SecretString);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

impl SessionToken {
    /// The token text, for the `Set-Cookie` header.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A signed-in request's session: who, in which account, and the CSRF token its
/// forms carry.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The stored session's key (the token's hash).
    pub token_hash: String,
    /// The signed-in user.
    pub user: User,
    /// The user's account: the only data the console shows.
    pub account: Account,
    /// The token each state-changing form of this session carries.
    pub csrf_token: String,
}

/// Starts, finds and ends sessions.
#[derive(Clone, Copy)]
pub struct Sessions<'a> {
    store: &'a Store,
    clock: &'a dyn Clock,
    random: &'a dyn Random,
    idle: Duration,
}

impl<'a> Sessions<'a> {
    /// The service over the application's store, clock and randomness; sessions idle
    /// longer than `idle` are over.
    pub fn of(state: &'a AppState, idle: Duration) -> Self {
        Sessions {
            store: &state.store,
            clock: state.clock.as_ref(),
            random: state.random.as_ref(),
            idle,
        }
    }

    /// Starts a session for `user` with a new token (never one the browser had before
    /// signing in, so a planted session id is worthless).
    pub async fn start(&self, user: &User) -> Result<SessionToken, StoreError> {
        let token = self.random_token();
        let now = self.clock.now();
        self.store
            .sessions()
            .insert(&SessionRecord {
                token_hash: hash_key(&token),
                user_id: user.id,
                account_id: user.account_id,
                csrf_token: self.random_token(),
                created_at: now,
                last_seen_at: now,
            })
            .await?;
        Ok(SessionToken(SecretString::from(token)))
    }

    /// The live session of a cookie's token, if any. A session idle too long is
    /// removed and answers `None`; a live one is marked seen.
    pub async fn find(&self, token: &str) -> Result<Option<ActiveSession>, StoreError> {
        let token_hash = hash_key(token);
        let sessions = self.store.sessions();
        let Some(record) = sessions.find(&token_hash).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        if self.is_idle(&record, now) {
            sessions.delete(&token_hash).await?;
            return Ok(None);
        }
        if now - record.last_seen_at >= TOUCH_EVERY {
            sessions.touch(&token_hash, now).await?;
        }
        let Some(user) = self
            .store
            .users()
            .get(record.account_id, record.user_id)
            .await?
        else {
            return Ok(None);
        };
        let Some(account) = self.store.accounts().get(record.account_id).await? else {
            return Ok(None);
        };
        Ok(Some(ActiveSession {
            token_hash,
            user,
            account,
            csrf_token: record.csrf_token,
        }))
    }

    /// Ends the session of a cookie's token (sign-out). Unknown tokens are ignored.
    pub async fn end(&self, token: &str) -> Result<(), StoreError> {
        self.store.sessions().delete(&hash_key(token)).await
    }

    /// Removes every session idle longer than the idle time; returns how many.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        self.store
            .sessions()
            .delete_idle(self.clock.now() - self.idle)
            .await
    }

    fn is_idle(&self, record: &SessionRecord, now: DateTime<Utc>) -> bool {
        now - record.last_seen_at > self.idle
    }

    fn random_token(&self) -> String {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.random.fill(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}
