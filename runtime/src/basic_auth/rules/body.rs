//! Bounded buffering of request and response bodies, and putting them back.
//!
//! JSON API requests are buffered (at most [`MAX_JSON_BODY`]) so their parameters can be
//! checked, then forwarded with exactly the bytes that were checked (or with the rewritten
//! body). Artifact uploads are never buffered.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use http::HeaderValue;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::error::{RuleError, RuleResult};

/// Largest JSON request body the rules buffer (10 MiB).
pub const MAX_JSON_BODY: usize = 10 << 20;

/// Largest upstream response a response hook buffers (64 MiB).
pub const MAX_RESPONSE_BODY: usize = 64 << 20;

/// Reads a request body, at most `limit` bytes (413 beyond).
pub async fn buffer_request(
    req: Request,
    limit: usize,
) -> RuleResult<(http::request::Parts, Bytes)> {
    let (parts, body) = req.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        // The gateway-wide cap (chunked bodies) is a nested limit error: also 413.
        Err(err)
            if err.downcast_ref::<LengthLimitError>().is_some()
                || crate::proxy::framing::is_body_too_large(&*err) =>
        {
            Err(RuleError::BodyTooLarge { limit })
        }
        Err(err) => match crate::proxy::body_timeout::body_timed_out(&*err) {
            Some(timeout) => Err(RuleError::BodyTimeout {
                secs: timeout.as_secs(),
            }),
            None => Err(RuleError::BodyUnreadable(err.to_string())),
        },
    }
}

/// Puts a (possibly rewritten) body back into a request, with a matching `Content-Length`.
pub fn rebuild_request(mut parts: http::request::Parts, bytes: Bytes) -> Request {
    parts.headers.remove(TRANSFER_ENCODING);
    if bytes.is_empty() && parts.headers.get(CONTENT_LENGTH).is_none() {
        return Request::from_parts(parts, Body::empty());
    }
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Request::from_parts(parts, Body::from(bytes))
}

/// Replaces a request's body with a JSON document (and says so in `Content-Type`).
pub fn json_request(mut parts: http::request::Parts, json: &serde_json::Value) -> Request {
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    rebuild_request(parts, Bytes::from(json.to_string()))
}

/// Reads an upstream response body, at most `limit` bytes.
pub async fn buffer_response(
    response: Response,
    limit: usize,
) -> Result<(http::response::Parts, Bytes), String> {
    let (parts, body) = response.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(err) => Err(format!("upstream response unreadable: {err}")),
    }
}

/// Puts a (possibly rewritten) body back into a response, with a matching `Content-Length`.
pub fn rebuild_response(mut parts: http::response::Parts, bytes: Bytes) -> Response {
    parts.headers.remove(TRANSFER_ENCODING);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a JSON object response has a 2xx status (hooks act on successes only).
pub fn is_success(response: &Response) -> bool {
    response.status().is_success()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body::Frame;

    use super::*;
    use crate::proxy::body_timeout::IdleTimeout;

    type Chunk = Result<Frame<Bytes>, Box<dyn std::error::Error + Send + Sync>>;

    #[tokio::test]
    async fn a_body_the_client_stops_sending_is_a_408_not_a_400() {
        // One chunk, then nothing (the sender stays open): the gateway's idle timeout fires
        // inside the rules' buffering and must keep its meaning.
        let (mut tx, rx) = futures::channel::mpsc::channel::<Chunk>(1);
        tx.try_send(Ok(Frame::data(Bytes::from_static(b"{\"a\""))))
            .unwrap();
        let stalled = IdleTimeout::new(
            http_body_util::StreamBody::new(rx),
            Duration::from_millis(50),
        );
        let req = Request::post("/api/2.0/mlflow/runs/log-batch")
            .body(Body::new(stalled))
            .unwrap();
        let err = buffer_request(req, MAX_JSON_BODY).await.unwrap_err();
        assert!(matches!(err, RuleError::BodyTimeout { secs: 0 }), "{err}");
        drop(tx);
    }
}
