//! Whose identity came back: the person already linked to it, the one staff member whose
//! verified e-mail it carries (`sso_link_by_email`), or the signed-in person finishing a link.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use entities::{account, sso_flow, sso_identity, user};

use super::{Callback, Refusal, refusal, refused_audit};
use crate::auth::RequestMeta;
use crate::auth::guards::SignedIn;
use crate::domain::Role;
use crate::error::AppError;
use crate::services::sso::{link, oidc};
use crate::state::AppState;

pub const NOT_LINKED: &str = "Your identity at your practice's provider is not linked to an Outcomes account. To link it, sign in with your user ID and password, open Security, and choose \"Link single sign-on\".";

pub(super) async fn linked_user(
    state: &AppState,
    account: &account::Model,
    identity: &oidc::Identity,
) -> Result<Option<user::Model>, AppError> {
    let Some(link) = sso_identity::Entity::find()
        .filter(sso_identity::Column::AccountId.eq(account.id))
        .filter(sso_identity::Column::Issuer.eq(identity.issuer.as_str()))
        .filter(sso_identity::Column::Subject.eq(identity.subject.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(link.user_id).one(&state.db).await?)
}

/// `sso_link_by_email`: the staff member whose e-mail equals the verified `email` claim
/// (case-insensitive, exactly one in the practice) is linked now.
pub(super) async fn link_by_email(
    state: &AppState,
    account: &account::Model,
    identity: &oidc::Identity,
    meta: &RequestMeta,
) -> Result<Result<user::Model, Refusal>, AppError> {
    let Some(email) = identity.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(Err(refusal(403, NOT_LINKED)));
    };
    // SECURITY: an unverified address proves nothing about who holds it.
    if !identity.email_verified {
        return Ok(Err(refusal(
            403,
            "Your identity provider has not verified your e-mail address, so it cannot link your account. Link it from Security after signing in with your password.",
        )));
    }
    let wanted = email.to_lowercase();
    let staff: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::AccountId.eq(account.id))
        .filter(user::Column::Role.is_in(Role::STAFF))
        .filter(user::Column::Email.is_not_null())
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.trim().to_lowercase() == wanted)
        })
        .collect();
    match staff.as_slice() {
        [] => Ok(Err(refusal(403, NOT_LINKED))),
        [one] => {
            if !link(
                state,
                one,
                identity,
                "linked by verified e-mail at first sign-in",
                meta,
            )
            .await?
            {
                return Ok(Err(refusal(
                    409,
                    "That identity is already linked to another person in your practice.",
                )));
            }
            Ok(Ok(one.clone()))
        }
        _ => Ok(Err(refusal(
            409,
            "Your e-mail address belongs to more than one person in your practice, so it cannot pick your account. Link it from Security after signing in with your password.",
        ))),
    }
}

pub(super) async fn finish_link(
    state: &AppState,
    flow: &sso_flow::Model,
    identity: &oidc::Identity,
    signed: Option<&SignedIn>,
    meta: &RequestMeta,
) -> Result<Callback, AppError> {
    // SECURITY: only the person who started the link, still signed in here, gets it.
    let Some(signed) = signed.filter(|s| Some(s.user.id) == flow.user_id && s.account.id == flow.account_id)
    else {
        refused_audit(state, flow.account_id, meta, "link finished by someone else").await?;
        return Ok(Callback::Refused(refusal(
            403,
            "Sign in again, then link single sign-on from Security.",
        )));
    };
    if !link(state, &signed.user, identity, "linked from Security", meta).await? {
        return Ok(Callback::Refused(refusal(
            409,
            "That identity is already linked to another person in your practice.",
        )));
    }
    Ok(Callback::Linked)
}
