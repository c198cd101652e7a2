//! A fake Twilio Messages API: a real HTTP server on 127.0.0.1 (port 0) that records every
//! request and answers as told (201, a Twilio error JSON, or slowly).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket::serde::json::Value;
use rocket::{State, post, routes};
use tokio::sync::oneshot;

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000test";
pub const AUTH_TOKEN: &str = "fake-auth-token";

#[derive(Debug, Clone)]
pub struct SentMessage {
    pub account_sid: String,
    pub authorization_ok: bool,
    pub fields: HashMap<String, String>,
}

impl SentMessage {
    pub fn to(&self) -> &str {
        self.fields.get("To").map_or("", String::as_str)
    }

    pub fn body(&self) -> &str {
        self.fields.get("Body").map_or("", String::as_str)
    }

    /// The 6-digit code in the message's first line.
    pub fn code(&self) -> Option<String> {
        let first = self.body().lines().next()?;
        first
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .map(str::to_string)
    }
}

/// How the fake answers the next requests.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Accept,
    /// HTTP status plus Twilio's `code` and `message`.
    Fail {
        status: u16,
        code: u32,
        message: String,
    },
    /// Waits this long before accepting (timeouts).
    Delay(Duration),
}

#[derive(Default)]
struct Inner {
    messages: Vec<SentMessage>,
    behaviour: Option<Behaviour>,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

struct BasicAuth(Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for BasicAuth {
    type Error = ();
    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Self(
            request.headers().get_one("Authorization").map(str::to_string),
        ))
    }
}

#[post("/2010-04-01/Accounts/<sid>/Messages.json", data = "<form>")]
async fn create_message(
    sid: &str,
    form: Form<HashMap<String, String>>,
    auth: BasicAuth,
    inner: &State<Arc<Mutex<Inner>>>,
) -> (Status, Value) {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    let message = SentMessage {
        account_sid: sid.to_string(),
        authorization_ok: auth.0.as_deref() == Some(expected.as_str()),
        fields: form.into_inner(),
    };
    let behaviour = {
        let mut guard = inner.lock().expect("fake twilio lock");
        guard.messages.push(message.clone());
        guard.behaviour.clone().unwrap_or(Behaviour::Accept)
    };
    match behaviour {
        Behaviour::Fail {
            status,
            code,
            message,
        } => (
            Status::new(status),
            rocket::serde::json::json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
        ),
        other => {
            if let Behaviour::Delay(wait) = other {
                tokio::time::sleep(wait).await;
            }
            (
                Status::Created,
                rocket::serde::json::json!({
                    "sid": "SM00000000000000000000000000000001",
                    "status": "queued",
                    "to": message.to(),
                    "body": message.body(),
                }),
            )
        }
    }
}

/// Twilio's account resource: what `outcomes check` reads to prove the credentials.
#[rocket::get("/2010-04-01/Accounts/<sid_json>")]
fn fetch_account(sid_json: &str, auth: BasicAuth) -> (Status, Value) {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if auth.0.as_deref() != Some(expected.as_str()) {
        return (
            Status::Unauthorized,
            rocket::serde::json::json!({"code": 20003, "message": "Authenticate", "status": 401}),
        );
    }
    if sid_json != format!("{ACCOUNT_SID}.json") {
        return (
            Status::NotFound,
            rocket::serde::json::json!({"code": 20404, "message": "Not found", "status": 404}),
        );
    }
    (
        Status::Ok,
        rocket::serde::json::json!({"sid": ACCOUNT_SID, "status": "active"}),
    )
}

impl FakeTwilio {
    pub async fn start() -> Self {
        // Our logger before this Rocket's (see `secrets`).
        super::secrets::log_file();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (tx, rx) = oneshot::channel();
        let tx = Mutex::new(Some(tx));
        let figment = rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", "off"))
            .merge(("secret_key", super::SECRET_KEY))
            .merge(("template_dir", "templates"));
        let rocket = rocket::custom(figment)
            .manage(inner.clone())
            .mount("/", routes![create_message, fetch_account])
            .attach(AdHoc::on_liftoff("port", move |r| {
                let port = r.config().port;
                Box::pin(async move {
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(port);
                    }
                })
            }));
        tokio::spawn(async move {
            let _ = rocket.launch().await;
        });
        let port = rx.await.expect("fake twilio port");
        Self {
            base: format!("http://127.0.0.1:{port}"),
            inner,
        }
    }

    pub fn messages(&self) -> Vec<SentMessage> {
        self.inner.lock().map(|g| g.messages.clone()).unwrap_or_default()
    }

    pub fn count(&self) -> usize {
        self.messages().len()
    }

    /// The code in the newest message sent to `phone` (E.164).
    pub fn last_code_to(&self, phone: &str) -> Option<String> {
        self.messages()
            .iter()
            .rev()
            .find(|m| m.to() == phone)
            .and_then(SentMessage::code)
    }

    pub fn behave(&self, behaviour: Behaviour) {
        if let Ok(mut guard) = self.inner.lock() {
            guard.behaviour = Some(behaviour);
        }
    }
}
