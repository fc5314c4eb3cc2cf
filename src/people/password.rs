//! Console passwords: argon2id hashes, the minimum length, and generated passwords.
//!
//! Hashing is deliberately slow (argon2's defaults: 19 MiB, two passes), so callers run
//! [`hash`] and [`verify`] on the blocking pool, never on a request's async thread.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use secrecy::{ExposeSecret, SecretString};

use crate::clock::Random;

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most characters a password may have (argon2 takes any length; this bounds work).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Characters of a generated password: letters and digits without look-alikes
/// (0/O, 1/l/I), so it can be read out or typed from a screen.
const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of a generated password (about 116 bits).
const GENERATED_CHARS: usize = 20;

/// Why a password cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_CHARS`].
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// Longer than [`MAX_PASSWORD_CHARS`].
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Checks a chosen password's length (in characters, not bytes).
pub fn check_strength(password: &SecretString) -> Result<(), PasswordError> {
    let chars = password.expose_secret().chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(PasswordError::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// A new random password of [`GENERATED_CHARS`] characters.
pub fn generate(random: &dyn Random) -> SecretString {
    let mut bytes = [0u8; GENERATED_CHARS];
    random.fill(&mut bytes);
    // 256 is not a multiple of the alphabet's 56 letters; the bias this leaves
    // (at most 1 in 4 per character) costs well under a bit of the 116.
    let text: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    SecretString::from(text)
}

/// The argon2id PHC string of `password`, salted with `salt`.
pub fn hash(password: &SecretString, salt: [u8; 16]) -> Result<String, String> {
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never
/// matches.
pub fn verify(password: &SecretString, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when a sign-in names an unknown
/// email, so that answer takes as long as a wrong password for a known one.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        // Its salt need not be secret or unique: nobody signs in with it.
        hash(
            &SecretString::from("a decoy nobody has".to_string()),
            [0; 16],
        )
        .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SeededRandom;

    #[test]
    fn hashes_verify_only_their_password() {
        let pw = SecretString::from("correct horse battery".to_string());
        let stored = hash(&pw, [7; 16]).expect("hashes");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&pw, &stored));
        assert!(!verify(&SecretString::from("wrong".to_string()), &stored));
        assert!(!verify(&pw, "not a hash"));
    }

    #[test]
    fn strength_counts_characters() {
        let pw = |s: &str| SecretString::from(s.to_string());
        assert_eq!(check_strength(&pw("short")), Err(PasswordError::TooShort));
        assert_eq!(
            check_strength(&pw("ééééééééééé")),
            Err(PasswordError::TooShort)
        );
        assert!(check_strength(&pw("éééééééééééé")).is_ok());
        assert_eq!(
            check_strength(&pw(&"x".repeat(257))),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let random = SeededRandom::new(1);
        let a = generate(&random);
        let b = generate(&random);
        assert!(check_strength(&a).is_ok());
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(a.expose_secret().bytes().all(|c| ALPHABET.contains(&c)));
    }
}
