//! One sign-in flow for both channels (the web pages and the app's API) and every first factor.
//! `after_first_factor` decides what comes next — a session, a challenge, a refusal or the
//! authenticator set-up; `complete_second_step` checks a code; `register_device` and `start`
//! finish. Routes only translate these outcomes into pages, redirects or JSON.
//!
//! Adding a first factor (a passkey, single sign-on) means building a `FirstFactor` for the
//! person it proved and calling `after_first_factor`; adding a second-step method means a module
//! in `services::second_step` and a `Method` variant.

mod finish;
pub mod passkey;
pub mod password;
pub mod step_up;

pub use finish::{Finished, Started, finish, register_device, start, start_partial};

use entities::values::{Factor, Factors};
use entities::{account, challenge, user};

use crate::auth::RequestMeta;
use crate::auth::device::{DeviceToken, KIND_APP, KIND_BROWSER};
use crate::error::AppError;
use crate::services::audit::{self, Event};
use crate::services::devices;
use crate::services::second_step::{self, Method, Methods, Requirement, Verification};
use crate::sms::SmsError;
use crate::state::AppState;

/// Where the person is signing in: the web pages (a browser, cookies) or the mobile app (bearer
/// tokens, a `device_token`). Each registers separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Web,
    App,
}

impl Channel {
    pub(super) fn device_kind(self) -> &'static str {
        match self {
            Self::Web => KIND_BROWSER,
            Self::App => KIND_APP,
        }
    }

    /// The challenge purpose, so an app's challenge id never completes a web sign-in.
    pub fn purpose(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::App => "api",
        }
    }
}

/// A person whose first factor checked out, with what it proved.
pub struct FirstFactor {
    pub user: user::Model,
    pub account: account::Model,
    pub factors: Factors,
}

/// What a sign-in needs next.
pub enum Next {
    /// Everything required has passed: start a session with these factors (and record
    /// `device_used`, the registered device's use, with it).
    SignIn {
        factors: Factors,
        device_used: Option<Event<'static>>,
    },
    /// A second step is needed. `failure`: the text could not be sent (the person can ask again).
    Challenge {
        challenge: challenge::Model,
        methods: Methods,
        failure: Option<SmsError>,
    },
    /// The second step is required but there is no phone (or app) on file: no way in.
    PhoneRequired,
    /// The owner requires an authenticator app and this person has none: they set it up before
    /// anything else opens (on the web; the app is refused).
    SetupRequired { factors: Factors },
    /// Every other factor passed, but owners and admins of this practice must use a passkey and
    /// this one has none: they add one before anything else opens (on the web; the app is
    /// refused).
    PasskeySetupRequired { factors: Factors },
}

/// The decision, and whether the device token presented was refused (the browser should forget
/// its cookie).
pub struct Decision {
    pub next: Next,
    pub stale_device: bool,
}

/// Decides the next step after a first factor: the plan and the owner's switches, a registered
/// device, the person's phone, app and passkeys (SPEC §2). Opens (and texts) a challenge when
/// one is due. A passkey (user verification required) is both factors at once.
pub async fn after_first_factor(
    state: &AppState,
    first: &FirstFactor,
    channel: Channel,
    device_token: Option<&DeviceToken>,
    meta: &RequestMeta,
) -> Result<Decision, AppError> {
    let mut decision = if first.factors.contains(Factor::Passkey) {
        Decision {
            next: Next::SignIn {
                factors: first.factors.clone(),
                device_used: None,
            },
            stale_device: false,
        }
    } else {
        decide(state, first, channel, device_token, meta).await?
    };
    if let Next::SignIn { factors, device_used } = &mut decision.next
        && passkey_setup_needed(state, &first.account, &first.user).await?
    {
        if let Some(used) = device_used.take() {
            audit::record(&state.db, state.now(), used).await?;
        }
        decision.next = Next::PasskeySetupRequired {
            factors: factors.clone(),
        };
    }
    Ok(decision)
}

/// Whether this person must add a passkey before going on: an owner or admin of a practice that
/// requires one of them (`admin_require_passkey`), who has none. Never on a server that cannot
/// offer passkeys (an IP address as `public_url`): nobody could comply.
pub async fn passkey_setup_needed(
    state: &AppState,
    account: &account::Model,
    user: &user::Model,
) -> Result<bool, AppError> {
    if !(account.admin_require_passkey && user.role.is_manager() && state.webauthn.is_ok()) {
        return Ok(false);
    }
    Ok(second_step::passkey::count(&state.db, user.id).await? == 0)
}

async fn decide(
    state: &AppState,
    first: &FirstFactor,
    channel: Channel,
    device_token: Option<&DeviceToken>,
    meta: &RequestMeta,
) -> Result<Decision, AppError> {
    let (user, account) = (&first.user, &first.account);
    let sign_in = |factors: Factors, device_used| Decision {
        next: Next::SignIn { factors, device_used },
        stale_device: false,
    };
    if !second_step::wants_second_step(account, user) {
        return Ok(sign_in(first.factors.clone(), None));
    }
    // A live registration proves an earlier second factor, so the common sign-in needs no more
    // lookups; only when the owner requires the app does having one still matter.
    let device_used =
        devices::check_at_sign_in(state, user, channel.device_kind(), device_token, meta).await?;
    let stale_device = device_token.is_some() && device_used.is_none();
    let with_device = first.factors.clone().and(Factor::Device);
    let device_used = match device_used {
        Some(used) if !second_step::app_only(account, user) => {
            return Ok(sign_in(with_device, Some(used)));
        }
        other => other,
    };
    let next = match second_step::requirement_for(state, account, user).await? {
        Requirement::NotRequired => Next::SignIn {
            factors: first.factors.clone(),
            device_used: None,
        },
        Requirement::RequiredWithoutPhone => {
            audit::record(
                &state.db,
                state.now(),
                Event::new("login.refused", "failure")
                    .account(account.id)
                    .actor(user.id)
                    .subject(format!("user {}", user.id))
                    .ip(meta.ip.clone())
                    .details("second step required but no phone on file"),
            )
            .await?;
            Next::PhoneRequired
        }
        Requirement::Required(methods) => match device_used {
            Some(used) => Next::SignIn {
                factors: with_device,
                device_used: Some(used),
            },
            None => open_challenge(state, first, channel, methods, meta).await?,
        },
        // The app cannot walk anyone through a set-up: it is refused before anything is sent.
        Requirement::SetupAuthenticator { .. } if channel == Channel::App => Next::SetupRequired {
            factors: first.factors.clone(),
        },
        Requirement::SetupAuthenticator { sms_first } => match device_used {
            Some(used) => {
                audit::record(&state.db, state.now(), used).await?;
                Next::SetupRequired { factors: with_device }
            }
            // A phone on file: one texted code first, then the set-up.
            None if sms_first => {
                let methods = Methods {
                    sms: true,
                    ..Methods::default()
                };
                open_challenge(state, first, channel, methods, meta).await?
            }
            None => Next::SetupRequired {
                factors: first.factors.clone(),
            },
        },
    };
    Ok(Decision { next, stale_device })
}

/// A challenge for these methods: with an app nothing is texted unless the person asks (the app
/// comes first); otherwise the code is texted now.
async fn open_challenge(
    state: &AppState,
    first: &FirstFactor,
    channel: Channel,
    methods: Methods,
    meta: &RequestMeta,
) -> Result<Next, AppError> {
    if methods.stronger_than_sms() {
        let challenge = second_step::open_challenge(state, &first.user, channel.purpose()).await?;
        return Ok(Next::Challenge {
            challenge,
            methods,
            failure: None,
        });
    }
    let (challenge, failure) = second_step::start_challenge(
        state,
        &first.user,
        &first.account,
        channel.purpose(),
        meta.ip.as_deref(),
    )
    .await?;
    Ok(Next::Challenge {
        challenge,
        methods,
        failure,
    })
}

/// A sign-in waiting on its challenge.
pub struct PendingSignIn<'a> {
    pub user: &'a user::Model,
    pub account: &'a account::Model,
    pub challenge: &'a challenge::Model,
    /// What the person proved before the challenge.
    pub factors: &'a Factors,
}

/// The methods a pending sign-in may use now, and the one to use: `asked` when offered,
/// otherwise the text once one was sent, otherwise the strongest. `Err` carries the methods
/// when `asked` is not one of them.
pub async fn choose_method(
    state: &AppState,
    pending: &PendingSignIn<'_>,
    asked: Option<Method>,
) -> Result<Result<(Method, Methods), Methods>, AppError> {
    let methods = second_step::methods_for(state, pending.account, pending.user).await?;
    let texted = pending.challenge.sends > 0;
    Ok(match asked {
        Some(method) if !methods.allows(method) => Err(methods),
        Some(method) => Ok((method, methods)),
        None => Ok((methods.default_method(texted), methods)),
    })
}

/// How a second-step code fared.
pub enum Completion {
    /// Accepted: sign in with these factors (register the device first).
    SignIn {
        factors: Factors,
    },
    /// Accepted, but the owner requires an app this person lacks: set it up first. On the app
    /// channel this is answered before the code is even checked.
    SetupRequired {
        factors: Factors,
    },
    /// Accepted, but this owner or admin must add a passkey first.
    PasskeySetupRequired {
        factors: Factors,
    },
    Wrong {
        tries_left: i32,
        reused: bool,
    },
    /// Expired, used, or out of tries: start again.
    Dead,
    Locked {
        until: i64,
    },
}

/// Checks a code of `method` against the pending sign-in's challenge.
pub async fn complete_second_step(
    state: &AppState,
    pending: &PendingSignIn<'_>,
    channel: Channel,
    method: Method,
    code: &str,
    meta: &RequestMeta,
) -> Result<Completion, AppError> {
    let setup_needed = matches!(
        second_step::requirement_for(state, pending.account, pending.user).await?,
        Requirement::SetupAuthenticator { .. }
    );
    // The owner may have required the app since this challenge began: no token without it.
    if setup_needed && channel == Channel::App {
        return Ok(Completion::SetupRequired {
            factors: pending.factors.clone(),
        });
    }
    Ok(
        match second_step::verify(
            state,
            pending.challenge,
            pending.user,
            method,
            code,
            meta.ip.as_deref(),
        )
        .await?
        {
            Verification::Accepted => {
                let factors = pending.factors.clone().and(method.factor());
                if setup_needed {
                    Completion::SetupRequired { factors }
                } else if passkey_setup_needed(state, pending.account, pending.user).await? {
                    Completion::PasskeySetupRequired { factors }
                } else {
                    Completion::SignIn { factors }
                }
            }
            Verification::Wrong { tries_left, reused } => Completion::Wrong { tries_left, reused },
            Verification::Dead => Completion::Dead,
            Verification::Locked { until } => Completion::Locked { until },
        },
    )
}
