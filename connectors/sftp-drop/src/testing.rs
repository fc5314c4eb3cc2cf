//! A throw-away OpenSSH server on loopback for tests (feature `test-sshd`): the
//! machine's `/usr/sbin/sshd` run in the foreground with a generated configuration,
//! a fresh ed25519 host key, a fresh client key and an empty upload directory, all in
//! a temporary directory removed with it. Killed on drop.
//!
//! When OpenSSH is not installed, [`Sshd::start`] prints a note and answers `None`, so
//! a test can skip; with `LISTBRIDGE_REQUIRE_SSHD=1` (CI) it panics instead, so a
//! missing package cannot pass as green. `LISTBRIDGE_SSHD` names another sshd binary
//! than `/usr/sbin/sshd`.

use std::{
    fs,
    io::Read,
    net::{Ipv4Addr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use secrecy::SecretString;

/// Where Debian's `openssh-server` puts the daemon; `LISTBRIDGE_SSHD` names another.
const SSHD: &str = "/usr/sbin/sshd";
/// The key tool from `openssh-client`.
const SSH_KEYGEN: &str = "ssh-keygen";

/// A running sshd on `127.0.0.1`, serving `internal-sftp`, allowing one client key.
#[derive(Debug)]
pub struct Sshd {
    child: Child,
    root: PathBuf,
    port: u16,
    fingerprint: String,
    client_key: String,
    user: String,
}

impl Sshd {
    /// Starts a fresh sshd, or `None` (after a note) when OpenSSH is not installed and
    /// `LISTBRIDGE_REQUIRE_SSHD` is not `1`.
    ///
    /// # Panics
    /// When OpenSSH is missing and `LISTBRIDGE_REQUIRE_SSHD=1`, or when an installed
    /// sshd cannot be started (a broken harness must not pass as a skip).
    pub fn start() -> Option<Sshd> {
        let sshd = sshd_path();
        if !Path::new(&sshd).exists() || Command::new(SSH_KEYGEN).arg("-?").output().is_err() {
            let missing = format!(
                "OpenSSH ({sshd} and ssh-keygen) is not installed (apt-get install \
                 openssh-server)"
            );
            if std::env::var("LISTBRIDGE_REQUIRE_SSHD").as_deref() == Ok("1") {
                panic!("LISTBRIDGE_REQUIRE_SSHD=1 but {missing}");
            }
            eprintln!("note: {missing}: this SFTP test is skipped");
            return None;
        }
        match Sshd::try_start(&sshd) {
            Ok(sshd) => Some(sshd),
            Err(why) => panic!("cannot start a test sshd: {why}"),
        }
    }

    /// The port it listens on, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its host key's SHA-256 fingerprint as `ssh-keygen -l` prints it.
    pub fn host_key_fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The client private key it allows, in OpenSSH's text form.
    pub fn client_key(&self) -> SecretString {
        SecretString::from(self.client_key.clone())
    }

    /// The user to log in as (the one running the tests).
    pub fn user(&self) -> String {
        self.user.clone()
    }

    /// An empty directory (absolute path) to upload into.
    pub fn dir(&self) -> PathBuf {
        self.root.join("upload")
    }

    /// The host key's public half (`host_key.pub`), for comparisons.
    pub fn host_key_pub(&self) -> PathBuf {
        self.root.join("host_key.pub")
    }

    /// What sshd wrote to its log so far (for a failing test's message).
    pub fn log(&self) -> String {
        fs::read_to_string(self.root.join("sshd.log")).unwrap_or_default()
    }

    fn try_start(sshd: &str) -> Result<Sshd, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "listbridge-sshd-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("upload")).map_err(|e| format!("{}: {e}", root.display()))?;
        // From here on the directory goes with the guard, started or not.
        let cleanup = Cleanup(root.clone());
        // sshd's privilege separation directory.
        fs::create_dir_all("/run/sshd").map_err(|e| format!("/run/sshd: {e}"))?;
        keygen(&root.join("host_key"))?;
        keygen(&root.join("client_key"))?;
        let client_pub = read(&root.join("client_key.pub"))?;
        fs::write(root.join("authorized_keys"), client_pub)
            .map_err(|e| format!("authorized_keys: {e}"))?;
        let client_key = read(&root.join("client_key"))?;
        let fingerprint = fingerprint_of(&root.join("host_key.pub"))?;
        let user = run(Command::new("id").arg("-un"))?.trim().to_string();

        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let config = root.join("sshd_config");
            fs::write(&config, sshd_config(&root, port, true))
                .map_err(|e| format!("sshd_config: {e}"))?;
            if !Command::new(sshd)
                .arg("-t")
                .arg("-f")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
            {
                // An OpenSSH before 9.8 knows no PerSourcePenalties.
                fs::write(&config, sshd_config(&root, port, false))
                    .map_err(|e| format!("sshd_config: {e}"))?;
            }
            let log = fs::File::create(root.join("sshd.log")).map_err(|e| format!("log: {e}"))?;
            let mut child = Command::new(sshd)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("{sshd}: {e}"))?;
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    std::mem::forget(cleanup);
                    return Ok(Sshd {
                        child,
                        root,
                        port,
                        fingerprint,
                        client_key,
                        user,
                    });
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = format!(
                        "{why}; sshd said: {}",
                        fs::read_to_string(root.join("sshd.log")).unwrap_or_default()
                    );
                }
            }
        }
        Err(last_error)
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The sshd to run: `LISTBRIDGE_SSHD`, else Debian's.
fn sshd_path() -> String {
    std::env::var("LISTBRIDGE_SSHD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| SSHD.to_string())
}

/// Removes a directory on drop (a start that failed half-way).
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The configuration: loopback only, keys only, `internal-sftp`, nothing from the
/// system's own `/etc/ssh`.
fn sshd_config(root: &Path, port: u16, penalties_option: bool) -> String {
    let root = root.display();
    let mut config = format!(
        "ListenAddress 127.0.0.1:{port}\n\
         HostKey {root}/host_key\n\
         PidFile none\n\
         UsePAM no\n\
         StrictModes no\n\
         PermitRootLogin yes\n\
         AuthorizedKeysFile {root}/authorized_keys\n\
         PubkeyAuthentication yes\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         Subsystem sftp internal-sftp\n\
         LogLevel VERBOSE\n\
         MaxStartups 100\n"
    );
    if penalties_option {
        // Tests fail logins and cut connections on purpose: no penalty for loopback.
        config.push_str("PerSourcePenalties no\n");
    }
    config
}

/// Waits until sshd answers with its version line (or exits).
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("sshd exited with {status}"));
        }
        if let Ok(mut tcp) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
            let mut banner = [0u8; 8];
            if tcp.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("sshd did not answer within 10 s".into())
}

/// A port nobody listens on right now.
fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A fresh ed25519 key pair at `path` (and `path.pub`), without a passphrase.
fn keygen(path: &Path) -> Result<(), String> {
    run(Command::new(SSH_KEYGEN)
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "listbridge-test",
            "-f",
        ])
        .arg(path))
    .map(|_| ())
}

/// The SHA-256 fingerprint `ssh-keygen -l` prints for the public key at `path`.
pub fn fingerprint_of(path: &Path) -> Result<String, String> {
    let out = run(Command::new(SSH_KEYGEN).arg("-l").arg("-f").arg(path))?;
    out.split_whitespace()
        .nth(1)
        .filter(|f| f.starts_with("SHA256:"))
        .map(String::from)
        .ok_or_else(|| format!("ssh-keygen -l printed no SHA256 fingerprint: {out}"))
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `command`, its standard output on success.
fn run(command: &mut Command) -> Result<String, String> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
