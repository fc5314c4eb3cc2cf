//! A loopback port nobody listens on, for tests of an unreachable CRM: the port is held
//! by a socket that is bound but never listens, so a connection to it is refused and no
//! other process can take it while the test runs.

use std::net::SocketAddr;

use tokio::net::TcpSocket;

/// Holds a port bound and not listening; the port is free again once this is dropped.
pub struct ClosedPort {
    _socket: TcpSocket,
}

/// A loopback address that refuses connections for as long as the guard lives (keep it
/// in a variable for the whole test, not `_`).
pub fn closed_port() -> (ClosedPort, SocketAddr) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("literal address"))
        .expect("bound");
    let addr = socket.local_addr().expect("bound address");
    (ClosedPort { _socket: socket }, addr)
}
