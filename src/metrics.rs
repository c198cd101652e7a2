//! `GET /metrics` (SPEC §5): this instance's counters in the Prometheus text format — requests
//! by route and status, sign-ins by factor, codes sent and failed, mail waiting and failed.
//! Off (404) unless `metrics_token` is set; then it needs `Authorization: Bearer <token>`.
//! Counters are per process, as Prometheus expects: it scrapes every instance and adds them up.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::{Catcher, Request, Response, Route, State, catch, catchers, get, routes};
use subtle::ConstantTimeEq;

use crate::state::AppState;

#[derive(Default)]
pub struct Metrics {
    /// (method, route pattern, status) → answers.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// Factors as audited (`password+sms`, `passkey`, …) → sign-ins.
    sign_ins: Mutex<BTreeMap<String, u64>>,
    codes_sent: AtomicU64,
    codes_failed: AtomicU64,
    mail_sent: AtomicU64,
    mail_failed: AtomicU64,
    /// (export, `batch` | `complete` | `stopped`) → batches read, exports read to the end,
    /// exports dropped before it (the client went away).
    exports: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

/// One streaming export under way (`ratings`, `audit`): counts each batch it reads, and when it
/// is dropped whether it reached the end. A client that disconnects drops the response stream
/// and with it this watch, so `stopped` shows that the reading ended with the connection.
pub struct ExportWatch {
    metrics: Arc<Metrics>,
    export: &'static str,
    complete: bool,
}

impl ExportWatch {
    pub fn new(metrics: Arc<Metrics>, export: &'static str) -> Self {
        Self {
            metrics,
            export,
            complete: false,
        }
    }

    /// A batch was read from the database.
    pub fn batch(&self) {
        self.metrics.export_event(self.export, "batch");
    }

    /// The last row was read.
    pub fn complete(&mut self) {
        self.complete = true;
    }
}

impl Drop for ExportWatch {
    fn drop(&mut self) {
        let end = if self.complete { "complete" } else { "stopped" };
        self.metrics.export_event(self.export, end);
    }
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
    }

    pub fn sign_in(&self, factors: &str) {
        if let Ok(mut map) = self.sign_ins.lock() {
            *map.entry(factors.to_string()).or_default() += 1;
        }
    }

    pub fn code(&self, sent: bool) {
        let counter = if sent {
            &self.codes_sent
        } else {
            &self.codes_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One try of the outbox's at sending a mail.
    pub fn mail_done(&self, sent: bool) {
        let counter = if sent { &self.mail_sent } else { &self.mail_failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn export_event(&self, export: &'static str, event: &'static str) {
        if let Ok(mut map) = self.exports.lock() {
            *map.entry((export, event)).or_default() += 1;
        }
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub fn render(&self, outbox_depth: u64) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "outcomes_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route and status.",
        );
        if let Ok(map) = self.requests.lock() {
            for ((method, route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "outcomes_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(method),
                    label(route)
                );
            }
        }
        family(
            &mut out,
            "outcomes_sign_ins_total",
            "counter",
            "Completed sign-ins, by the factors used.",
        );
        if let Ok(map) = self.sign_ins.lock() {
            for (factors, n) in map.iter() {
                let _ = writeln!(
                    out,
                    "outcomes_sign_ins_total{{factor=\"{}\"}} {n}",
                    label(factors)
                );
            }
        }
        let exports: Vec<((&str, &str), u64)> = self
            .exports
            .lock()
            .map(|map| map.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default();
        family(
            &mut out,
            "outcomes_export_batches_total",
            "counter",
            "Batches of rows the streaming CSV exports read, by export.",
        );
        for ((export, _), n) in exports.iter().filter(|((_, e), _)| *e == "batch") {
            let _ = writeln!(out, "outcomes_export_batches_total{{export=\"{export}\"}} {n}");
        }
        family(
            &mut out,
            "outcomes_exports_total",
            "counter",
            "Streaming CSV exports ended, by export and end (complete, or stopped: the client went away).",
        );
        for ((export, end), n) in exports.iter().filter(|((_, e), _)| *e != "batch") {
            let _ = writeln!(
                out,
                "outcomes_exports_total{{export=\"{export}\",end=\"{end}\"}} {n}"
            );
        }
        let simple = [
            (
                "outcomes_codes_sent_total",
                "counter",
                "Sign-in codes handed to the SMS provider.",
                self.codes_sent.load(Ordering::Relaxed) as i64,
            ),
            (
                "outcomes_codes_failed_total",
                "counter",
                "Sign-in codes the SMS provider refused or never took.",
                self.codes_failed.load(Ordering::Relaxed) as i64,
            ),
            (
                "outcomes_mail_outbox_depth",
                "gauge",
                "Texts and e-mails in the durable outbox waiting to be sent (all instances).",
                outbox_depth as i64,
            ),
            (
                "outcomes_mail_sent_total",
                "counter",
                "E-mails delivered to the mail server or folder.",
                self.mail_sent.load(Ordering::Relaxed) as i64,
            ),
            (
                "outcomes_mail_failed_total",
                "counter",
                "E-mail tries the mail server did not take (the outbox retries them).",
                self.mail_failed.load(Ordering::Relaxed) as i64,
            ),
        ];
        for (name, kind, help, value) in simple {
            family(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value with `\`, `"` and newlines escaped, as the format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Counts every answer by the route that produced it (its pattern, so ids do not make series).
pub struct RequestCounter;

#[rocket::async_trait]
impl Fairing for RequestCounter {
    fn info(&self) -> Info {
        Info {
            name: "Request metrics",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Some(state) = request.rocket().state::<AppState>() else {
            return;
        };
        let route = request
            .route()
            .map_or_else(|| "unmatched".to_string(), |r| r.uri.to_string());
        state
            .metrics
            .request(request.method().as_str(), &route, response.status().code);
    }
}

/// The scraper, proven by `metrics_token`.
pub struct Scraper;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Scraper {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = request.rocket().state::<AppState>() else {
            return Outcome::Error((Status::ServiceUnavailable, ()));
        };
        let Some(token) = &state.settings.metrics_token else {
            return Outcome::Error((Status::NotFound, ()));
        };
        let given = request
            .headers()
            .get_one("Authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        // SECURITY: constant-time comparison; the token guards operational detail.
        if bool::from(given.as_bytes().ct_eq(token.expose().as_bytes())) {
            Outcome::Success(Self)
        } else {
            Outcome::Error((Status::Unauthorized, ()))
        }
    }
}

#[get("/metrics")]
async fn metrics(
    _scraper: Scraper,
    state: &State<AppState>,
) -> Result<(ContentType, String), crate::error::AppError> {
    let depth = crate::services::outbox::pending_total(&state.db).await?;
    let kind = ContentType::new("text", "plain").with_params([("version", "0.0.4"), ("charset", "utf-8")]);
    Ok((kind, state.metrics.render(depth)))
}

pub fn routes() -> Vec<Route> {
    routes![metrics]
}

/// A scraper is not a person: a wrong token is a plain 401, not the sign-in page.
#[derive(rocket::Responder)]
#[response(status = 401, content_type = "text")]
struct Unauthorized {
    message: &'static str,
    challenge: rocket::http::Header<'static>,
}

#[catch(401)]
fn unauthorized() -> Unauthorized {
    Unauthorized {
        message: "GET /metrics needs Authorization: Bearer <metrics_token>\n",
        challenge: rocket::http::Header::new("WWW-Authenticate", "Bearer"),
    }
}

pub fn catchers() -> Vec<Catcher> {
    catchers![unauthorized]
}
