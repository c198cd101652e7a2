//! The single sign-on flows: `/sso/<practice>` (sign in) and `#sso-link` on `/security` (link)
//! start one; the callback checks it and says what happens next. State, nonce and the PKCE
//! verifier stay in the database (any instance can finish what another started); the browser
//! holds the state in a private cookie, so a callback from another browser is refused.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use entities::{account, sso_flow, sso_identity, sso_settings};

use super::oidc::{self, OidcError};
use super::{provider, settings_of};
use crate::auth::RequestMeta;
use crate::auth::guards::SignedIn;
use crate::auth::tokens::{constant_time_eq, sha256_hex};
use crate::domain::sso::SsoMode;
use crate::domain::{Factor, Factors, Role};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::sign_in::FirstFactor;
use crate::state::AppState;

mod identity;

pub use identity::NOT_LINKED;
use identity::{finish_link, link_by_email, linked_user};

/// SECURITY: a flow not finished within 10 minutes is void.
pub const FLOW_SECONDS: i64 = 10 * 60;
/// Sign-ins and links one address may start within `FLOW_SECONDS`.
pub const STARTS_PER_ADDRESS: u64 = 20;
const SIGN_IN: &str = "sign_in";
const LINK: &str = "link";

/// Where to send the browser, and the state its cookie must hold.
pub struct Started {
    pub redirect: String,
    pub state: String,
}

/// A clear "no" with the HTTP status to answer it with; nothing was changed.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refusal(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

const PROVIDER_DOWN: &str = "Your practice's identity provider could not be reached. Try again in a moment, or sign in with your user ID and password.";

/// Starts a sign-in at the practice's provider. `NotFound` for a practice that does not exist or
/// has single sign-on off.
pub async fn start_sign_in(
    state: &AppState,
    practice: &str,
    meta: &RequestMeta,
) -> Result<Result<Started, Refusal>, AppError> {
    let settings = sso_settings::Entity::find()
        .filter(sso_settings::Column::Practice.eq(practice.to_lowercase()))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if SsoMode::from_stored(&settings.mode) == SsoMode::Off {
        return Err(AppError::NotFound);
    }
    start(state, &settings, SIGN_IN, None, meta).await
}

/// Starts linking the signed-in staff member's identity at the practice's provider.
pub async fn start_link(
    state: &AppState,
    signed: &SignedIn,
    meta: &RequestMeta,
) -> Result<Result<Started, Refusal>, AppError> {
    if signed.user.role == Role::Client {
        return Err(AppError::Forbidden);
    }
    let Some(settings) = settings_of(state, signed.account.id).await? else {
        return Err(AppError::NotFound);
    };
    if SsoMode::from_stored(&settings.mode) == SsoMode::Off {
        return Err(AppError::NotFound);
    }
    start(state, &settings, LINK, Some(signed.user.id), meta).await
}

async fn start(
    state: &AppState,
    settings: &sso_settings::Model,
    purpose: &str,
    user_id: Option<i32>,
    meta: &RequestMeta,
) -> Result<Result<Started, Refusal>, AppError> {
    let now = state.now();
    let ip = meta.ip.clone().unwrap_or_default();
    // SECURITY: every start costs a row and a call to the practice's provider, and anyone may
    // open the link: an address that starts too many in a flow's lifetime waits.
    let recent = sso_flow::Entity::find()
        .filter(sso_flow::Column::Ip.eq(ip.as_str()))
        .filter(sso_flow::Column::CreatedAt.gt(now - FLOW_SECONDS))
        .count(&state.db)
        .await?;
    if recent >= STARTS_PER_ADDRESS {
        return Err(AppError::TooMany {
            retry_after: FLOW_SECONDS,
            message: "Too many single sign-on attempts from your network. Wait ten minutes, then try again."
                .into(),
        });
    }
    let provider = provider(state, settings)?;
    let authorization = match oidc::authorize(&state.http, &provider).await {
        Ok(authorization) => authorization,
        Err(error) => {
            refused_audit(
                state,
                settings.account_id,
                meta,
                &format!("provider unreachable: {error:?}"),
            )
            .await?;
            return Ok(Err(refusal(502, PROVIDER_DOWN)));
        }
    };
    sso_flow::ActiveModel {
        state_hash: Set(sha256_hex(&authorization.state)),
        account_id: Set(settings.account_id),
        purpose: Set(purpose.to_string()),
        user_id: Set(user_id),
        nonce: Set(authorization.nonce),
        pkce_verifier: Set(authorization.pkce_verifier),
        issuer: Set(settings.issuer.clone()),
        created_at: Set(now),
        expires_at: Set(now + FLOW_SECONDS),
        used_at: Set(None),
        ip: Set(ip.chars().take(64).collect()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    // Old flows are of no use to anyone: keep the table small.
    sso_flow::Entity::delete_many()
        .filter(sso_flow::Column::ExpiresAt.lt(now - FLOW_SECONDS))
        .exec(&state.db)
        .await?;
    Ok(Ok(Started {
        redirect: authorization.url,
        state: authorization.state,
    }))
}

async fn refused_audit(
    state: &AppState,
    account_id: i32,
    meta: &RequestMeta,
    why: &str,
) -> Result<(), AppError> {
    let mut why: String = why.chars().take(300).collect();
    if why.is_empty() {
        why = "refused".into();
    }
    audit::record(
        &state.db,
        state.now(),
        Event::new("login.failed", "failure")
            .account(account_id)
            .ip(meta.ip.clone())
            .details(format!("single sign-on: {why}")),
    )
    .await
}

/// What the provider sent back to `/login/sso/callback`.
pub struct CallbackQuery<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// How a callback ends.
pub enum Callback {
    /// A staff member proved at the provider: `second_step` says whether the practice's second
    /// step applies on top.
    SignIn {
        first: Box<FirstFactor>,
        second_step: bool,
    },
    /// The signed-in person's identity is now linked.
    Linked,
    Refused(Refusal),
}

/// Checks a callback: the browser's state, the flow (once, in time), the provider's answer,
/// the code exchange and the ID token, then finds (or, by verified e-mail, links) the person.
pub async fn callback(
    state: &AppState,
    query: &CallbackQuery<'_>,
    browser_state: Option<&str>,
    signed: Option<&SignedIn>,
    meta: &RequestMeta,
) -> Result<Callback, AppError> {
    let refused = |status, message: &str| Ok(Callback::Refused(refusal(status, message)));
    // Some providers leave `state` out of an error answer (RFC 6749 asks for it): the refusal
    // is shown all the same, and this browser's own flow ends with it.
    if let (Some(error), None) = (query.error, query.state) {
        let (code, message) = provider_error(error);
        if let Some(kept) = browser_state
            && let Some(flow) = spend(state, kept).await?
        {
            refused_audit(state, flow.account_id, meta, &format!("provider answered {code}")).await?;
        }
        return refused(401, &message);
    }
    let Some(returned) = query.state.filter(|s| !s.is_empty() && s.len() <= 200) else {
        return refused(
            400,
            "This sign-in answer is incomplete. Start again from your practice's sign-in link.",
        );
    };
    // SECURITY: the state must be the one this browser was given (not merely one we issued).
    if !browser_state.is_some_and(|kept| constant_time_eq(kept, returned)) {
        audit::record(
            &state.db,
            state.now(),
            Event::new("login.failed", "failure")
                .ip(meta.ip.clone())
                .details("single sign-on: state does not match this browser"),
        )
        .await?;
        return refused(
            400,
            "This sign-in did not start in this browser, or it was already finished. Start again from your practice's sign-in link.",
        );
    }
    let now = state.now();
    let Some(flow) = spend(state, returned).await? else {
        return refused(
            400,
            "This sign-in was already used or has expired. Start again from your practice's sign-in link.",
        );
    };
    let settings = settings_of(state, flow.account_id).await?;
    let Some(settings) =
        settings.filter(|s| SsoMode::from_stored(&s.mode) != SsoMode::Off && s.issuer == flow.issuer)
    else {
        refused_audit(
            state,
            flow.account_id,
            meta,
            "settings changed during the sign-in",
        )
        .await?;
        return refused(
            400,
            "Your practice changed its single sign-on settings during this sign-in. Start again.",
        );
    };
    if let Some(error) = query.error {
        let (code, message) = provider_error(error);
        refused_audit(state, flow.account_id, meta, &format!("provider answered {code}")).await?;
        return refused(401, &message);
    }
    let Some(code) = query.code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return refused(
            400,
            "This sign-in answer is incomplete. Start again from your practice's sign-in link.",
        );
    };
    let provider = provider(state, &settings)?;
    let identity = match oidc::exchange(&state.http, &provider, code, &flow.pkce_verifier, &flow.nonce).await
    {
        Ok(identity) => identity,
        Err(OidcError::Unreachable(why)) => {
            refused_audit(
                state,
                flow.account_id,
                meta,
                &format!("provider unreachable: {why}"),
            )
            .await?;
            return refused(502, PROVIDER_DOWN);
        }
        Err(OidcError::Refused(why)) => {
            refused_audit(state, flow.account_id, meta, &format!("code refused: {why}")).await?;
            return refused(
                401,
                "Your identity provider refused this sign-in. Start again from your practice's sign-in link.",
            );
        }
        Err(OidcError::Invalid(why)) => {
            refused_audit(state, flow.account_id, meta, &why).await?;
            return refused(
                401,
                &format!("This sign-in could not be trusted: {why}. Nothing was changed here."),
            );
        }
    };
    if flow.purpose == LINK {
        return finish_link(state, &flow, &identity, signed, meta).await;
    }
    let account = account::Entity::find_by_id(flow.account_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let user = match linked_user(state, &account, &identity).await? {
        Some(user) => user,
        None if settings.link_by_email => match link_by_email(state, &account, &identity, meta).await? {
            Ok(user) => user,
            Err(refusal) => {
                refused_audit(state, account.id, meta, &refusal.message).await?;
                return Ok(Callback::Refused(refusal));
            }
        },
        None => {
            refused_audit(state, account.id, meta, "identity not linked").await?;
            return refused(403, NOT_LINKED);
        }
    };
    // SECURITY: clients never use single sign-on; a deactivated person or practice stays out.
    if user.role == Role::Client || !user.active || !account.active || user.account_id != account.id {
        refused_audit(
            state,
            account.id,
            meta,
            &format!("user {} may not sign in", user.id),
        )
        .await?;
        return refused(
            403,
            "This account is deactivated or may not use single sign-on. Ask your account owner.",
        );
    }
    sso_identity::Entity::update_many()
        .col_expr(sso_identity::Column::LastUsedAt, Expr::value(now))
        .filter(sso_identity::Column::UserId.eq(user.id))
        .exec(&state.db)
        .await?;
    Ok(Callback::SignIn {
        first: Box::new(FirstFactor {
            user,
            account,
            factors: Factors::new(Factor::Sso),
        }),
        second_step: settings.second_step,
    })
}

/// SECURITY: one atomic `UPDATE` spends the flow of this state (unused, in time), so a replayed
/// callback finds nothing; the flow when it was this call that spent it.
async fn spend(state: &AppState, returned: &str) -> Result<Option<sso_flow::Model>, AppError> {
    let now = state.now();
    let hash = sha256_hex(returned);
    let spent = sso_flow::Entity::update_many()
        .col_expr(sso_flow::Column::UsedAt, Expr::value(now))
        .filter(sso_flow::Column::StateHash.eq(hash.as_str()))
        .filter(sso_flow::Column::UsedAt.is_null())
        .filter(sso_flow::Column::ExpiresAt.gt(now))
        .exec(&state.db)
        .await?;
    if spent.rows_affected != 1 {
        return Ok(None);
    }
    Ok(sso_flow::Entity::find()
        .filter(sso_flow::Column::StateHash.eq(hash.as_str()))
        .one(&state.db)
        .await?)
}

/// The provider's `error` code (kept to letters, digits and `_`) and what the person is told.
fn provider_error(error: &str) -> (String, String) {
    let code: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    let message = if code == "access_denied" {
        "Your identity provider did not sign you in (access denied). Nothing was changed here.".to_string()
    } else {
        format!("Your identity provider did not sign you in ({code}). Nothing was changed here.")
    };
    (code, message)
}
