//! Bearer tokens handed to people and stored only as their SHA-256: API keys (`lb_` +
//! 43 characters of URL-safe base64 over 32 random bytes), and the console's session
//! and invitation tokens, which `people` hashes with the same [`hash_key`]. Below the
//! services (accounts, people) and the HTTP edge (`auth`) that use it.
//!
//! Only the SHA-256 of a token is stored and tokens are looked up by that hash.
//! A slow password hash (argon2, bcrypt) protects *low-entropy* secrets against
//! guessing; a 256-bit random key cannot be guessed, so a fast hash is as safe
//! and lets the lookup be a single indexed equality match per request.

use std::fmt;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::clock::Random;

/// The prefix of every key, so leaked keys are recognisable by secret scanners.
pub const API_KEY_PREFIX: &str = "lb_";
/// Random bytes per key.
const KEY_BYTES: usize = 32;
/// Characters of the key kept in the clear to tell keys apart.
const DISPLAY_PREFIX_LEN: usize = 10;

/// A freshly generated API key: shown to its owner once, then only its hash is kept.
pub struct ApiKey(SecretString);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…)", self.display_prefix())
    }
}

impl ApiKey {
    /// A new random key.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = [0u8; KEY_BYTES];
        random.fill(&mut bytes);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        ApiKey(SecretString::from(format!("{API_KEY_PREFIX}{body}")))
    }

    /// The key text, to hand to its owner exactly once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The hash stored in the database.
    pub fn hash(&self) -> String {
        hash_key(self.expose())
    }

    /// The first characters, safe to store and show.
    pub fn display_prefix(&self) -> String {
        self.expose().chars().take(DISPLAY_PREFIX_LEN).collect()
    }
}

/// Lower-case hex SHA-256 of a presented key.
pub fn hash_key(presented: &str) -> String {
    let digest = Sha256::digest(presented.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{OsRandom, SeededRandom};

    #[test]
    fn keys_are_prefixed_long_and_distinct() {
        let a = ApiKey::generate(&OsRandom);
        let b = ApiKey::generate(&OsRandom);
        assert!(a.expose().starts_with(API_KEY_PREFIX));
        assert_eq!(a.expose().len(), API_KEY_PREFIX.len() + 43);
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn hash_is_sha256_hex_and_not_the_key() {
        let key = ApiKey::generate(&SeededRandom::new(3));
        assert_eq!(key.hash().len(), 64);
        assert_eq!(key.hash(), hash_key(key.expose()));
        assert!(!key.hash().contains(&key.expose()[API_KEY_PREFIX.len()..]));
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
