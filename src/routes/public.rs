//! The front door and the health check.

use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{Route, State, get, routes};

use crate::auth::MaybeSignedIn;
use crate::domain::SessionState;
use crate::state::AppState;

/// Staff to the dashboard, clients to their measures, everyone else to sign in.
#[get("/")]
fn index(signed: MaybeSignedIn) -> Redirect {
    let target = match signed.0 {
        Some(signed) if signed.session.state == SessionState::Pending => "/login/verify",
        Some(signed) if signed.session.state == SessionState::Setup => "/login/setup",
        Some(signed) if signed.session.state == SessionState::PasskeySetup => "/login/passkey-setup",
        Some(signed) if signed.role().is_staff() => "/dashboard",
        Some(_) => "/my",
        None => "/login",
    };
    Redirect::to(target)
}

/// Liveness without the database: the process answers (for load balancers and as the
/// benchmarks' bare route).
#[get("/livez")]
fn livez() -> &'static str {
    "ok"
}

#[get("/healthz")]
async fn healthz(state: &State<AppState>) -> (Status, &'static str) {
    match state.db.ping().await {
        Ok(()) => (Status::Ok, "ok"),
        Err(_) => (Status::ServiceUnavailable, "database unavailable"),
    }
}

pub fn routes() -> Vec<Route> {
    routes![index, livez, healthz]
}
