//! Encryption of secrets at rest (CRM passwords) with AES-256-GCM under a master key.
//!
//! The master key comes from `LISTBRIDGE_MASTER_KEY` (base64 of 32 bytes). In the
//! default embedded mode (SQLite) without a configured key, one is generated once
//! into a file beside the database (`listbridge.key` next to `listbridge.db`,
//! mode 0600) so a first start needs no set-up; with PostgreSQL the key must be
//! configured, because several instances must share it.
//!
//! Stored form: `version (1 byte) | nonce (12 bytes) | ciphertext + tag`. The
//! caller passes a context (the owning record's id) that is authenticated with the
//! ciphertext, so a value copied into another row does not decrypt.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString, zeroize::Zeroizing};

use crate::{
    clock::Random,
    config::{Config, MASTER_KEY_ENV},
};

/// Bytes of an AES-256 key.
const KEY_LEN: usize = 32;
/// Bytes of an AES-GCM nonce.
const NONCE_LEN: usize = 12;
/// The format byte leading every stored value, so the scheme can change later.
const FORMAT_V1: u8 = 1;

/// Why the master key could not be obtained or a secret could not be opened.
/// Never carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured key is not base64 of exactly 32 bytes.
    #[error("{origin} is not a valid master key: expected base64 of 32 bytes")]
    BadKey {
        /// Where the key came from (the env var or the key file path).
        origin: String,
    },
    /// A server database without a configured key.
    #[error(
        "no master key configured: set {MASTER_KEY_ENV} to base64 of 32 random bytes \
         (e.g. `openssl rand -base64 32`); it is required with PostgreSQL so every \
         instance can read the stored CRM passwords"
    )]
    MissingKey,
    /// The key file beside the SQLite database could not be read or written.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Encryption failed (only possible for absurdly large inputs).
    #[error("a secret could not be encrypted")]
    Unsealable,
    /// Stored data is not in a known format or was made with another key/context.
    #[error("a stored secret could not be decrypted (wrong master key or damaged data)")]
    Undecryptable,
}

/// Encrypts and decrypts secrets with the master key. Cheap to clone.
#[derive(Clone)]
pub struct Cipher {
    aes: Arc<Aes256Gcm>,
    random: Arc<dyn Random>,
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher([redacted])")
    }
}

impl Cipher {
    /// A cipher from a base64 key; `origin` names where it came from for errors.
    pub fn from_base64(
        key_b64: &str,
        origin: &str,
        random: Arc<dyn Random>,
    ) -> Result<Self, SecretError> {
        let bad = || SecretError::BadKey {
            origin: origin.to_string(),
        };
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(key_b64.trim())
                .map_err(|_| bad())?,
        );
        if bytes.len() != KEY_LEN {
            return Err(bad());
        }
        let aes = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad())?;
        Ok(Cipher {
            aes: Arc::new(aes),
            random,
        })
    }

    /// Encrypts `secret`, binding it to `context` (e.g. the connector id).
    pub fn encrypt(&self, secret: &SecretString, context: &str) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = self
            .aes
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| SecretError::Unsealable)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Cipher::encrypt`] produced for the same `context`.
    pub fn decrypt(&self, stored: &[u8], context: &str) -> Result<SecretString, SecretError> {
        let rest = match stored.split_first() {
            Some((&FORMAT_V1, rest)) if rest.len() > NONCE_LEN => rest,
            _ => return Err(SecretError::Undecryptable),
        };
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let plain = self
            .aes
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Undecryptable)?;
        let text = String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)?;
        Ok(SecretString::from(text))
    }
}

/// Builds the cipher from the configuration: the configured key, else (SQLite
/// only) the key file beside the database, generated on first use.
pub fn load_cipher(config: &Config, random: Arc<dyn Random>) -> Result<Cipher, SecretError> {
    if let Some(key) = &config.master_key {
        return Cipher::from_base64(key.expose_secret(), MASTER_KEY_ENV, random);
    }
    match sqlite_key_location(&config.database_url) {
        Some(KeyLocation::File(path)) => {
            let key = read_or_create_key_file(&path, random.as_ref())?;
            Cipher::from_base64(&key, &path.display().to_string(), random)
        }
        Some(KeyLocation::Ephemeral) => {
            tracing::warn!("in-memory database: using a throw-away master key");
            let key = generate_key(random.as_ref());
            Cipher::from_base64(&key, "generated key", random)
        }
        None => Err(SecretError::MissingKey),
    }
}

/// Where a SQLite database's generated key lives.
#[derive(Debug, PartialEq, Eq)]
enum KeyLocation {
    /// Beside the database file.
    File(PathBuf),
    /// In-memory database: the key lives as long as the process.
    Ephemeral,
}

/// The key file for a SQLite URL (`listbridge.db` → `listbridge.key`); `None`
/// when the URL is not SQLite.
fn sqlite_key_location(database_url: &str) -> Option<KeyLocation> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file == ":memory:" || rest.contains("mode=memory") {
        return Some(KeyLocation::Ephemeral);
    }
    Some(KeyLocation::File(Path::new(file).with_extension("key")))
}

/// Base64 of 32 fresh random bytes.
fn generate_key(random: &dyn Random) -> String {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    random.fill(bytes.as_mut());
    base64::engine::general_purpose::STANDARD.encode(bytes.as_ref())
}

/// Reads the key file, or creates it (owner read/write only) with a new key.
fn read_or_create_key_file(path: &Path, random: &dyn Random) -> Result<String, SecretError> {
    let io_err = |source| SecretError::KeyFile {
        path: path.to_path_buf(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(key) => return Ok(key),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(e)),
        Err(_) => {}
    }
    let key = generate_key(random);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes()).map_err(io_err)?;
            file.sync_all().map_err(io_err)?;
            tracing::warn!(
                path = %path.display(),
                "no {MASTER_KEY_ENV} configured: generated a master key file; back it up \
                 with the database, stored CRM passwords cannot be read without it"
            );
            Ok(key)
        }
        // Another process created it between our read and create: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).map_err(io_err)
        }
        Err(e) => Err(io_err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{OsRandom, SeededRandom};

    fn cipher() -> Cipher {
        let key = generate_key(&SeededRandom::new(1));
        Cipher::from_base64(&key, "test", Arc::new(OsRandom)).unwrap()
    }

    #[test]
    fn round_trip_and_context_binding() {
        let cipher = cipher();
        let secret = SecretString::from("hunter2 ünïcode");
        let sealed = cipher.encrypt(&secret, "conn-1").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        let opened = cipher.decrypt(&sealed, "conn-1").unwrap();
        assert_eq!(opened.expose_secret(), "hunter2 ünïcode");
        assert!(cipher.decrypt(&sealed, "conn-2").is_err());
        // Random nonces: the same secret never encrypts to the same bytes.
        assert_ne!(sealed, cipher.encrypt(&secret, "conn-1").unwrap());
    }

    #[test]
    fn wrong_key_or_damage_is_undecryptable() {
        let sealed = cipher().encrypt(&SecretString::from("pw"), "c").unwrap();
        let other = Cipher::from_base64(
            &generate_key(&SeededRandom::new(2)),
            "o",
            Arc::new(OsRandom),
        )
        .unwrap();
        assert!(matches!(
            other.decrypt(&sealed, "c"),
            Err(SecretError::Undecryptable)
        ));
        assert!(cipher().decrypt(&sealed[..5], "c").is_err());
        assert!(cipher().decrypt(&[], "c").is_err());
    }

    #[test]
    fn bad_keys_are_refused_by_origin() {
        let err = Cipher::from_base64("c2hvcnQ=", MASTER_KEY_ENV, Arc::new(OsRandom)).unwrap_err();
        assert!(err.to_string().contains(MASTER_KEY_ENV));
    }

    #[test]
    fn postgres_without_a_key_is_a_startup_error_naming_the_setting() {
        let mut config = Config::load_with(None, |_| None).unwrap();
        config.database_url = "postgres://lb@localhost/lb".to_string();
        let err = load_cipher(&config, Arc::new(OsRandom)).unwrap_err();
        assert!(matches!(err, SecretError::MissingKey));
        assert!(err.to_string().contains(MASTER_KEY_ENV));
    }

    #[test]
    fn key_location_follows_the_sqlite_file() {
        assert_eq!(
            sqlite_key_location("sqlite://listbridge.db?mode=rwc"),
            Some(KeyLocation::File(PathBuf::from("listbridge.key")))
        );
        assert_eq!(
            sqlite_key_location("sqlite:///var/lib/lb/data.db"),
            Some(KeyLocation::File(PathBuf::from("/var/lib/lb/data.key")))
        );
        assert_eq!(
            sqlite_key_location("sqlite::memory:"),
            Some(KeyLocation::Ephemeral)
        );
        assert_eq!(sqlite_key_location("postgres://h/db"), None);
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_once_with_owner_only_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("lb-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.key");
        let first = read_or_create_key_file(&path, &OsRandom).unwrap();
        let second = read_or_create_key_file(&path, &OsRandom).unwrap();
        assert_eq!(first, second);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
