//! Logging in: the right password, a wrong one, an unreachable port and addresses that
//! are not SData each give their own answer.

mod common;

use infor_crm::{InforCrm, InforCrmFactory, WireFormat};
use listbridge_connector::{ConnectorError, ConnectorFactory, ConnectorRegistry, CrmConnector};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpSocket},
};

use common::{PASSWORD, config, connector, fake, options};

/// A web server that answers every request with `response` (a whole HTTP response).
async fn web_server(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn build(base_url: &str, password: &str) -> InforCrm {
    InforCrm::with_options(config(base_url, password), options(WireFormat::Json))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn right_password_returns_the_crm_user() {
    let fake = fake(0, 0).await;
    for format in common::FORMATS {
        let user = connector(&fake, format)
            .verify()
            .await
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(!user.id.is_empty() && user.id.trim() == user.id, "{user:?}");
        assert!(!user.user_name.is_empty());
    }
    // A pasted SData path and a trailing slash are fine.
    let pasted = format!("{}/sdata/slx/dynamic/-/leads", fake.base_url());
    assert!(build(&pasted, PASSWORD).verify().await.is_ok());
    fake.shutdown().await;
}

#[tokio::test]
async fn wrong_password_is_an_auth_error() {
    let fake = fake(0, 0).await;
    let err = build(&fake.base_url(), "not-the-password")
        .verify()
        .await
        .err();
    assert!(matches!(err, Some(ConnectorError::Auth { .. })), "{err:?}");
    fake.shutdown().await;
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    // A port held by a socket that is bound but never listens: a connection to it is
    // refused, and no other process can take the port while the test runs.
    let held = TcpSocket::new_v4().unwrap_or_else(|e| panic!("socket: {e}"));
    held.bind(([127, 0, 0, 1], 0).into())
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let closed = held
        .local_addr()
        .unwrap_or_else(|e| panic!("bound address: {e}"));
    let err = build(&format!("http://{closed}"), PASSWORD)
        .verify()
        .await
        .err();
    assert!(
        matches!(err, Some(ConnectorError::Unreachable { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn addresses_that_are_not_sdata() {
    let html = web_server("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 38\r\nconnection: close\r\n\r\n<html><body>Welcome page</body></html>").await;
    let missing = web_server("HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found").await;
    let garbage = web_server("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 5\r\nconnection: close\r\n\r\n\x01\x02xyz").await;
    // To another origin on loopback (port 1, where nothing listens): not followed, and
    // a client that did follow would still not leave this machine.
    let moved = web_server("HTTP/1.1 301 Moved\r\nlocation: http://127.0.0.1:1/sdata\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
    for (what, url) in [
        ("html", html),
        ("404", missing),
        ("garbage", garbage),
        ("redirect", moved),
    ] {
        let err = build(&url, PASSWORD).verify().await.err();
        assert!(
            matches!(err, Some(ConnectorError::NotCrmEndpoint { .. })),
            "{what}: {err:?}"
        );
    }
}

#[test]
fn factory_and_registry() {
    let mut registry = ConnectorRegistry::new();
    infor_crm::register(&mut registry);
    let factory = registry
        .get("infor-crm")
        .unwrap_or_else(|| panic!("registered"));
    assert_eq!(factory.display_name(), "Infor CRM");
    let built = factory.build(config("https://company.saleslogixcloud.com/", PASSWORD));
    assert!(built.is_ok_and(|c| c.kind() == "infor-crm"));
    let refused = InforCrmFactory::default()
        .build(config("ftp://nope", PASSWORD))
        .err();
    assert!(
        matches!(refused, Some(ConnectorError::Invalid { .. })),
        "{refused:?}"
    );
}
