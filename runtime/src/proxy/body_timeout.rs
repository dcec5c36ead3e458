//! Bodies that cannot stall forever: [`IdleTimeout`] fails a body when no piece of it
//! arrives for a given time. Request bodies get `server.body_read_timeout_secs`; upstream
//! response bodies get `server.upstream_timeout_secs`. A failed request body ends the
//! request (408, or the upstream request is aborted); a failed response body closes the
//! client connection, since the status line is already sent.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// A boxed error, as axum bodies use.
type BoxError = Box<dyn StdError + Send + Sync>;

/// The error an [`IdleTimeout`] body yields when it stalled.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("no body data for {0:?}")]
pub struct BodyTimedOut(pub Duration);

/// Wraps a body; yields [`BodyTimedOut`] when the inner body is pending for longer than
/// `timeout` between two frames.
pub struct IdleTimeout<B> {
    inner: B,
    timeout: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    armed: bool,
}

impl<B> IdleTimeout<B> {
    /// Wraps `inner`.
    pub fn new(inner: B, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            sleep: None,
            armed: false,
        }
    }
}

impl<B> Body for IdleTimeout<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.armed = false;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = Instant::now() + this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if !this.armed {
                    sleep.as_mut().reset(deadline);
                    this.armed = true;
                }
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.timeout))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `err` or one of its causes is a [`BodyTimedOut`].
pub fn is_body_timeout(err: &(dyn StdError + 'static)) -> bool {
    body_timed_out(err).is_some()
}

/// The timeout of the [`BodyTimedOut`] among `err` and its causes, if there is one.
pub fn body_timed_out(err: &(dyn StdError + 'static)) -> Option<Duration> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(timed_out) = e.downcast_ref::<BodyTimedOut>() {
            return Some(timed_out.0);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_stalled_body_fails_and_a_flowing_one_passes() {
        let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
        let body = IdleTimeout::new(
            http_body_util::StreamBody::new(rx),
            Duration::from_millis(300),
        );
        let reader = async move {
            match body.collect().await {
                Ok(collected) => Ok(collected.to_bytes()),
                Err(err) => Err((is_body_timeout(err.as_ref()), err.to_string())),
            }
        };
        let writer = async {
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_millis(150)).await;
                tx.try_send(Ok(Frame::data(Bytes::from_static(b"x"))))
                    .unwrap();
            }
        };
        // 600 ms in total but never 300 ms without data; then it stalls (tx stays open).
        let (outcome, ()) = tokio::join!(reader, writer);
        let (timed_out, message) = outcome.unwrap_err();
        assert!(timed_out, "{message}");
        drop(tx);
    }

    #[tokio::test]
    async fn a_complete_body_is_passed_through() {
        let body = IdleTimeout::new(
            http_body_util::Full::new(Bytes::from_static(b"hello")),
            Duration::from_millis(10),
        );
        assert_eq!(body.size_hint().exact(), Some(5));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "hello");
    }
}
