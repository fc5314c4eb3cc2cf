//! The built binary: starts with no set-up, creates accounts, and fails clearly
//! (non-zero, URL named with its password masked, no panic) on a bad database; text logs
//! that do not go to a terminal carry no colour codes.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_listbridge");

/// A scratch working directory removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("listbridge-bin-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A command with none of the developer's listbridge settings leaking in.
fn listbridge(dir: &Scratch) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(&dir.0);
    for var in [
        "DATABASE_URL",
        "LISTBRIDGE_BIND",
        "LISTBRIDGE_MASTER_KEY",
        "LISTBRIDGE_CONFIG",
        "LISTBRIDGE_LOG",
        "LISTBRIDGE_LOG_FORMAT",
        "RUST_BACKTRACE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

#[test]
fn unreachable_database_fails_clearly_without_panic() {
    let dir = Scratch::new();
    for command in ["serve", "migrate"] {
        let output = listbridge(&dir)
            .arg(command)
            .env(
                "DATABASE_URL",
                "postgres://lb:hunter2secret@127.0.0.1:1/listbridge",
            )
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{command} succeeded: {stderr}");
        assert!(
            stderr.contains("postgres://lb:***@127.0.0.1:1/listbridge"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("hunter2secret"),
            "password leaked: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("stack backtrace"), "{stderr}");
    }
}

#[test]
fn unsupported_database_url_is_named() {
    let dir = Scratch::new();
    let output = listbridge(&dir)
        .arg("migrate")
        .env("DATABASE_URL", "nosuchdb://somewhere/x")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("nosuchdb://somewhere/x"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn account_create_prints_the_key_alone_on_the_last_line() {
    let dir = Scratch::new();
    let output = listbridge(&dir)
        .args(["account", "create", "acme"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("lb_") && !last.contains(' '),
        "last line: {last:?}"
    );
    assert!(dir.0.join("listbridge.db").exists());

    let again = listbridge(&dir)
        .args(["account", "create", "acme"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("'acme' already exists"));
}

#[test]
fn text_logs_to_a_file_or_pipe_carry_no_colour_codes() {
    let dir = Scratch::new();
    // stderr is a pipe here, as it is for a log file, systemd or docker.
    let output = listbridge(&dir)
        .args(["account", "create", "acme"])
        .env("LISTBRIDGE_LOG_FORMAT", "text")
        .env("LISTBRIDGE_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // A fresh database logs its migrations, each line with a level.
    assert!(stderr.contains("INFO"), "no log line to look at: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escape codes in non-terminal logs: {stderr:?}"
    );
}

#[test]
fn serve_starts_with_no_setup_and_creates_the_database_and_key_file() {
    let dir = Scratch::new();
    let mut child = listbridge(&dir)
        .arg("serve")
        .env("LISTBRIDGE_BIND", "127.0.0.1:0")
        .env("LISTBRIDGE_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(addr) = parsed["addr"].as_str() {
                let _ = tx.send(addr.to_string());
            }
        }
    });
    // The deadline only turns a service that never says where it listens into a failure.
    let addr = rx.recv_timeout(Duration::from_secs(120));
    let result = addr
        .map_err(|e| e.to_string())
        .and_then(|addr| healthz(&addr));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Ok(200));
    assert!(dir.0.join("listbridge.db").exists());
    let key = dir.0.join("listbridge.key");
    assert!(key.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

/// GET /healthz with a plain TCP request, polling until the service answers; the
/// deadline only turns a service that never answers into a failure message.
fn healthz(addr: &str) -> Result<u16, String> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let attempt = (|| -> std::io::Result<u16> {
            let mut stream = std::net::TcpStream::connect(addr)?;
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0))
        })();
        match attempt {
            Ok(status) => return Ok(status),
            Err(e) if Instant::now() > deadline => return Err(e.to_string()),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
