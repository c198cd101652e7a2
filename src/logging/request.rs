//! One log line per request, with an id that is also the `X-Request-Id` answer header: method,
//! path (redacted: no query, no link token), matched route, status, time to the answer's head in
//! milliseconds and the client's address as `auth::guards::client_address` resolves it.
//!
//! An incoming `X-Request-Id` is kept only from a trusted proxy (`trusted_proxies`) and only when
//! it is a short safe token; anyone else's is replaced, so a client cannot forge or inject lines.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

use super::{Format, redact};
use crate::auth::guards::client_address;
use crate::auth::tokens::random_token;
use crate::state::AppState;

pub const HEADER: &str = "X-Request-Id";

/// What the request's start left for its end.
struct Trace {
    id: String,
    start: Instant,
    /// The path as asked, before any fairing rewrote it (step-up).
    raw_path: String,
}

/// Whether an incoming id may be kept: 1 to 64 letters, digits, `-`, `_` or `.`.
pub fn is_safe_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn incoming_id(request: &Request<'_>, state: Option<&AppState>) -> Option<String> {
    let given = request.headers().get_one(HEADER)?;
    let peer = request.remote()?.ip();
    let proxies = state.map_or(&[][..], |s| s.settings.trusted_proxies.as_slice());
    let from_proxy = proxies.iter().any(|net| net.contains(&peer));
    (from_proxy && is_safe_id(given)).then(|| given.to_string())
}

fn trace<'r>(request: &'r Request<'_>) -> &'r Trace {
    request.local_cache(|| Trace {
        id: random_token::<8>(),
        start: Instant::now(),
        raw_path: request.uri().path().as_str().to_string(),
    })
}

/// This request's id (for error lines about it).
pub fn id(request: &Request<'_>) -> String {
    trace(request).id.clone()
}

/// The request's path as the log may show it.
pub fn safe_path(request: &Request<'_>) -> String {
    let route = request.route().map(|r| r.uri.to_string());
    redact::path(&trace(request).raw_path, route.as_deref())
}

pub struct RequestLog;

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "Request log and X-Request-Id",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        let state = request.rocket().state::<AppState>();
        let id = incoming_id(request, state).unwrap_or_else(random_token::<8>);
        let raw_path = request.uri().path().as_str().to_string();
        request.local_cache(|| Trace {
            id,
            start: Instant::now(),
            raw_path,
        });
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let trace = trace(request);
        response.set_header(Header::new(HEADER, trace.id.clone()));
        if !super::requests_enabled() {
            return;
        }
        let state = request.rocket().state::<AppState>();
        let format = state.map_or(Format::Text, |s| s.settings.log_format);
        let proxies = state.map_or(&[][..], |s| s.settings.trusted_proxies.as_slice());
        let ip = client_address(request, proxies).map_or_else(|| "-".to_string(), |ip| ip.to_string());
        let route = request
            .route()
            .map_or_else(|| "unmatched".to_string(), |r| r.uri.to_string());
        let line = Line {
            id: &trace.id,
            method: request.method().as_str(),
            path: &redact::path(&trace.raw_path, Some(&route)),
            route: &redact::path(&route, None),
            status: response.status().code,
            millis: trace.start.elapsed().as_secs_f64() * 1000.0,
            ip: &ip,
        };
        super::write_request(&line.render(format));
    }
}

struct Line<'a> {
    id: &'a str,
    method: &'a str,
    path: &'a str,
    route: &'a str,
    status: u16,
    millis: f64,
    ip: &'a str,
}

impl Line<'_> {
    fn render(&self, format: Format) -> String {
        let time = super::now();
        match format {
            Format::Text => format!(
                "{time} INFO  outcomes::request: {} {} {} {} {:.1} ms ip={} route={}\n",
                self.id, self.method, self.path, self.status, self.millis, self.ip, self.route
            ),
            Format::Json => {
                let object = serde_json::json!({
                    "time": time,
                    "level": "info",
                    "target": "outcomes::request",
                    "request_id": self.id,
                    "method": self.method,
                    "path": self.path,
                    "route": self.route,
                    "status": self.status,
                    "duration_ms": (self.millis * 1000.0).round() / 1000.0,
                    "ip": self.ip,
                });
                format!("{object}\n")
            }
        }
    }
}
