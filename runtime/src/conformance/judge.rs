//! Sending one case through the gateway and judging the answer.

use std::time::{Duration, Instant};

use axum::Router;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::cases::{Case, Expect, SPOOFED_USER};
use super::report::CheckOutcome;
use super::upstream::Recorder;
use super::KitOptions;

/// The largest response body the kit reads.
const MAX_BODY: usize = 4 << 20;

/// What the kit knows that must never show up in a refusal, and who good credentials are.
pub(crate) struct Judge {
    secrets: Vec<Vec<u8>>,
    expect_user: Option<String>,
    identity_header: String,
}

/// One answer as the client saw it.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Judge {
    pub fn new(options: &KitOptions, identity_header: &str) -> Self {
        let mut secrets = Vec::new();
        for (_, value) in &options.good {
            let value = value.as_bytes();
            secrets.push(value.to_vec());
            // The credential itself, as in `Bearer <token>`.
            if let Some(last) = value.rsplit(|b| *b == b' ').next() {
                secrets.push(last.to_vec());
            }
        }
        // Secret settings (by name) must not be echoed either.
        let secret_name = |k: &str| {
            let k = k.to_ascii_lowercase();
            ["key", "secret", "token", "password"]
                .iter()
                .any(|s| k.contains(s))
        };
        secrets.extend(
            options
                .settings
                .iter()
                .filter(|(k, _)| secret_name(k))
                .map(|(_, v)| v.as_bytes().to_vec()),
        );
        secrets.retain(|s| s.len() >= 4);
        Self {
            secrets,
            expect_user: options.expect_user.clone(),
            identity_header: identity_header.to_ascii_lowercase(),
        }
    }

    /// Every reason `answer` (with `forwarded` upstream requests) breaks `expect`.
    fn problems(&self, expect: Expect, answer: &Answer, upstream: &[HeaderMap]) -> Vec<String> {
        let mut problems = Vec::new();
        let status = answer.status.as_u16();
        match expect {
            Expect::Refused => {
                if status != 401 {
                    problems.push(format!(
                        "expected 401, got {status}{}",
                        snippet(&answer.body)
                    ));
                }
                let challenge = answer.headers.get(http::header::WWW_AUTHENTICATE);
                if challenge.is_none_or(|c| c.as_bytes().trim_ascii().is_empty()) {
                    problems.push("no WWW-Authenticate challenge".into());
                }
                problems.extend(self.leaks(answer));
            }
            Expect::NotAdmitted => {
                if status < 400 {
                    problems.push(format!("expected a refusal, got {status}"));
                }
                problems.extend(self.leaks(answer));
            }
            Expect::HostRefused(want) if status != want => {
                problems.push(format!("expected {want} from the host, got {status}"));
            }
            Expect::HostRefused(_) => {}
            Expect::Admitted => return self.admission_problems(answer, upstream),
        }
        if !upstream.is_empty() {
            problems.push(format!(
                "the upstream was called {} time(s)",
                upstream.len()
            ));
        }
        problems
    }

    fn admission_problems(&self, answer: &Answer, upstream: &[HeaderMap]) -> Vec<String> {
        let status = answer.status.as_u16();
        if status != 200 || upstream.len() != 1 {
            return vec![format!(
                "expected a forwarded request, got {status}{} and {} upstream call(s)",
                snippet(&answer.body),
                upstream.len()
            )];
        }
        let seen = &upstream[0];
        let user = seen
            .get(self.identity_header.as_str())
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut problems = Vec::new();
        match (&user, &self.expect_user) {
            (None, _) => problems.push("the upstream got no identity header".into()),
            (Some(u), _) if u == SPOOFED_USER => {
                problems.push("the client-set identity header reached the upstream".into())
            }
            (Some(u), Some(want)) if u != want => {
                problems.push(format!("ran as user {u:?}, expected {want:?}"))
            }
            _ => {}
        }
        if seen.get_all(self.identity_header.as_str()).iter().count() > 1 {
            problems.push("the upstream got several identity headers".into());
        }
        if seen.contains_key(http::header::AUTHORIZATION) {
            problems.push("the Authorization header reached the upstream".into());
        }
        problems
    }

    /// Credentials, the user name or the identity header in a refusal.
    fn leaks(&self, answer: &Answer) -> Vec<String> {
        let mut problems = Vec::new();
        if answer.headers.contains_key(self.identity_header.as_str()) {
            problems.push("the refusal carries the identity header".into());
        }
        let mut texts: Vec<&[u8]> = vec![&answer.body];
        texts.extend(answer.headers.values().map(|v| v.as_bytes()));
        let mut needles: Vec<(&[u8], &str)> = self
            .secrets
            .iter()
            .map(|s| (s.as_slice(), "the credentials or a secret setting"))
            .collect();
        if let Some(user) = self.expect_user.as_deref().filter(|u| u.len() >= 3) {
            needles.push((user.as_bytes(), "the user name"));
        }
        for (needle, what) in needles {
            if texts.iter().any(|t| contains(t, needle)) {
                problems.push(format!("the refusal contains {what}"));
            }
        }
        problems
    }
}

/// Sends `case` through `router` and judges the answer.
pub(crate) async fn run_case(
    router: &Router,
    upstream: &Recorder,
    judge: &Judge,
    case: &Case,
) -> CheckOutcome {
    upstream.clear();
    let started = Instant::now();
    let answer = send(router, case).await;
    let elapsed = started.elapsed();
    let problems = match &answer {
        Ok(answer) => judge.problems(case.expect, answer, &upstream.seen()),
        Err(e) => vec![e.clone()],
    };
    let status = answer.as_ref().ok().map(|a| a.status.as_u16());
    CheckOutcome::new(case, status, elapsed, problems)
}

/// Alternates good and bad requests: each must be judged on its own (no state survives).
pub(crate) async fn burst(
    router: &Router,
    upstream: &Recorder,
    judge: &Judge,
    good: &[(HeaderName, HeaderValue)],
) -> CheckOutcome {
    let summary = Case::new(
        "alternating",
        "20 requests alternating good and no credentials",
        Expect::Admitted,
    );
    let mut slowest = Duration::ZERO;
    let mut problems = Vec::new();
    for i in 0..20 {
        let case = match i % 2 {
            0 => Case::new("good", "", Expect::Admitted).with_headers(good),
            _ => Case::new("bad", "", Expect::Refused),
        };
        let outcome = run_case(router, upstream, judge, &case).await;
        slowest = slowest.max(outcome.elapsed);
        if let Some(failure) = outcome.failure {
            problems.push(format!("request {i}: {failure}"));
            break;
        }
    }
    CheckOutcome::new(&summary, None, slowest, problems)
}

/// Runs one request through the router and reads the whole answer.
async fn send(router: &Router, case: &Case) -> Result<Answer, String> {
    let response = router
        .clone()
        .oneshot(super::request(case))
        .await
        .map_err(|e| format!("the gateway failed: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = http_body_util::Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("cannot read the answer: {e}"))?
        .to_bytes()
        .to_vec();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// `, body "<first bytes>"` for error messages (escaped, shortened).
fn snippet(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let text: String = String::from_utf8_lossy(&body[..body.len().min(120)])
        .escape_debug()
        .collect();
    format!(" (body \"{text}\")")
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
