//! Broken peers for fault tests: an upstream that misbehaves at the TCP level, and a relay
//! in front of a database that can be cut and restored.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// How a [`FaultyUpstream`] treats every connection.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Reads the request and never answers.
    Silent,
    /// Answers `200 ok` after this delay.
    Slow(Duration),
    /// Reads the request, then resets the connection (RST) without answering.
    ResetBeforeResponse,
    /// Sends the status line, headers and 100 of 1000 announced body bytes, then resets.
    ResetMidBody,
    /// Sends the status line, headers and 100 of 1000 announced body bytes, then stalls.
    StallMidBody,
}

/// An HTTP/1.1 upstream that fails in one chosen way.
pub struct FaultyUpstream {
    /// Base URL.
    pub url: String,
    task: AbortHandle,
}

/// The head sent before a truncated body.
const PARTIAL_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n";

impl FaultyUpstream {
    /// Starts it on a free loopback port.
    pub async fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, fault));
            }
        })
        .abort_handle();
        Self { url, task }
    }
}

impl Drop for FaultyUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, fault: Fault) {
    if read_head(&mut stream).await.is_none() {
        return;
    }
    match fault {
        Fault::Silent => tokio::time::sleep(Duration::from_secs(600)).await,
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                .await;
        }
        Fault::ResetBeforeResponse => reset(stream),
        Fault::ResetMidBody | Fault::StallMidBody => {
            let _ = stream.write_all(PARTIAL_HEAD).await;
            let _ = stream.write_all(&[b'x'; 100]).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            if matches!(fault, Fault::ResetMidBody) {
                reset(stream);
            } else {
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
        }
    }
}

/// Closes with RST instead of FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Reads up to the end of the request head (bodies are not expected).
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(head)
}

/// A TCP relay (e.g. in front of PostgreSQL) that can be cut: while cut, open relayed
/// connections are closed and new ones are accepted and closed at once.
pub struct TcpRelay {
    /// The relay's loopback port.
    pub port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    task: AbortHandle,
}

impl TcpRelay {
    /// Relays a free loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                conns2.lock().unwrap().push(relay.abort_handle());
            }
        })
        .abort_handle();
        Self {
            port,
            up,
            conns,
            task,
        }
    }

    /// Closes every relayed connection and refuses new ones (accept, then close).
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for conn in self.conns.lock().unwrap().drain(..) {
            conn.abort();
        }
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpRelay {
    fn drop(&mut self) {
        self.cut();
        self.task.abort();
    }
}
