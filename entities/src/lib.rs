//! SeaORM entities for Outcomes: derives and relations only, no logic and no web framework.
//! Times are Unix seconds.

pub mod access_token;
pub mod account;
pub mod audit_log;
pub mod authenticator;
pub mod challenge;
pub mod device;
pub mod episode;
pub mod invite_schedule;
pub mod login_failure;
pub mod measure_link;
pub mod outbox;
pub mod outcome_settings;
pub mod passkey;
pub mod password_reset;
pub mod rating;
pub mod recovery_code;
pub mod safety_alert;
pub mod session;
pub mod sms_send;
pub mod sso_flow;
pub mod sso_identity;
pub mod sso_settings;
pub mod step_up_request;
pub mod symptom_request;
pub mod telehealth_settings;
pub mod user;
pub mod values;
pub mod webauthn_ceremony;
