//! Lookup keys: the per-account credential of the public `/crm-lookup/{lookup_key}`
//! URL a phone system (PBXware, IPVoice) calls for a caller's CRM value. The phone system
//! holds this key instead of CRM credentials; it can only ask lookups of its account.
//!
//! Like API keys (see [`crate::tokens`]) a key is 256 random bits shown once and stored
//! as its SHA-256, found by a single indexed equality match. A key may also require the
//! custom header `X-Lookup-Secret` (PBXware lets a rule send any header), whose value is
//! likewise shown once and kept as a hash, compared in constant time.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::{
    app::AppState,
    callers::phones::Region,
    clock::{Clock, Random},
    store::{
        AccountId, ActiveLookupKey, LookupKeyId, LookupKeyRecord, LookupKeyRepo, NewLookupKey,
        Store, StoreError,
    },
    tokens::hash_key,
};

/// The header carrying a lookup key's secret, named in its refusals.
pub const SECRET_HEADER: &str = "X-Lookup-Secret";
/// The prefix of every lookup key, so a leaked one is recognisable.
pub const LOOKUP_KEY_PREFIX: &str = "lk_";
/// The prefix of every lookup secret.
const SECRET_PREFIX: &str = "lks_";
/// Random bytes per key and per secret.
const RANDOM_BYTES: usize = 32;
/// Characters of the key kept in the clear to tell keys apart.
const DISPLAY_PREFIX_LEN: usize = 10;
/// The longest key name accepted.
const MAX_NAME_LEN: usize = 100;
/// The longest DTMF field name accepted.
const MAX_FIELD_LEN: usize = 100;

/// Why a lookup key could not be created, found or used.
#[derive(Debug, thiserror::Error)]
pub enum LookupKeyError {
    /// The key in the URL is unknown or revoked (the two are not told apart).
    #[error("This lookup key is not valid (revoked or unknown)")]
    NotValid,
    /// The key requires a secret header and the request has none.
    #[error("This lookup key requires the {SECRET_HEADER} header, and the request has none")]
    SecretMissing,
    /// The secret header does not match the key's secret.
    #[error("The {SECRET_HEADER} header does not match this lookup key's secret")]
    SecretWrong,
    /// The key's name is empty, too long or has control characters.
    #[error("invalid lookup key name: {0}")]
    InvalidName(&'static str),
    /// The DTMF field name is empty, too long or has spaces or control characters.
    #[error("invalid dtmf_field '{field}': the field name {reason}")]
    InvalidDtmfField {
        /// The field name given.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// No unrevoked lookup key with that id in the account.
    #[error("lookup key {0} not found")]
    NotFound(LookupKeyId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who a lookup request is from: the account whose index answers it, and the key (for
/// logs, which carry ids only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKeyAuth {
    /// The account the key belongs to.
    pub account_id: AccountId,
    /// The key's record id.
    pub key_id: LookupKeyId,
    /// The field typed digits (`dtmf`) are matched against, if the key names one.
    pub dtmf_field: Option<String>,
    /// The account's default phone region, for callers dialling in national form.
    pub default_region: Option<Region>,
}

/// Checks a presented lookup key and `X-Lookup-Secret` value. An unknown or revoked key
/// is [`LookupKeyError::NotValid`]; a key with a secret needs the header
/// ([`LookupKeyError::SecretMissing`]) holding exactly that secret
/// ([`LookupKeyError::SecretWrong`]). Both refusals are answered 401 by the caller.
pub async fn authenticate(
    store: &Store,
    raw_key: &str,
    secret_header: Option<&str>,
) -> Result<LookupKeyAuth, LookupKeyError> {
    let raw_key = raw_key.trim();
    if !raw_key.starts_with(LOOKUP_KEY_PREFIX) || raw_key.len() > 200 {
        return Err(LookupKeyError::NotValid);
    }
    let ActiveLookupKey {
        key,
        default_region,
    } = LookupKeyRepo::new(store.reads())
        .find_active_by_hash(&hash_key(raw_key))
        .await?
        .ok_or(LookupKeyError::NotValid)?;
    if let Some(expected) = &key.secret_hash {
        let presented = secret_header
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(LookupKeyError::SecretMissing)?;
        if !constant_time_eq(hash_key(presented).as_bytes(), expected.as_bytes()) {
            return Err(LookupKeyError::SecretWrong);
        }
    }
    Ok(LookupKeyAuth {
        account_id: key.account_id,
        key_id: key.id,
        dtmf_field: key.dtmf_field,
        default_region: default_region.as_deref().and_then(Region::parse),
    })
}

/// Byte equality whose time depends only on the lengths, so a wrong secret's hash
/// does not tell an attacker how many leading characters were right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What to create: a name, whether a secret header is required, and the field typed
/// digits are matched against.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    /// What the key is for (e.g. "PBXware main office").
    pub name: String,
    /// Require an `X-Lookup-Secret` header as well.
    pub require_secret: bool,
    /// The record field `dtmf` digits are matched against instead of the phone.
    pub dtmf_field: Option<String>,
}

/// A freshly created key: the key and secret are shown to their owner once, then only
/// their hashes are kept. `Debug` never prints them.
pub struct CreatedKey {
    /// The stored record.
    pub record: LookupKeyRecord,
    key: SecretString,
    secret: Option<SecretString>,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("id", &self.record.id)
            .field("prefix", &self.record.prefix)
            .field("has_secret", &self.secret.is_some())
            .finish()
    }
}

impl CreatedKey {
    /// The key text, to hand to its owner exactly once.
    pub fn key(&self) -> &str {
        self.key.expose_secret()
    }

    /// The secret header value, to hand to its owner exactly once, if one is required.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_ref().map(|s| s.expose_secret())
    }
}

/// A key as its account's admins see it: never the key or the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySummary {
    /// Record id.
    pub id: LookupKeyId,
    /// What the key is for.
    pub name: String,
    /// The key's first characters.
    pub prefix: String,
    /// Whether requests need the `X-Lookup-Secret` header.
    pub requires_secret: bool,
    /// The field typed digits are matched against.
    pub dtmf_field: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<LookupKeyRecord> for KeySummary {
    fn from(r: LookupKeyRecord) -> Self {
        KeySummary {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            requires_secret: r.secret_hash.is_some(),
            dtmf_field: r.dtmf_field,
            created_at: r.created_at,
        }
    }
}

/// Creating, listing and revoking an account's lookup keys: the one service the API
/// (`/v1/lookup-keys`) and the console page share.
#[derive(Clone, Copy)]
pub struct LookupKeys<'a> {
    store: &'a Store,
    clock: &'a dyn Clock,
    random: &'a dyn Random,
}

impl<'a> LookupKeys<'a> {
    /// The service over the application's store, clock and randomness.
    pub fn from_state(state: &'a AppState) -> Self {
        LookupKeys {
            store: &state.store,
            clock: state.clock.as_ref(),
            random: state.random.as_ref(),
        }
    }

    /// Creates a key in `account`; the key (and secret) are in the answer, once.
    pub async fn create(
        &self,
        account: AccountId,
        new: &NewKey,
    ) -> Result<CreatedKey, LookupKeyError> {
        let name = validate_name(&new.name)?;
        let dtmf_field = new
            .dtmf_field
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(validate_field)
            .transpose()?;
        let key = random_token(self.random, LOOKUP_KEY_PREFIX);
        let secret = new
            .require_secret
            .then(|| random_token(self.random, SECRET_PREFIX));
        let new_key = NewLookupKey {
            id: LookupKeyId(self.random.uuid()),
            account_id: account,
            name,
            key_hash: hash_key(key.expose_secret()),
            prefix: key
                .expose_secret()
                .chars()
                .take(DISPLAY_PREFIX_LEN)
                .collect(),
            secret_hash: secret.as_ref().map(|s| hash_key(s.expose_secret())),
            dtmf_field,
            created_at: self.clock.now(),
        };
        self.store.lookup_keys().insert(&new_key).await?;
        tracing::info!(account_id = %account, lookup_key_id = %new_key.id, "lookup key created");
        Ok(CreatedKey {
            record: LookupKeyRecord {
                id: new_key.id,
                account_id: account,
                name: new_key.name,
                prefix: new_key.prefix,
                secret_hash: new_key.secret_hash,
                dtmf_field: new_key.dtmf_field,
                created_at: new_key.created_at,
                revoked_at: None,
            },
            key,
            secret,
        })
    }

    /// The account's unrevoked keys, newest first, without key material.
    pub async fn list(&self, account: AccountId) -> Result<Vec<KeySummary>, LookupKeyError> {
        Ok(self
            .store
            .lookup_keys()
            .list_active(account)
            .await?
            .into_iter()
            .map(KeySummary::from)
            .collect())
    }

    /// The account's unrevoked key with this id.
    pub async fn get(
        &self,
        account: AccountId,
        id: LookupKeyId,
    ) -> Result<KeySummary, LookupKeyError> {
        match self.store.lookup_keys().get(account, id).await? {
            Some(key) if key.revoked_at.is_none() => Ok(key.into()),
            _ => Err(LookupKeyError::NotFound(id)),
        }
    }

    /// Revokes the account's key: the next lookup with it is refused.
    pub async fn revoke(
        &self,
        account: AccountId,
        id: LookupKeyId,
    ) -> Result<KeySummary, LookupKeyError> {
        let key = self.get(account, id).await?;
        if !self
            .store
            .lookup_keys()
            .revoke(account, id, self.clock.now())
            .await?
        {
            return Err(LookupKeyError::NotFound(id));
        }
        tracing::info!(account_id = %account, lookup_key_id = %id, "lookup key revoked");
        Ok(key)
    }
}

fn random_token(random: &dyn Random, prefix: &str) -> SecretString {
    let mut bytes = [0u8; RANDOM_BYTES];
    random.fill(&mut bytes);
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    SecretString::from(format!("{prefix}{body}"))
}

fn validate_name(raw: &str) -> Result<String, LookupKeyError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(LookupKeyError::InvalidName("it is empty"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(LookupKeyError::InvalidName(
            "it is longer than 100 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(LookupKeyError::InvalidName(
            "it contains control characters",
        ));
    }
    Ok(name.to_string())
}

/// Checks a CRM field name (an API name such as `AccountNumber`): no spaces or control
/// characters, at most 100 characters. Shared with routing rule sets.
pub(crate) fn validate_field_name(field: &str) -> Result<String, &'static str> {
    if field.is_empty() {
        return Err("is empty");
    }
    if field.chars().count() > MAX_FIELD_LEN {
        return Err("is longer than 100 characters");
    }
    if field.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains spaces or control characters");
    }
    Ok(field.to_string())
}

fn validate_field(field: &str) -> Result<String, LookupKeyError> {
    validate_field_name(field).map_err(|reason| LookupKeyError::InvalidDtmfField {
        field: field.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn field_names_refuse_spaces_and_overlong() {
        assert!(validate_field_name("AccountNumber").is_ok());
        assert!(validate_field_name("Account Number").is_err());
        assert!(validate_field_name(&"x".repeat(101)).is_err());
    }
}
