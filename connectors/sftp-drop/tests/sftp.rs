//! The SFTP drop against a real OpenSSH sshd on loopback (`sftp_drop::testing`). Each
//! test skips with a note when OpenSSH is not installed, unless
//! `LISTBRIDGE_REQUIRE_SSHD=1`.

use std::{fs, path::Path, process::Command, time::Duration};

use listbridge_connector::{
    AllowList, Amount, ConversionDestination, ConversionReference, ConversionRow, Currency,
    DestinationError, OutboundGuard, RowOutcome, destination::write_csv,
};
use secrecy::SecretString;
use sftp_drop::{SftpAuth, SftpConfig, SftpDrop, fetch_host_key, file_name, testing::Sshd};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// A started sshd, or the test returns (skipped, with the harness's note).
macro_rules! sshd {
    () => {
        match Sshd::start() {
            Some(sshd) => sshd,
            None => return,
        }
    };
}

fn guard() -> OutboundGuard {
    OutboundGuard::new(AllowList::loopback())
}

fn config(sshd: &Sshd, port: u16) -> SftpConfig {
    SftpConfig {
        host: "127.0.0.1".into(),
        port,
        username: sshd.user(),
        auth: SftpAuth::PrivateKey(sshd.client_key()),
        host_key: sshd.host_key_fingerprint(),
        directory: sshd.dir().display().to_string(),
        batch_size: 1_000,
        timeout: Duration::from_secs(10),
    }
}

fn drop_for(sshd: &Sshd) -> SftpDrop {
    SftpDrop::new(config(sshd, sshd.port()), &guard()).expect("a destination")
}

fn row(key: &str, title: &str) -> ConversionRow {
    ConversionRow {
        key: key.into(),
        action_name: "sale".into(),
        title: Some(title.into()),
        occurred_at: chrono::DateTime::parse_from_rfc3339("2026-12-04T10:15:30-05:00")
            .map(|d| d.to_utc())
            .unwrap_or_default(),
        transaction_reference: Some(format!("SO-{key}")),
        amount: Amount::parse("15000.00"),
        currency: Currency::parse("gbp"),
        margin: Amount::parse("3000"),
        reference: if key.len().is_multiple_of(2) {
            ConversionReference::CallReference(format!("CR-{key}"))
        } else {
            ConversionReference::VisitorId(format!("VID-{key}"))
        },
    }
}

fn rows(n: usize, prefix: &str) -> Vec<ConversionRow> {
    (1..=n)
        .map(|i| row(&format!("{prefix}{i}"), "Annual plan"))
        .collect()
}

fn csv(rows: &[ConversionRow]) -> Vec<u8> {
    let mut out = Vec::new();
    write_csv(rows, &mut out).expect("written");
    out
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the upload directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn all_accepted(outcomes: &[RowOutcome], n: usize) {
    assert_eq!(outcomes.len(), n);
    assert!(outcomes.iter().all(|o| *o
        == RowOutcome::Accepted {
            marketing_source: None
        }));
}

#[tokio::test]
async fn a_batch_lands_as_one_complete_csv_file() {
    let sshd = sshd!();
    let destination = drop_for(&sshd);
    assert_eq!(destination.kind(), "sftp-csv");
    assert_eq!(destination.batch_size(), 1_000);
    let batch = vec![
        row("r1", "Plan, \"Gold\"\nannual"),
        row("r22", "Café crème"),
        row("r3", "plain"),
    ];
    let outcomes = destination.send(&batch).await.expect("sent");
    all_accepted(&outcomes, 3);

    let name = file_name(&batch);
    assert_eq!(
        listing(&sshd.dir()),
        vec![name.clone()],
        "one file, no .part"
    );
    let written = fs::read(sshd.dir().join(&name)).expect("the file");
    assert_eq!(written, csv(&batch));
    let text = String::from_utf8(written).expect("UTF-8");
    assert!(text.starts_with(
        "Action Name,Title,Date Time,Transaction Reference,Transaction Amount,\
         Transaction Currency,Transaction Margin,Visitor ID,Call Reference\r\n"
    ));
    assert!(text.contains("sale,\"Plan, \"\"Gold\"\"\nannual\",2026-12-04 15:15:30,SO-r1,"));
    assert!(text.contains("Café crème"));
    assert!(text.ends_with("\r\n"));
}

#[tokio::test]
async fn the_same_batch_sent_again_writes_nothing_new() {
    let sshd = sshd!();
    let destination = drop_for(&sshd);
    let batch = rows(5, "again-");
    all_accepted(&destination.send(&batch).await.expect("sent"), 5);
    let name = file_name(&batch);
    let path = sshd.dir().join(&name);
    let first = fs::metadata(&path)
        .expect("the file")
        .modified()
        .expect("mtime");

    all_accepted(&destination.send(&batch).await.expect("sent again"), 5);
    assert_eq!(listing(&sshd.dir()), vec![name.clone()]);
    assert_eq!(fs::read(&path).expect("the file"), csv(&batch));
    let second = fs::metadata(&path)
        .expect("the file")
        .modified()
        .expect("mtime");
    assert_eq!(first, second, "the file was not written again");

    // Another batch is another file.
    let other = rows(2, "other-");
    all_accepted(&destination.send(&other).await.expect("sent"), 2);
    assert_eq!(listing(&sshd.dir()).len(), 2);
    assert!(destination.send(&[]).await.expect("nothing").is_empty());
}

#[tokio::test]
async fn a_wrong_pinned_host_key_is_refused_naming_both() {
    let sshd = sshd!();
    let pinned = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let mut wrong = config(&sshd, sshd.port());
    wrong.host_key = pinned.into();
    let destination = SftpDrop::new(wrong, &guard()).expect("a destination");
    let error = destination
        .send(&rows(2, "mitm-"))
        .await
        .expect_err("refused");
    let DestinationError::Refused(message) = error else {
        panic!("not refused: {error:?}");
    };
    assert!(message.contains(pinned), "{message}");
    assert!(message.contains(&sshd.host_key_fingerprint()), "{message}");
    assert!(message.contains("host key has changed"), "{message}");
    assert!(listing(&sshd.dir()).is_empty(), "nothing written");
}

#[tokio::test]
async fn a_bad_client_key_or_password_is_refused_without_the_secret() {
    let sshd = sshd!();
    // A key the server does not know.
    let dir = std::env::temp_dir().join(format!("listbridge-sftp-key-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a directory");
    let key_path = dir.join("other_key");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key_path)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success());
    let other_key = fs::read_to_string(&key_path).expect("the key");
    let _ = fs::remove_dir_all(&dir);
    let secret_line = other_key
        .lines()
        .nth(1)
        .expect("the key's first base64 line")
        .to_string();

    let mut bad = config(&sshd, sshd.port());
    bad.auth = SftpAuth::PrivateKey(SecretString::from(other_key));
    let destination = SftpDrop::new(bad, &guard()).expect("a destination");
    let error = destination.send(&rows(1, "k-")).await.expect_err("refused");
    let shown = format!("{error} {error:?} {destination:?}");
    assert!(
        matches!(&error, DestinationError::Refused(m) if m.contains("refused the login")),
        "{error:?}"
    );
    assert!(!shown.contains(&secret_line), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");

    let mut password = config(&sshd, sshd.port());
    password.auth = SftpAuth::Password(SecretString::from("hunter2-s3cret"));
    let destination = SftpDrop::new(password, &guard()).expect("a destination");
    let error = destination.send(&rows(1, "p-")).await.expect_err("refused");
    let shown = format!("{error} {error:?} {destination:?}");
    assert!(matches!(error, DestinationError::Refused(_)), "{error:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(listing(&sshd.dir()).is_empty(), "nothing written");
}

/// A one-connection TCP proxy to `upstream` that closes both sides once `cut_after`
/// bytes went from the client to the server. Its port.
async fn cutting_proxy(upstream: u16, cut_after: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("bound").port();
    tokio::spawn(async move {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
            return;
        };
        let (mut from_client, mut to_client) = client.into_split();
        let (mut from_server, mut to_server) = server.into_split();
        let down = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
        });
        let mut sent = 0;
        let mut buf = vec![0u8; 16 * 1024];
        while sent < cut_after {
            let n = match from_client.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let take = n.min(cut_after - sent);
            if to_server.write_all(&buf[..take]).await.is_err() {
                break;
            }
            sent += take;
        }
        down.abort();
        let _ = down.await;
        // Dropping the halves closes both connections.
    });
    port
}

#[tokio::test]
async fn a_dropped_connection_leaves_no_final_file_and_a_retry_writes_each_row_once() {
    let sshd = sshd!();
    // About 600 kB of CSV: the cut at 96 kB falls inside the upload, after the login.
    let batch: Vec<ConversionRow> = (1..=3_000)
        .map(|i| row(&format!("cut-{i}"), &"Annual plan with extras ".repeat(6)))
        .collect();
    assert!(csv(&batch).len() > 400_000);
    let proxy = cutting_proxy(sshd.port(), 96 * 1024).await;
    let mut through_proxy = config(&sshd, proxy);
    through_proxy.batch_size = 5_000;
    let destination = SftpDrop::new(through_proxy, &guard()).expect("a destination");
    let error = destination.send(&batch).await.expect_err("cut off");
    let DestinationError::Unavailable { message, .. } = &error else {
        panic!("not unavailable: {error:?}\n{}", sshd.log());
    };
    let shown = format!(
        "sftp://{}@127.0.0.1:{proxy}/{}",
        sshd.user(),
        sshd.dir().display().to_string().trim_start_matches('/')
    );
    assert!(message.contains(&shown), "{message}");
    let name = file_name(&batch);
    let after_cut = listing(&sshd.dir());
    // The cut fell inside the upload: only the dot temporary is there, and partial.
    let temp = format!(".{name}.part");
    assert_eq!(after_cut, vec![temp.clone()], "no final file");
    let partial = fs::metadata(sshd.dir().join(&temp))
        .expect("the temporary")
        .len();
    assert!((partial as usize) < csv(&batch).len(), "{partial} bytes");

    let mut direct = config(&sshd, sshd.port());
    direct.batch_size = 5_000;
    let destination = SftpDrop::new(direct, &guard()).expect("a destination");
    all_accepted(&destination.send(&batch).await.expect("sent"), batch.len());
    assert_eq!(listing(&sshd.dir()), vec![name.clone()]);
    let written = fs::read_to_string(sshd.dir().join(&name)).expect("the file");
    assert_eq!(written.as_bytes(), csv(&batch).as_slice());
    for i in 1..=3_000 {
        assert_eq!(
            written.matches(&format!(",SO-cut-{i},")).count(),
            1,
            "row cut-{i} once"
        );
    }
}

#[tokio::test]
async fn fetch_host_key_shows_the_key_ssh_keygen_shows() {
    let sshd = sshd!();
    let key = fetch_host_key("127.0.0.1", sshd.port(), &guard(), Duration::from_secs(10))
        .await
        .expect("the host key");
    let keygen = Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(sshd.host_key_pub())
        .output()
        .expect("ssh-keygen runs");
    let printed = String::from_utf8_lossy(&keygen.stdout).into_owned();
    assert_eq!(
        Some(key.fingerprint.as_str()),
        printed.split_whitespace().nth(1),
        "{printed}"
    );
    assert_eq!(key.fingerprint, sshd.host_key_fingerprint());
    assert_eq!(key.algorithm, "ssh-ed25519");
    let public = fs::read_to_string(sshd.host_key_pub()).expect("host_key.pub");
    let two_fields: Vec<&str> = public.split_whitespace().take(2).collect();
    assert_eq!(
        key.openssh.split_whitespace().take(2).collect::<Vec<_>>(),
        two_fields
    );
    // The pinned key then works.
    all_accepted(
        &drop_for(&sshd).send(&rows(1, "f-")).await.expect("sent"),
        1,
    );
}

#[tokio::test]
async fn a_refused_address_is_never_contacted() {
    // A listener that must see no connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("bound").port();
    let public_only = OutboundGuard::new(AllowList::none());
    let settings = |host: &str| SftpConfig {
        host: host.into(),
        port,
        username: "acme".into(),
        auth: SftpAuth::Password(SecretString::from("pw")),
        host_key: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        directory: "/upload".into(),
        batch_size: 10,
        timeout: Duration::from_secs(5),
    };

    let literal = SftpDrop::new(settings("127.0.0.1"), &public_only).expect_err("refused");
    assert!(
        matches!(literal, DestinationError::Refused(_)),
        "{literal:?}"
    );

    let by_name = SftpDrop::new(settings("localhost"), &public_only).expect("checked on send");
    let error = by_name.send(&rows(1, "g-")).await.expect_err("refused");
    assert!(matches!(error, DestinationError::Refused(_)), "{error:?}");

    let fetched = fetch_host_key("127.0.0.1", port, &public_only, Duration::from_secs(5))
        .await
        .expect_err("refused");
    assert!(
        matches!(fetched, DestinationError::Refused(_)),
        "{fetched:?}"
    );

    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing connected"
    );
}

#[tokio::test]
async fn a_missing_directory_is_refused() {
    let sshd = sshd!();
    let mut missing = config(&sshd, sshd.port());
    missing.directory = sshd.dir().join("nowhere").display().to_string();
    let destination = SftpDrop::new(missing, &guard()).expect("a destination");
    let error = destination.send(&rows(1, "m-")).await.expect_err("refused");
    assert!(
        matches!(&error, DestinationError::Refused(m) if m.contains("nowhere")),
        "{error:?}"
    );
    assert!(listing(&sshd.dir()).is_empty());
}
