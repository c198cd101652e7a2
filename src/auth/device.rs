//! Device registration tokens: `selector.secret` in a cookie per user and browser; the database
//! keeps the selector and SHA-256 of the secret, plus the browser and OS family it was made on.

use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::time::Duration;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use entities::device;

use super::session::cookie_name;
use super::tokens::{Keys, constant_time_eq, hmac_hex, random_token, sha256_hex};
use crate::error::AppError;

pub const KIND_BROWSER: &str = "browser";
pub const KIND_APP: &str = "app";

/// The browser and OS family a registration is bound to, and its human label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub browser_family: String,
    pub os_family: String,
}

impl Agent {
    /// Families only, so a browser upgrade keeps the registration valid.
    pub fn parse(user_agent: Option<&str>) -> Self {
        let parsed = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua));
        let (browser, os) = parsed.map_or(("UNKNOWN", "UNKNOWN"), |r| (r.name, r.os));
        let os_family = match os {
            os if os.starts_with("Windows") => "Windows",
            "Mac OSX" | "Mac OS Classic" => "macOS",
            "iPhone" | "iPad" | "iPod" | "iOS" => "iOS",
            "UNKNOWN" => "unknown OS",
            other => other,
        };
        let browser_family = match browser {
            "UNKNOWN" => "unknown browser",
            other => other,
        };
        Self {
            browser_family: browser_family.to_string(),
            os_family: os_family.to_string(),
        }
    }

    pub fn label(&self) -> String {
        format!("{} on {}", self.browser_family, self.os_family)
    }
}

/// What the cookie (or the app's `device_token`) holds.
#[derive(Clone)]
pub struct DeviceToken {
    pub selector: String,
    secret: String,
}

impl DeviceToken {
    pub fn generate() -> Self {
        Self {
            selector: random_token::<16>(),
            secret: random_token::<32>(),
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        let (selector, secret) = value.split_once('.')?;
        let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
        (hex(selector, 32) && hex(secret, 64)).then(|| Self {
            selector: selector.to_string(),
            secret: secret.to_string(),
        })
    }

    pub fn value(&self) -> String {
        format!("{}.{}", self.selector, self.secret)
    }

    fn secret_hash(&self) -> String {
        sha256_hex(&self.secret)
    }
}

/// The name of a person's device cookie: a keyed tag of their id, so that the cookie does not
/// say whose it is, while several people sharing one browser still each keep their own.
pub fn browser_cookie_name(keys: &Keys, https: bool, user_id: i32) -> String {
    let tag = &hmac_hex(&keys.device_cookie, &format!("user:{user_id}"))[..16];
    cookie_name(https, &format!("outcomes_device_{tag}"))
}

pub fn read_browser_cookie(
    cookies: &CookieJar<'_>,
    keys: &Keys,
    https: bool,
    user_id: i32,
) -> Option<DeviceToken> {
    cookies
        .get(&browser_cookie_name(keys, https, user_id))
        .and_then(|c| DeviceToken::parse(c.value()))
}

pub fn set_browser_cookie(
    cookies: &CookieJar<'_>,
    keys: &Keys,
    https: bool,
    user_id: i32,
    token: &DeviceToken,
    days: i32,
) {
    let cookie = Cookie::build((browser_cookie_name(keys, https, user_id), token.value()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(https)
        .max_age(Duration::days(i64::from(days)));
    cookies.add(cookie);
}

pub fn remove_browser_cookie(cookies: &CookieJar<'_>, keys: &Keys, https: bool, user_id: i32) {
    cookies.remove(Cookie::build(browser_cookie_name(keys, https, user_id)).path("/"));
}

/// The result of presenting a token at sign-in.
pub enum DeviceCheck {
    /// A live registration for this user, kind and browser: no code needed.
    Valid(device::Model),
    /// Nothing usable (absent, another user's, expired or revoked): ask for a code.
    Absent,
    /// Wrong secret or a different browser/OS family: revoked now; ask for a code.
    Theft(device::Model, &'static str),
}

pub async fn check(
    db: &impl ConnectionTrait,
    now: i64,
    user_id: i32,
    kind: &str,
    token: Option<&DeviceToken>,
    agent: &Agent,
) -> Result<DeviceCheck, AppError> {
    let Some(token) = token else {
        return Ok(DeviceCheck::Absent);
    };
    let Some(found) = device::Entity::find()
        .filter(device::Column::Selector.eq(token.selector.as_str()))
        .one(db)
        .await?
    else {
        return Ok(DeviceCheck::Absent);
    };
    if found.user_id != user_id || found.kind != kind || found.revoked_at.is_some() || found.expires_at <= now
    {
        return Ok(DeviceCheck::Absent);
    }
    // SECURITY: constant-time comparison of the secret's hash.
    let reason = if !constant_time_eq(&token.secret_hash(), &found.secret_hash) {
        Some("wrong secret for a known selector")
    } else if kind == KIND_BROWSER
        && (agent.browser_family != found.browser_family || agent.os_family != found.os_family)
    {
        Some("browser or OS family changed")
    } else {
        None
    };
    if let Some(reason) = reason {
        let mut revoke = found.clone().into_active_model();
        revoke.revoked_at = Set(Some(now));
        revoke.revoked_reason = Set(Some("theft signal".into()));
        let revoked = revoke.update(db).await?;
        return Ok(DeviceCheck::Theft(revoked, reason));
    }
    let mut used = found.into_active_model();
    used.last_used_at = Set(now);
    Ok(DeviceCheck::Valid(used.update(db).await?))
}

pub struct NewRegistration<'a> {
    pub user_id: i32,
    pub account_id: i32,
    pub kind: &'a str,
    pub agent: &'a Agent,
    pub label: String,
    pub ip: Option<String>,
    pub days: i32,
}

pub async fn register(
    db: &impl ConnectionTrait,
    now: i64,
    new: NewRegistration<'_>,
) -> Result<(DeviceToken, device::Model), AppError> {
    let token = DeviceToken::generate();
    let model = device::ActiveModel {
        user_id: Set(new.user_id),
        account_id: Set(new.account_id),
        kind: Set(new.kind.to_string()),
        selector: Set(token.selector.clone()),
        secret_hash: Set(token.secret_hash()),
        label: Set(new.label),
        browser_family: Set(new.agent.browser_family.clone()),
        os_family: Set(new.agent.os_family.clone()),
        created_at: Set(now),
        created_ip: Set(new.ip),
        last_used_at: Set(now),
        expires_at: Set(now + i64::from(new.days) * 86_400),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_reduce_to_families() {
        let chrome = Agent::parse(Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        ));
        assert_eq!(chrome.label(), "Chrome on Windows");
        let newer = Agent::parse(Some(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ));
        assert_eq!(chrome, newer, "an upgrade keeps the family");
        let firefox = Agent::parse(Some(
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ));
        assert_eq!(firefox.label(), "Firefox on Linux");
    }

    #[test]
    fn tokens_round_trip_and_reject_junk() {
        let token = DeviceToken::generate();
        assert!(DeviceToken::parse(&token.value()).is_some());
        assert!(DeviceToken::parse("abc.def").is_none());
        assert!(DeviceToken::parse(&token.selector).is_none());
    }
}
