//! A small SMTP sink for alert tests: plain SMTP on `127.0.0.1`, accepting every
//! message (and any `AUTH PLAIN`), recording each with its envelope and the login it
//! was given.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use crate::support::wait;

/// One message the sink took.
#[derive(Debug, Clone, Default)]
pub struct SmtpMessage {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The data (headers and body), dot-unstuffed.
    pub data: String,
    /// The base64 `AUTH PLAIN` argument, if the client logged in.
    pub auth: Option<String>,
}

/// A running sink.
#[derive(Clone)]
pub struct SmtpSink {
    /// The port it listens on.
    pub port: u16,
    messages: Arc<Mutex<Vec<SmtpMessage>>>,
}

impl SmtpSink {
    /// Starts a sink on a free loopback port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().expect("sink address").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, kept.clone()));
            }
        });
        SmtpSink { port, messages }
    }

    /// The messages taken so far.
    pub fn messages(&self) -> Vec<SmtpMessage> {
        self.messages.lock().expect("sink lock").clone()
    }

    /// Waits until the sink has taken `n` messages; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<SmtpMessage> {
        wait::at_least("emails", n, || self.messages()).await
    }
}

/// One SMTP conversation.
async fn session(socket: TcpStream, messages: Arc<Mutex<Vec<SmtpMessage>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut current = SmtpMessage::default();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250 AUTH PLAIN\r\n"
        } else if upper.starts_with("AUTH PLAIN") {
            current.auth = line.get(11..).map(str::to_string);
            b"235 2.7.0 accepted\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            current.from = address(&line);
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            current.to.push(address(&line));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            current.data = data;
            let auth = current.auth.clone();
            messages
                .lock()
                .expect("sink lock")
                .push(std::mem::take(&mut current));
            current.auth = auth;
            b"250 2.0.0 queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address(line: &str) -> String {
    line.split(['<', '>'])
        .nth(1)
        .unwrap_or_default()
        .to_string()
}
