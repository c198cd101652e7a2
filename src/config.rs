//! Typed settings read once from Rocket's figment (`Rocket.toml`, `ROCKET_*`), validated at ignite.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use rocket::figment::Figment;
use serde::Deserialize;

/// The flat keys of SPEC §5 as they arrive; `Settings::from_figment` checks them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSettings {
    database_url: Option<String>,
    public_url: Option<String>,
    sms_provider: Option<String>,
    twilio_api_base: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_auth_token: Option<String>,
    #[serde(deserialize_with = "text_or_number")]
    twilio_from: Option<String>,
    twilio_messaging_service_sid: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    secret_key: Option<String>,
    data_dir: Option<String>,
    phone_region: Option<String>,
    #[serde(deserialize_with = "list_or_text")]
    trusted_proxies: Option<Vec<String>>,
    #[serde(deserialize_with = "list_or_text")]
    sms_countries: Option<Vec<String>>,
    metrics_token: Option<String>,
    #[serde(deserialize_with = "number_or_text")]
    outbox_poll_ms: Option<u64>,
    log_format: Option<String>,
}

/// A number given as a number or as text (`("outbox_poll_ms", "50")` in a figment).
fn number_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) => t.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A list given as a TOML array or as one comma-separated string (`ROCKET_TRUSTED_PROXIES=a,b`).
fn list_or_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    Ok(Option::<ListOrText>::deserialize(deserializer)?.map(|v| match v {
        ListOrText::List(items) => items,
        ListOrText::Text(text) => text.split(',').map(str::to_string).collect(),
    }))
}

/// A phone number given without quotes (`ROCKET_TWILIO_FROM=+15005550006`) arrives as a number.
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Text(String),
        Whole(i64),
        Unsigned(u64),
    }
    Ok(
        Option::<TextOrNumber>::deserialize(deserializer)?.map(|v| match v {
            TextOrNumber::Text(t) => t,
            TextOrNumber::Whole(n) => format!("+{n}"),
            TextOrNumber::Unsigned(n) => format!("+{n}"),
        }),
    )
}

/// A configured secret: never printed by `Debug`.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone)]
pub enum TwilioSender {
    From(String),
    MessagingService(String),
}

#[derive(Debug, Clone)]
pub enum SmsSettings {
    Log,
    Twilio {
        api_base: String,
        account_sid: String,
        auth_token: Secret,
        sender: TwilioSender,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub public_url: url::Url,
    pub sms: SmsSettings,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub data_dir: PathBuf,
    pub phone_region: String,
    pub secret_key: Secret,
    /// Addresses of the reverse proxies whose forwarded-address headers are believed; empty:
    /// the socket's address is the client's and those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Countries (ISO 3166 codes, upper case) whose numbers may be texted; by default the
    /// `phone_region` country alone (toll fraud goes to premium ranges abroad).
    pub sms_countries: Vec<String>,
    /// The bearer token `GET /metrics` needs; unset, the endpoint is off.
    pub metrics_token: Option<Secret>,
    /// How often each instance's outbox worker looks for due messages (it is also woken at
    /// once when a message is queued); default 5 s, at least 50 ms.
    pub outbox_poll: std::time::Duration,
    /// `text` (default) or `json`: one object per line for log shippers (`crate::logging`).
    pub log_format: crate::logging::Format,
}

impl Settings {
    /// Whether cookies must be `Secure` with the `__Host-` prefix.
    pub fn https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The host named in the WebOTP line of each text: the host alone, as browsers parse it
    /// (Chromium's SMS parser reads `[a-zA-Z0-9.-]+` and never a port).
    pub fn public_host(&self) -> String {
        self.public_url.host_str().unwrap_or("localhost").to_string()
    }

    pub fn from_figment(figment: &Figment) -> Result<Self, String> {
        let raw: RawSettings = figment.extract().map_err(|e| format!("configuration: {e}"))?;
        let data_dir = PathBuf::from(raw.data_dir.unwrap_or_else(|| "data".into()));
        let database_url = match raw.database_url.filter(|u| !u.trim().is_empty()) {
            Some(url)
                if url.starts_with("postgres://")
                    || url.starts_with("postgresql://")
                    || url.starts_with("sqlite:") =>
            {
                url
            }
            Some(_) => {
                return Err("database_url must start with postgres://, postgresql:// or sqlite:".into());
            }
            None => format!("sqlite://{}?mode=rwc", data_dir.join("outcomes.sqlite").display()),
        };
        // `localhost`, not 127.0.0.1: passkeys need a host name (an IP is never a relying party).
        let public_url_text = raw.public_url.unwrap_or_else(|| "http://localhost:8000".into());
        let public_url = url::Url::parse(&public_url_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| format!("public_url {public_url_text:?} must be an http:// or https:// URL"))?;
        let sms = match raw.sms_provider.as_deref().unwrap_or("log") {
            "log" => SmsSettings::Log,
            "twilio" => {
                let required = |value: Option<String>, key: &str| {
                    value
                        .filter(|v| !v.trim().is_empty())
                        .ok_or_else(|| format!("sms_provider = \"twilio\" needs {key}"))
                };
                let sender = match (raw.twilio_from, raw.twilio_messaging_service_sid) {
                    (_, Some(sid)) if !sid.trim().is_empty() => TwilioSender::MessagingService(sid),
                    (Some(from), _) if !from.trim().is_empty() => TwilioSender::From(from),
                    _ => {
                        return Err(
                            "sms_provider = \"twilio\" needs twilio_from or twilio_messaging_service_sid"
                                .into(),
                        );
                    }
                };
                let api_base = raw
                    .twilio_api_base
                    .unwrap_or_else(|| "https://api.twilio.com".into());
                if url::Url::parse(&api_base).is_err() {
                    return Err(format!("twilio_api_base {api_base:?} is not a URL"));
                }
                SmsSettings::Twilio {
                    api_base: api_base.trim_end_matches('/').to_string(),
                    account_sid: required(raw.twilio_account_sid, "twilio_account_sid")?,
                    auth_token: Secret(required(raw.twilio_auth_token, "twilio_auth_token")?),
                    sender,
                }
            }
            other => {
                return Err(format!("sms_provider {other:?} must be \"log\" or \"twilio\""));
            }
        };
        let smtp_url = raw.smtp_url.filter(|u| !u.trim().is_empty());
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err("smtp_url must start with smtp:// or smtps://".into());
        }
        let mail_from = raw
            .mail_from
            .unwrap_or_else(|| "Outcomes <no-reply@localhost>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(format!("mail_from {mail_from:?} is not an e-mail address"));
        }
        let phone_region = raw.phone_region.unwrap_or_else(|| "US".into()).to_uppercase();
        if phone_region.parse::<phonenumber::country::Id>().is_err() {
            return Err(format!(
                "phone_region {phone_region:?} is not a two-letter country code"
            ));
        }
        let trusted_proxies = raw
            .trusted_proxies
            .unwrap_or_default()
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("trusted_proxies: {entry:?} is not an IP address or a CIDR range"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sms_countries = match raw.sms_countries {
            Some(list) => list
                .iter()
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty())
                .map(|c| match c.parse::<phonenumber::country::Id>() {
                    Ok(_) => Ok(c),
                    Err(_) => Err(format!("sms_countries: {c:?} is not a two-letter country code")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![phone_region.clone()],
        };
        let log_format = crate::logging::Format::parse(raw.log_format.as_deref().unwrap_or_default())?;
        let secret_key = raw
            .secret_key
            .filter(|k| !k.trim().is_empty())
            .ok_or("secret_key is missing")?;
        Ok(Self {
            database_url,
            public_url,
            sms,
            smtp_url: smtp_url.map(Secret),
            mail_from,
            data_dir,
            phone_region,
            secret_key: Secret(secret_key),
            trusted_proxies,
            sms_countries,
            metrics_token: raw.metrics_token.filter(|t| !t.trim().is_empty()).map(Secret),
            outbox_poll: std::time::Duration::from_millis(raw.outbox_poll_ms.unwrap_or(5000).max(50)),
            log_format,
        })
    }
}

/// Fills in what a fresh checkout lacks: `DATABASE_URL` from the environment and a secret key
/// generated once and kept in `data_dir/secret_key` (mode 0600).
pub fn prepare_figment(figment: Figment) -> Result<Figment, String> {
    let mut figment = figment;
    if figment.find_value("database_url").is_err()
        && let Ok(url) = std::env::var("DATABASE_URL")
    {
        figment = figment.merge(("database_url", url));
    }
    // Rocket's own default is a zero key (a byte sequence): treat anything but a configured
    // string as "none configured".
    if figment.extract_inner::<String>("secret_key").is_err() {
        let data_dir: String = figment
            .extract_inner("data_dir")
            .unwrap_or_else(|_| "data".to_string());
        let key = load_or_create_secret_key(Path::new(&data_dir))?;
        figment = figment.merge(("secret_key", key));
    }
    Ok(figment)
}

/// Makes a file or folder of the data directory readable by the service's user alone (`mode`
/// 0600 for files, 0700 for folders); a no-op where Unix modes do not exist.
pub fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Creates the data directory (if needed) and closes it to everyone but the service's user.
pub fn create_data_dir(data_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
    owner_only(data_dir, 0o700).map_err(|e| format!("{}: {e}", data_dir.display()))
}

fn load_or_create_secret_key(data_dir: &Path) -> Result<String, String> {
    let path = data_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return Ok(existing.trim().to_string());
    }
    create_data_dir(data_dir)?;
    let mut bytes = [0u8; 64];
    rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut bytes)
        .map_err(|e| format!("no randomness for the secret key: {e}"))?;
    let key = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(&path)
            .map(|k| k.trim().to_string())
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}
