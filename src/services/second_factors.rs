//! An owner or admin resets someone's second factors: their authenticator app and recovery
//! codes are forgotten, their registrations revoked and their sessions ended, so the next
//! sign-in sets them up again.

use sea_orm::TransactionTrait;

use crate::auth::guards::SignedIn;
use crate::auth::session;
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::people::CheckedPerson;
use crate::services::{devices, notify, second_step};
use crate::state::AppState;

/// Resets the person's second factors in one transaction, then e-mails them (when they have an
/// address) so a reset they did not ask for does not go unnoticed.
pub async fn reset(
    state: &AppState,
    actor: &SignedIn,
    target: &impl CheckedPerson,
    ip: Option<String>,
) -> Result<(), AppError> {
    let target = target.person();
    if target.id == actor.user.id {
        // SECURITY: one's own factors change on the Security page, with the current password.
        return Err(AppError::BadRequest(
            "Change your own second factors on the Security page.".into(),
        ));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let apps = second_step::remove_all(&txn, target.id).await?;
    devices::revoke_all(
        &txn,
        now,
        target.id,
        "second factors reset by an owner or admin",
        &crate::services::audit::Origin::new(actor.user.id, ip.clone()),
    )
    .await?;
    session::delete_all_for_user(&txn, target.id, None).await?;
    audit::record(
        &txn,
        now,
        Event::new("two_factor.reset", "success")
            .account(actor.account.id)
            .actor(actor.user.id)
            .subject(format!("user {}", target.id))
            .ip(ip)
            .details(format!(
                "authenticator app {}; recovery codes voided; devices revoked; sessions ended",
                if apps > 0 { "removed" } else { "none" }
            )),
    )
    .await?;
    txn.commit().await?;
    if let Some(email) = target.email.as_deref() {
        let body = format!(
            "{} reset the sign-in security of your Outcomes user \"{}\": your authenticator app and recovery codes no longer work, and every browser must pass the second step again.\n\nAt your next sign-in you will set them up again. If you did not ask for this, tell your account owner.\n",
            actor.user.full_name, target.login
        );
        notify::email(
            state,
            target.account_id,
            email,
            "Outcomes: your sign-in security was reset",
            &body,
        )
        .await?;
    }
    Ok(())
}
