//! Typed template contexts: the header every signed-in page shares, and form state.

pub mod audit;
pub mod chart;
pub mod client_progress;
pub mod lists;
pub mod notices;
pub mod outcomes;

use std::collections::HashMap;

use rocket::form::Context;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket_dyn_templates::Template;
use serde::Serialize;

use crate::auth::guards::SignedIn;
use crate::domain::{FieldError, Role};

/// What a handler answers: a page, a form sent back with its errors, a page refused by a
/// limit (with `Retry-After`), or a redirect.
#[derive(rocket::Responder)]
pub enum Page {
    Html(Template),
    WithStatus((Status, Template)),
    Limited(Limited),
    Redirect(Redirect),
    Flash(rocket::response::Flash<Redirect>),
}

/// A page answered with 429 and `Retry-After`.
#[derive(rocket::Responder)]
#[response(status = 429)]
pub struct Limited {
    pub page: Template,
    pub retry_after: rocket::http::Header<'static>,
}

impl Page {
    pub fn limited(page: Template, retry_after: i64) -> Self {
        Self::Limited(Limited {
            page,
            retry_after: rocket::http::Header::new("Retry-After", retry_after.max(1).to_string()),
        })
    }
}

impl Page {
    /// 303 See Other, the answer to every successful form post.
    pub fn see_other(to: impl Into<String>) -> Self {
        Self::Redirect(Redirect::to(to.into()))
    }
}

#[derive(Debug, Serialize)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
}

/// The header: account, person, the role's links and the sign-out form's token.
#[derive(Debug, Serialize)]
pub struct Layout {
    pub title: String,
    pub account_name: String,
    pub user_name: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub links: Vec<NavLink>,
    pub csrf_token: String,
}

impl Layout {
    pub fn new(signed: &SignedIn, title: impl Into<String>) -> Self {
        let role = signed.role();
        Self {
            title: title.into(),
            account_name: signed.account.name.clone(),
            user_name: signed.user.full_name.clone(),
            role: role.as_str(),
            role_label: role.label(),
            links: links_for(role),
            csrf_token: signed.session.csrf_token.clone(),
        }
    }
}

fn links_for(role: Role) -> Vec<NavLink> {
    let link = |href, label| NavLink { href, label };
    let mut links = Vec::new();
    if role.is_staff() {
        links.push(link("/dashboard", "Dashboard"));
        links.push(link("/clients", "Clients"));
    } else {
        links.push(link("/my", "My measures"));
    }
    if role.is_manager() {
        links.push(link("/staff", "Staff"));
        links.push(link("/audit", "Audit log"));
    }
    if role == Role::Owner {
        links.push(link("/options", "Options"));
    }
    links.push(link("/devices", "My devices"));
    links.push(link("/security", "Security"));
    links.push(link("/account/password", "Password"));
    links
}

/// Submitted values and per-field messages for re-rendering a form.
#[derive(Debug, Default, Serialize)]
pub struct FormState {
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, String>,
}

impl FormState {
    pub fn with_values(values: HashMap<String, String>) -> Self {
        Self {
            values,
            errors: HashMap::new(),
        }
    }

    pub fn add(&mut self, error: FieldError) {
        self.errors
            .entry(error.field.to_string())
            .or_insert(error.message);
    }

    /// Keeps the parsed value, or records the field's message.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(error);
                None
            }
        }
    }

    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// A posted form as it came back: the typed values of `echo` (never passwords or codes)
    /// and the first error of each field. `messages` replaces the parser's words for a field
    /// with the page's own (`("device_days", "Days … from 1 to 400.")`).
    pub fn from_context(context: &Context<'_>, echo: &[&str], messages: &[(&str, &str)]) -> Self {
        let mut form = Self::default();
        for name in echo {
            let values: Vec<&str> = context.field_values(*name).collect();
            if !values.is_empty() {
                form.values.insert((*name).to_string(), values.join(","));
            }
        }
        for error in context.errors() {
            let Some(name) = error.name.as_ref().map(ToString::to_string) else {
                continue;
            };
            let message = messages
                .iter()
                .find(|(field, _)| *field == name)
                .map_or_else(|| error.kind.to_string(), |(_, text)| (*text).to_string());
            form.errors.entry(name).or_insert(message);
        }
        form
    }
}

pub use crate::clock::format_time;
use crate::domain::Locale;

/// A registration as the devices pages show it.
#[derive(Debug, Serialize)]
pub struct DeviceRow {
    pub id: i32,
    pub label: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub status: String,
    pub active: bool,
}

/// Registrations with their times in the practice's zone.
pub fn device_rows(devices: Vec<entities::device::Model>, now: i64, locale: &Locale) -> Vec<DeviceRow> {
    devices
        .into_iter()
        .map(|d| {
            let active = d.revoked_at.is_none() && d.expires_at > now;
            let status = match (d.revoked_at, active) {
                (Some(_), _) => format!("Revoked ({})", d.revoked_reason.unwrap_or_default()),
                (None, false) => "Expired".into(),
                (None, true) => "Active".into(),
            };
            DeviceRow {
                id: d.id,
                label: d.label,
                created: locale.date_time(d.created_at),
                last_used: locale.date_time(d.last_used_at),
                expires: locale.date(d.expires_at),
                status,
                active,
            }
        })
        .collect()
}
