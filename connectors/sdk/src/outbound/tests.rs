//! The guard's URL check, its resolver hook with a lookup double (no DNS, no
//! connection), and a guarded client against a loopback listener. Nothing here sends a
//! byte to a non-loopback address, even if the guard were broken: private and
//! link-local answers are only ever given to the hook directly, never to a client.

use std::{
    collections::HashMap,
    io,
    net::IpAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use futures::future::BoxFuture;
use reqwest::dns::{Name, Resolve};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};
use url::Url;

use super::*;

/// A lookup double: fixed answers by name, `NotFound` for other names, and a record
/// of every name asked for.
#[derive(Debug, Default)]
struct FakeLookup {
    answers: HashMap<String, Vec<IpAddr>>,
    asked: Mutex<Vec<String>>,
}

impl FakeLookup {
    fn answering(pairs: &[(&str, &[&str])]) -> Arc<FakeLookup> {
        let answers = pairs
            .iter()
            .map(|(name, ips)| {
                let ips = ips
                    .iter()
                    .map(|ip| ip.parse().unwrap_or_else(|e| panic!("{ip}: {e}")))
                    .collect();
                (name.to_string(), ips)
            })
            .collect();
        Arc::new(FakeLookup {
            answers,
            asked: Mutex::default(),
        })
    }

    fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Lookup for FakeLookup {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(host.to_string());
        let answer = self
            .answers
            .get(host)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such host"));
        Box::pin(async move { answer })
    }
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn guard(allow: &str) -> OutboundGuard {
    OutboundGuard::new(AllowList::parse(allow).unwrap_or_else(|e| panic!("{allow}: {e}")))
}

fn name(text: &str) -> Name {
    text.parse()
        .unwrap_or_else(|_| panic!("{text} is not a host name"))
}

#[test]
fn ip_literals_are_checked_before_any_request() {
    let none = guard("");
    for refused in [
        "https://10.1.2.3/sdata",
        "https://127.0.0.1:8443",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.1.1",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::ffff:a9fe:a9fe]/",
        "https://[fe80::1]/",
        "https://[fd00::5]/",
        "https://0.0.0.0/",
        "https://2130706433/",
        "https://0x7f.1/",
        "http://192.168.0.10:8080",
    ] {
        assert!(
            matches!(
                none.check_url(&url(refused)),
                Err(OutboundError::NotAllowed { .. })
            ),
            "{refused}"
        );
    }
    for fine in [
        "https://8.8.8.8/sdata",
        "https://[2606:4700::1111]/",
        "https://crm.example.com/sdata",
        "https://localhost/",
    ] {
        assert_eq!(none.check_url(&url(fine)), Ok(()), "{fine}");
    }
}

#[test]
fn plain_http_only_to_allowed_hosts() {
    let none = guard("");
    for insecure in [
        "http://crm.example.com",
        "http://8.8.8.8/",
        "http://localhost:8080",
    ] {
        assert!(
            matches!(
                none.check_url(&url(insecure)),
                Err(OutboundError::Insecure { .. })
            ),
            "{insecure}"
        );
    }
    let some = guard("127.0.0.1/8,::1,fake-crm,10.9.0.0/16");
    for allowed in [
        "http://127.0.0.1:9000",
        "http://127.8.0.1:9000",
        "http://[::1]:9000/sdata",
        "http://[::ffff:127.0.0.1]:9000",
        "http://FAKE-CRM:8181",
        "http://10.9.3.4",
        "https://10.9.3.4",
    ] {
        assert_eq!(some.check_url(&url(allowed)), Ok(()), "{allowed}");
    }
    assert!(matches!(
        some.check_url(&url("http://localhost:9000")),
        Err(OutboundError::Insecure { .. })
    ));
    assert!(matches!(
        some.check_url(&url("http://10.10.0.1")),
        Err(OutboundError::NotAllowed { .. })
    ));
    assert!(matches!(
        some.check_url(&url("ftp://fake-crm/")),
        Err(OutboundError::Invalid { .. })
    ));
}

#[test]
fn refusals_show_no_credentials_or_query_and_say_how_to_allow() {
    let err = guard("")
        .check_url(&url(
            "https://user:secret@10.1.2.3/sdata?where=a@b.example#x",
        ))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with("'https://10.1.2.3/sdata' is not an address"),
        "{err}"
    );
    assert!(err.contains("allow_private_hosts"), "{err}");
    assert!(!err.contains("secret") && !err.contains("a@b"), "{err}");
}

#[tokio::test]
async fn the_resolver_hook_refuses_private_answers_without_connecting() {
    let lookup = FakeLookup::answering(&[
        ("crm.example.test", &["10.0.0.5"]),
        ("metadata.example.test", &["169.254.169.254"]),
        ("mapped.example.test", &["::ffff:127.0.0.1"]),
        ("ula.example.test", &["fd00::1"]),
        ("cgnat.example.test", &["100.64.0.7"]),
        ("mixed.example.test", &["93.184.216.34", "192.168.1.1"]),
        ("empty.example.test", &[]),
        ("public.example.test", &["93.184.216.34", "2606:4700::1111"]),
        ("fake-crm", &["172.18.0.3"]),
        ("office.example.test", &["10.20.0.9"]),
    ]);
    let allow = AllowList::parse("fake-crm,10.20.0.0/16").unwrap_or_default();
    let hook = GuardedResolver {
        allow: Arc::new(allow),
        lookup: lookup.clone(),
    };
    // A private answer is refused for good; no answer at all is a lookup failure the
    // service retries. Both under one message.
    for (refused, lookup_failed) in [
        ("crm.example.test", false),
        ("metadata.example.test", false),
        ("mapped.example.test", false),
        ("ula.example.test", false),
        ("cgnat.example.test", false),
        ("mixed.example.test", false),
        ("empty.example.test", true),
        ("nxdomain.example.test", true),
    ] {
        let err = hook.resolve(name(refused)).await.err();
        let found = err.as_deref().and_then(|e| refusal(e));
        assert_eq!(
            found,
            Some(&HostRefused { lookup_failed }),
            "{refused}: {err:?}"
        );
        assert!(err.as_deref().is_some_and(|e| is_refusal(e)));
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("the host is not an address listbridge may reach"),
            "{refused}"
        );
    }
    for (permitted, expected) in [
        ("public.example.test", 2),
        ("fake-crm", 1),
        ("office.example.test", 1),
    ] {
        let addrs = hook
            .resolve(name(permitted))
            .await
            .unwrap_or_else(|e| panic!("{permitted}: {e}"));
        assert_eq!(addrs.count(), expected, "{permitted}");
    }
    assert!(
        lookup
            .asked()
            .contains(&"nxdomain.example.test".to_string())
    );
}

/// A loopback listener that answers every connection with an empty 204 and counts them.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("address: {e}"))
        .port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket
                .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn a_guarded_client_never_connects_to_a_refused_answer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (port, accepted) = counting_listener().await;
    // Names that resolve to this machine: the only place a broken guard could connect.
    let lookup = FakeLookup::answering(&[
        ("crm.example.test", &["127.0.0.1"]),
        ("mapped.example.test", &["::ffff:127.0.0.1"]),
    ]);
    let refusing = OutboundGuard::with_lookup(AllowList::none(), lookup.clone())
        .client_builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    for host in ["crm.example.test", "mapped.example.test"] {
        let err = refusing
            .get(format!("http://{host}:{port}/sdata"))
            .send()
            .await
            .err();
        let refusal = err.as_ref().is_some_and(|e| is_refusal(e));
        assert!(refusal, "{host}: {err:?}");
    }
    assert_eq!(
        lookup.asked(),
        vec!["crm.example.test", "mapped.example.test"],
        "each connection asked the hook"
    );

    // The same name with loopback allowed connects: the hook is what decided.
    let allowing = OutboundGuard::with_lookup(AllowList::loopback(), lookup)
        .client_builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let status = allowing
        .get(format!("http://crm.example.test:{port}/sdata"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| panic!("allowed request: {e}"));
    assert_eq!(status, 204);
    // The listener accepts in order: the allowed request was its first connection.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_to_refused_addresses_are_not_followed() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("address: {e}"))
        .port();
    // To another loopback address, outside the allowed 127.0.0.1: a guard that followed
    // would answer a connection error (nothing listens there), not this 302, and would
    // still not have left this machine.
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:{port}/\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = socket.read(&mut buffer).await;
            let _ = socket.write_all(redirect.as_bytes()).await;
        }
    });
    let client = guard("127.0.0.1")
        .client_builder()
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let status = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or_else(|e| panic!("request: {e}"));
    assert_eq!(status, 302, "the redirect is handed back, not followed");
}
