//! Confirmation pages for the actions that cannot be undone with one click (SPEC §3.3): close
//! an episode, deactivate, reset a client's password, revoke every device, reset second
//! factors. Each GET shows what will happen and a POST button to the action's own route; the
//! client and staff pages link here instead of acting at once.

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::SignedIn;
use crate::auth::{ManagerUser, StaffUser};
use crate::domain::{ClientId, StaffId};
use crate::error::AppError;
use crate::services::{clients, outcomes, staff};
use crate::state::AppState;
use crate::views::Layout;

/// One confirmation: what it does, in sentences, and where the button posts.
#[derive(Serialize)]
pub struct ConfirmPage {
    layout: Layout,
    /// Whose record: "Casey Client".
    person: String,
    lines: Vec<String>,
    action: String,
    button: String,
    cancel: String,
    /// Why it cannot be done now (the button is then left out).
    blocked: Option<String>,
}

pub fn confirm_page(actor: &SignedIn, what: Confirm<'_>) -> Template {
    Template::render(
        "confirm",
        ConfirmPage {
            layout: Layout::new(actor, what.title),
            person: what.person.to_string(),
            lines: what.lines.iter().map(|l| (*l).to_string()).collect(),
            action: what.action,
            button: what.button.to_string(),
            cancel: what.cancel,
            blocked: what.blocked,
        },
    )
}

/// The words and addresses of one confirmation.
pub struct Confirm<'a> {
    pub title: &'a str,
    pub person: &'a str,
    pub lines: &'a [&'a str],
    pub action: String,
    pub button: &'a str,
    pub cancel: String,
    pub blocked: Option<String>,
}

pub const ALERT_OPEN: &str = "This client has a safety alert that nobody has marked as seen. Open the client's page, follow your practice's safety procedure and mark the alert as seen; then the episode can be closed.";

#[get("/clients/<id>/episodes/close")]
async fn close_episode(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    let blocked = outcomes::has_open_alert(&state.db, &client)
        .await?
        .then(|| ALERT_OPEN.to_string());
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Close this episode?",
            person: &client.full_name,
            lines: &[
                "The episode's ratings stay on the client's page and in the statistics of closed episodes.",
                "The next rating starts a new episode at session 1, with a new intake and expected trajectory.",
            ],
            action: format!("/clients/{id}/episodes/close"),
            button: "Close the episode",
            cancel: format!("/clients/{id}#progress"),
            blocked,
        },
    ))
}

#[get("/clients/<id>/deactivate")]
async fn deactivate_client(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Deactivate this client?",
            person: &client.full_name,
            lines: &[
                "The client is signed out everywhere and can no longer sign in; their registered devices are revoked.",
                "Their ratings are kept. You can reactivate them later from their page.",
            ],
            action: format!("/clients/{id}/deactivate"),
            button: "Deactivate the client",
            cancel: format!("/clients/{id}"),
            blocked: None,
        },
    ))
}

#[get("/clients/<id>/password")]
async fn reset_password(
    state: &State<AppState>,
    actor: StaffUser,
    id: ClientId,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Make a new password?",
            person: &client.full_name,
            lines: &[
                "A new password is made and shown once, on the next page, to give to the client.",
                "The old password stops working, and the client is signed out on every device.",
            ],
            action: format!("/clients/{id}/password"),
            button: "Make a new password",
            cancel: format!("/clients/{id}"),
            blocked: None,
        },
    ))
}

const REVOKE_LINES: &[&str] = &[
    "Every browser and app where they entered a code stops counting as registered.",
    "At their next sign-in on each device they are asked for a code again.",
];

const RESET_LINES: &[&str] = &[
    "Their authenticator app and recovery codes stop working, their devices are revoked and they are signed out.",
    "They set up their second factors again at their next sign-in, and are told by e-mail.",
];

#[get("/clients/<id>/devices/revoke")]
async fn revoke_client(
    state: &State<AppState>,
    actor: ManagerUser,
    id: ClientId,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Revoke every device?",
            person: &client.full_name,
            lines: REVOKE_LINES,
            action: format!("/clients/{id}/devices/revoke"),
            button: "Revoke every device",
            cancel: format!("/clients/{id}"),
            blocked: None,
        },
    ))
}

#[get("/clients/<id>/two-factor/reset")]
async fn reset_client(
    state: &State<AppState>,
    actor: ManagerUser,
    id: ClientId,
) -> Result<Template, AppError> {
    let client = clients::find(&state.db, &actor, id).await?;
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Reset second factors?",
            person: &client.full_name,
            lines: RESET_LINES,
            action: format!("/clients/{id}/two-factor/reset"),
            button: "Reset second factors",
            cancel: format!("/clients/{id}"),
            blocked: None,
        },
    ))
}

#[get("/staff/<id>/deactivate")]
async fn deactivate_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
) -> Result<Template, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    let blocked = (target.id == actor.user.id).then(|| "You cannot deactivate yourself.".to_string());
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Deactivate this staff member?",
            person: &target.full_name,
            lines: &[
                "They are signed out everywhere and can no longer sign in; their registered devices are revoked.",
                "Their clients stay with them until you move them to another provider.",
            ],
            action: format!("/staff/{id}/deactivate"),
            button: "Deactivate",
            cancel: format!("/staff/{id}"),
            blocked,
        },
    ))
}

#[get("/staff/<id>/devices/revoke")]
async fn revoke_staff(
    state: &State<AppState>,
    actor: ManagerUser,
    id: StaffId,
) -> Result<Template, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Revoke every device?",
            person: &target.full_name,
            lines: REVOKE_LINES,
            action: format!("/staff/{id}/devices/revoke"),
            button: "Revoke every device",
            cancel: format!("/staff/{id}"),
            blocked: None,
        },
    ))
}

#[get("/staff/<id>/two-factor/reset")]
async fn reset_staff(state: &State<AppState>, actor: ManagerUser, id: StaffId) -> Result<Template, AppError> {
    let target = staff::find_managed(&state.db, &actor, id).await?;
    let blocked = (target.id == actor.user.id)
        .then(|| "Change your own second factors on the Security page.".to_string());
    Ok(confirm_page(
        &actor,
        Confirm {
            title: "Reset second factors?",
            person: &target.full_name,
            lines: RESET_LINES,
            action: format!("/staff/{id}/two-factor/reset"),
            button: "Reset second factors",
            cancel: format!("/staff/{id}"),
            blocked,
        },
    ))
}

pub fn routes() -> Vec<Route> {
    routes![
        close_episode,
        deactivate_client,
        reset_password,
        revoke_client,
        reset_client,
        deactivate_staff,
        revoke_staff,
        reset_staff
    ]
}
