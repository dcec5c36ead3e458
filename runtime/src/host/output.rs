//! Capture of plugin stdout/stderr: bounded, never trapping, logged after each call.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Both output streams of one instance, sharing one byte budget.
#[derive(Clone)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

struct Captured {
    budget: usize,
    lines: Vec<(&'static str, Vec<u8>)>,
    truncated: bool,
}

impl CapturedOutput {
    /// An empty capture that keeps at most `budget` bytes in total.
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Captured {
                budget,
                lines: Vec::new(),
                truncated: false,
            })),
        }
    }

    /// A WASI output stream that appends to this capture under `name`.
    pub fn stream(&self, name: &'static str) -> CaptureStream {
        CaptureStream {
            name,
            capture: self.clone(),
        }
    }

    fn append(&self, name: &'static str, bytes: &[u8]) {
        let mut captured = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let take = bytes.len().min(captured.budget);
        if take < bytes.len() {
            captured.truncated = true;
        }
        captured.budget -= take;
        if take == 0 {
            return;
        }
        match captured.lines.last_mut() {
            Some((last, buf)) if *last == name => buf.extend_from_slice(&bytes[..take]),
            _ => captured.lines.push((name, bytes[..take].to_vec())),
        }
    }

    /// Everything written, as (stream name, text) pairs, and whether output was dropped.
    pub fn take(&self) -> (Vec<(&'static str, String)>, bool) {
        let mut captured = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let lines = std::mem::take(&mut captured.lines)
            .into_iter()
            .map(|(name, bytes)| (name, String::from_utf8_lossy(&bytes).into_owned()))
            .collect();
        (lines, captured.truncated)
    }
}

/// One of a plugin's output streams (stdout or stderr).
#[derive(Clone)]
pub struct CaptureStream {
    name: &'static str,
    capture: CapturedOutput,
}

impl IsTerminal for CaptureStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CaptureStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for CaptureStream {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.capture.append(self.name, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CaptureStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CaptureStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.capture.append(self.name, buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
