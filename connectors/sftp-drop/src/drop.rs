//! [`SftpDrop`]: the [`ConversionDestination`] writing each batch as one CSV file.

use std::{fmt, net::IpAddr, sync::Arc, time::Duration};

use async_trait::async_trait;
use listbridge_connector::{
    ConversionDestination, ConversionRow, DestinationError, OutboundGuard, RowOutcome,
    destination::write_csv,
};
use russh::keys::{PrivateKey, decode_secret_key};
use russh_sftp::{client::error::Error as SftpError, protocol::StatusCode};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tracing::Instrument;

use crate::ssh::{self, Connection, Login, Target, unavailable};

/// The destination kind name.
pub const KIND: &str = "sftp-csv";

/// The most rows one file holds (a file of this many rows is a few megabytes).
const MAX_BATCH: usize = 50_000;

/// How the destination logs in to the platform's SFTP server. Both secrets stay in
/// [`SecretString`]s: never logged, shown or put in a message.
#[derive(Debug, Clone)]
pub enum SftpAuth {
    /// The account's password.
    Password(SecretString),
    /// An unencrypted private key in OpenSSH's PEM text (`-----BEGIN OPENSSH PRIVATE
    /// KEY-----`), whose public half the platform has on the account.
    PrivateKey(SecretString),
}

/// Where the files go and how to get there.
#[derive(Debug, Clone)]
pub struct SftpConfig {
    /// The SFTP server's host name or address (checked by the outbound guard).
    pub host: String,
    /// Its port, usually 22.
    pub port: u16,
    /// The account's user name.
    pub username: String,
    /// The account's password or private key.
    pub auth: SftpAuth,
    /// The pinned host key's SHA-256 fingerprint as `ssh-keygen -l` prints it
    /// (`SHA256:` and unpadded base64), as confirmed at set-up from
    /// [`crate::fetch_host_key`]. Any other key is refused.
    pub host_key: String,
    /// The directory the platform collects files from, e.g. `/upload`.
    pub directory: String,
    /// Rows per file.
    pub batch_size: usize,
    /// How long connecting, each SSH step and each SFTP request may take.
    pub timeout: Duration,
}

/// A platform's SFTP directory, receiving one CSV file per batch.
pub struct SftpDrop {
    guard: OutboundGuard,
    host: String,
    port: u16,
    username: String,
    login: Login,
    host_key: String,
    directory: String,
    batch_size: usize,
    timeout: Duration,
    /// `sftp://user@host:port/dir`, for messages: never a secret.
    shown: String,
}

impl fmt::Debug for SftpDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SftpDrop")
            .field("target", &self.shown)
            .field("host_key", &self.host_key)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What a send found or did.
enum Delivery {
    /// The file is now in place.
    Written,
    /// The file was there already: an earlier send delivered the batch and its answer
    /// was lost.
    AlreadyThere,
}

/// The file name of a batch: `conversions-{h}.csv`, `h` the first 20 hex digits of
/// the SHA-256 of the rows' keys in order, each followed by a 0 byte. The same rows
/// give the same name, which is how a batch sent again is recognised.
pub fn file_name(rows: &[ConversionRow]) -> String {
    let mut hash = Sha256::new();
    for row in rows {
        hash.update(row.key.as_bytes());
        hash.update([0u8]);
    }
    let digest = hex::encode(hash.finalize());
    format!("conversions-{}.csv", &digest[..20])
}

impl SftpDrop {
    /// A destination for `config` whose connections keep `guard`'s policy. The
    /// settings are checked here (an address literal against the guard, the private
    /// key parsed, the fingerprint's form); the network is not touched until a send.
    pub fn new(config: SftpConfig, guard: &OutboundGuard) -> Result<SftpDrop, DestinationError> {
        let host = config.host.trim().to_string();
        let shown = format!(
            "sftp://{}@{}:{}/{}",
            config.username,
            ssh::bracketed(&host),
            config.port,
            config.directory.trim_start_matches('/')
        );
        let refuse = |why: &str| DestinationError::Refused(format!("{shown}: {why}"));
        if host.is_empty() {
            return Err(refuse("no host is set"));
        }
        if config.port == 0 {
            return Err(refuse("the port is 0"));
        }
        if config.username.is_empty() {
            return Err(refuse("no user name is set"));
        }
        if config.directory.trim().is_empty() {
            return Err(refuse("no directory is set"));
        }
        if !config.host_key.starts_with("SHA256:") || config.host_key.len() < 20 {
            return Err(refuse(
                "the pinned host key must be a SHA-256 fingerprint as ssh-keygen -l prints \
                 it (SHA256:…)",
            ));
        }
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>()
            && !guard.permits_address(ip)
        {
            return Err(refuse(
                "the host is not an address listbridge may reach (private, loopback and \
                 link-local networks are refused; an operator can allow it with \
                 allow_private_hosts)",
            ));
        }
        let login = match config.auth {
            SftpAuth::Password(password) => Login::Password(password),
            SftpAuth::PrivateKey(pem) => {
                Login::Key(Arc::new(parse_key(&pem).map_err(|why| refuse(&why))?))
            }
        };
        Ok(SftpDrop {
            guard: guard.clone(),
            host,
            port: config.port,
            username: config.username,
            login,
            host_key: config.host_key,
            directory: config.directory,
            batch_size: config.batch_size.clamp(1, MAX_BATCH),
            timeout: config.timeout.max(Duration::from_secs(1)),
            shown,
        })
    }

    /// `name` in the directory.
    fn path(&self, name: &str) -> String {
        let directory = self.directory.trim_end_matches('/');
        if directory.is_empty() {
            // The directory was "/" (or "//").
            format!("/{name}")
        } else {
            format!("{directory}/{name}")
        }
    }

    /// One connection: the file is written under a dot name and renamed into place,
    /// unless it is there already.
    async fn deliver(
        &self,
        rows: &[ConversionRow],
        name: &str,
    ) -> Result<Delivery, DestinationError> {
        let mut body = Vec::new();
        write_csv(rows, &mut body)
            .map_err(|e| DestinationError::Refused(format!("cannot write the CSV file: {e}")))?;
        let connection = ssh::connect(&Target {
            guard: &self.guard,
            host: &self.host,
            port: self.port,
            username: &self.username,
            login: &self.login,
            host_key: &self.host_key,
            timeout: self.timeout,
            shown: &self.shown,
        })
        .await?;
        let delivery = self.upload(&connection, &body, name).await;
        connection.close().await;
        delivery
    }

    /// The upload on an open connection.
    async fn upload(
        &self,
        connection: &Connection,
        body: &[u8],
        name: &str,
    ) -> Result<Delivery, DestinationError> {
        let sftp = &connection.sftp;
        let final_path = self.path(name);
        let temp_path = self.path(&format!(".{name}.part"));
        let failed = |doing: &str, e: SftpError| self.failure(doing, e);
        if sftp
            .try_exists(final_path.as_str())
            .await
            .map_err(|e| failed("look for the file", e))?
        {
            tracing::info!(file = name, "the batch's file is there already");
            return Ok(Delivery::AlreadyThere);
        }
        let mut file = sftp
            .create(temp_path.as_str())
            .await
            .map_err(|e| failed("create the temporary file", e))?;
        let write = async {
            file.write_all(body).await?;
            file.flush().await?;
            Ok::<_, std::io::Error>(())
        };
        if let Err(e) = write.await {
            return Err(unavailable(format!(
                "{}: writing {temp_path} broke off (the connection was lost or timed out): {e}",
                self.shown
            )));
        }
        // Durable before it gets its final name, where the server offers fsync.
        file.sync_all()
            .await
            .map_err(|e| failed("sync the temporary file", e))?;
        file.close()
            .await
            .map_err(|e| unavailable(format!("{}: closing {temp_path} failed: {e}", self.shown)))?;
        match sftp.rename(temp_path.as_str(), final_path.as_str()).await {
            Ok(()) => Ok(Delivery::Written),
            Err(e) => {
                // SFTP's rename does not replace a file: if the final name is taken, an
                // earlier send of the same batch got there first.
                if let Ok(true) = sftp.try_exists(final_path.as_str()).await {
                    let _ = sftp.remove_file(temp_path.as_str()).await;
                    Ok(Delivery::AlreadyThere)
                } else {
                    Err(failed("rename the temporary file into place", e))
                }
            }
        }
    }

    /// An SFTP failure: a missing directory or a permission the account lacks is the
    /// set-up's fault (refused); anything else may pass (unavailable).
    fn failure(&self, doing: &str, e: SftpError) -> DestinationError {
        let message = format!("{}: cannot {doing}: {e}", self.shown);
        match &e {
            SftpError::Status(status)
                if matches!(
                    status.status_code,
                    StatusCode::NoSuchFile | StatusCode::PermissionDenied
                ) =>
            {
                DestinationError::Refused(message)
            }
            _ => unavailable(message),
        }
    }
}

/// The private key in `pem`, or why it cannot be used (in words that quote none of it).
fn parse_key(pem: &SecretString) -> Result<PrivateKey, String> {
    decode_secret_key(pem.expose_secret().trim(), None).map_err(|_| {
        "the private key is not an unencrypted private key in OpenSSH's text form \
         (-----BEGIN OPENSSH PRIVATE KEY-----)"
            .to_string()
    })
}

#[async_trait]
impl ConversionDestination for SftpDrop {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    async fn send(&self, rows: &[ConversionRow]) -> Result<Vec<RowOutcome>, DestinationError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let name = file_name(rows);
        let span = tracing::info_span!(
            "destination request",
            kind = KIND,
            rows = rows.len(),
            file = %name
        );
        let delivery = self.deliver(rows, &name).instrument(span).await?;
        if let Delivery::Written = delivery {
            tracing::info!(file = %name, rows = rows.len(), "conversions file written");
        }
        Ok(rows
            .iter()
            .map(|_| RowOutcome::Accepted {
                marketing_source: None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use listbridge_connector::{AllowList, ConversionReference};

    fn row(key: &str) -> ConversionRow {
        ConversionRow {
            key: key.into(),
            action_name: "sale".into(),
            title: None,
            occurred_at: Default::default(),
            transaction_reference: None,
            amount: None,
            currency: None,
            margin: None,
            reference: ConversionReference::CallReference("CR-1".into()),
        }
    }

    fn config(auth: SftpAuth) -> SftpConfig {
        SftpConfig {
            host: "sftp.example.com".into(),
            port: 22,
            username: "acme".into(),
            auth,
            host_key: "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
            directory: "/upload/".into(),
            batch_size: 1_000,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_file_name_follows_the_keys_in_order() {
        let a = file_name(&[row("a"), row("b")]);
        assert_eq!(a, file_name(&[row("a"), row("b")]));
        assert_ne!(a, file_name(&[row("b"), row("a")]));
        assert_ne!(a, file_name(&[row("ab")]), "keys are separated");
        assert!(a.starts_with("conversions-") && a.ends_with(".csv"));
        assert_eq!(a.len(), "conversions-".len() + 20 + ".csv".len());
    }

    #[test]
    fn paths_join_the_directory() {
        let guard = OutboundGuard::default();
        let drop = SftpDrop::new(config(SftpAuth::Password(SecretString::from("pw"))), &guard)
            .expect("valid");
        assert_eq!(drop.path("f.csv"), "/upload/f.csv");
        let mut root = config(SftpAuth::Password(SecretString::from("pw")));
        root.directory = "/".into();
        let drop = SftpDrop::new(root, &guard).expect("valid");
        assert_eq!(drop.path("f.csv"), "/f.csv");
    }

    #[test]
    fn a_bad_key_or_fingerprint_is_refused_without_quoting_it() {
        let guard = OutboundGuard::new(AllowList::none());
        let bad = SftpDrop::new(
            config(SftpAuth::PrivateKey(SecretString::from(
                "top-secret-material",
            ))),
            &guard,
        )
        .expect_err("not a key");
        assert!(matches!(&bad, DestinationError::Refused(m) if !m.contains("top-secret")));
        let mut wrong = config(SftpAuth::Password(SecretString::from("pw")));
        wrong.host_key = "MD5:aa:bb".into();
        assert!(matches!(
            SftpDrop::new(wrong, &guard),
            Err(DestinationError::Refused(_))
        ));
        let debug = format!(
            "{:?}",
            config(SftpAuth::Password(SecretString::from("hunter2")))
        );
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
