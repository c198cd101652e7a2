//! The service's log must never hold a password, code, token or full phone number (SPEC §5,
//! SECURITY.md). The harness sends the log of every app in this test binary, at `log_level =
//! "debug"`, to one file (`log_file`); the helpers note each secret a test typed or received
//! (form fields, cookies, links, codes texted to the fake Twilio, mailed links); every
//! `db_tests!` test ends by looking for each of them in what the log gained while it ran.
//! Tests run in parallel in one process, so the file mixes their lines: secrets are random per
//! test, and any secret anywhere in the log is a leak.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use super::FakeTwilio;

/// The one target allowed to print a text: the development SMS provider (SPEC §5).
const SMS_LOG_TARGET: &str = " outcomes::sms::log: ";

static LOG: OnceLock<PathBuf> = OnceLock::new();
/// Secrets by the address of the app they were sent to or received from.
static NOTED: LazyLock<Mutex<HashMap<String, BTreeSet<String>>>> = LazyLock::new(Mutex::default);

/// The process's log file, capturing from the first call on (before any Rocket starts, so ours
/// is the process's logger and Rocket's own is never installed).
pub fn log_file() -> &'static Path {
    LOG.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("logs");
        std::fs::create_dir_all(&dir).expect("log folder");
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "tests".into());
        // One file per run of this binary (runs may overlap); earlier runs' files are removed.
        forget_earlier_runs(&dir, &binary);
        let path = dir.join(format!("{binary}-{}.log", std::process::id()));
        let file = std::fs::File::create(&path).expect("log file");
        outcomes::logging::capture(file);
        path
    })
}

/// Removes the log files of this binary's runs that have ended (their process is gone).
fn forget_earlier_runs(dir: &Path, binary: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&format!("{binary}-"))
            .and_then(|rest| rest.strip_suffix(".log"))
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// How long the log is now (a test reads only what comes after).
pub fn log_len() -> u64 {
    std::fs::metadata(log_file()).map_or(0, |m| m.len())
}

/// The log from `offset` on.
pub fn log_since(offset: u64) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = std::fs::File::open(log_file()) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_end(&mut text);
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Remembers a secret used with the app at `base` (shorter values are not worth a search).
pub fn note(base: &str, value: &str) {
    let value = value.trim();
    if value.chars().count() < 6 {
        return;
    }
    if let Ok(mut noted) = NOTED.lock() {
        noted
            .entry(base.to_string())
            .or_default()
            .insert(value.to_string());
    }
}

fn secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["password", "code", "token", "secret", "phone"]
        .iter()
        .any(|k| name.contains(k))
}

/// Form fields whose name says they carry a secret.
pub fn note_fields(base: &str, fields: &[(&str, &str)]) {
    for (name, value) in fields {
        if secret_field(name) {
            note(base, value);
        }
    }
}

/// A path a test asked for: its secret query values and any link token in it.
pub fn note_path(base: &str, path: &str) {
    if let Some((_, query)) = path.split_once('?') {
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            // `state` of a single sign-on callback; `?saved=rating` is no secret.
            if secret_field(&name) || name == "state" {
                note(base, &value);
            }
        }
    }
    for token in link_tokens(path) {
        note(base, &token);
    }
}

/// Every cookie the app set (sessions, devices, CSRF).
pub fn note_cookies(base: &str, headers: &reqwest::header::HeaderMap) {
    for value in headers.get_all("set-cookie") {
        let Ok(text) = value.to_str() else { continue };
        let pair = text.split(';').next().unwrap_or_default();
        if let Some((_, value)) = pair.split_once('=') {
            note(base, value);
        }
    }
}

/// A JSON request or answer of the API: tokens, passwords, codes given as digits.
pub fn note_json(base: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                if let serde_json::Value::String(text) = item {
                    let digits = text.chars().all(|c| c.is_ascii_digit());
                    if key.ends_with("token") || key.contains("password") || (key.contains("code") && digits)
                    {
                        note(base, text);
                    }
                }
                note_json(base, item);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| note_json(base, item)),
        _ => {}
    }
}

/// Tokens of measures and password-reset links in a text.
fn link_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for prefix in ["/m/", "/login/reset/"] {
        for (at, _) in text.match_indices(prefix) {
            let token: String = text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if token.len() >= 16 {
                out.push(token);
            }
        }
    }
    out
}

/// Where each secret occurs in `log`, outside the development SMS provider's lines. A secret
/// of digits alone (a code, a number) counts only as a whole number, not inside a longer one.
pub fn find_leaks(log: &str, secrets: &BTreeSet<String>) -> Vec<String> {
    let mut leaks = Vec::new();
    for secret in secrets {
        let numeric = secret.trim_start_matches('+').chars().all(|c| c.is_ascii_digit());
        for (at, _) in log.match_indices(secret.as_str()) {
            let before = log[..at].chars().next_back();
            let after = log[at + secret.len()..].chars().next();
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            if numeric && (glued(before) || glued(after)) {
                continue;
            }
            let start = log[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = log[at..].find('\n').map_or(log.len(), |n| at + n);
            let line = &log[start..end];
            if line.contains(SMS_LOG_TARGET) {
                continue;
            }
            leaks.push(format!("{secret:?} in: {line}"));
        }
    }
    leaks
}

/// Built by `db_tests!` before a test; `run` after it.
pub struct SecretCheck {
    pub(super) base: String,
    pub(super) from: u64,
    pub(super) twilio: FakeTwilio,
    pub(super) data_dir: PathBuf,
    pub(super) _dir: Arc<tempfile::TempDir>,
}

impl SecretCheck {
    /// Everything the test used: what the helpers noted, the configured secrets, the codes,
    /// numbers and links the fake Twilio received, the links in the mail folder.
    pub fn secrets(&self) -> BTreeSet<String> {
        let mut secrets = NOTED
            .lock()
            .ok()
            .and_then(|mut noted| noted.remove(&self.base))
            .unwrap_or_default();
        secrets.insert(super::SECRET_KEY.to_string());
        secrets.insert(super::fake_twilio::AUTH_TOKEN.to_string());
        for message in self.twilio.messages() {
            secrets.extend(message.code());
            secrets.insert(message.to().to_string());
            secrets.extend(link_tokens(message.body()));
        }
        if let Ok(entries) = std::fs::read_dir(self.data_dir.join("mail")) {
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                // Quoted-printable soft line breaks would cut a long link in two.
                let text = text.replace("=\r\n", "").replace("=\n", "");
                secrets.extend(link_tokens(&text));
            }
        }
        secrets.retain(|s| s.chars().count() >= 6);
        secrets
    }

    /// Panics naming each secret found in the log written since the test's app started.
    pub fn run(self) {
        let secrets = self.secrets();
        let leaks = find_leaks(&log_since(self.from), &secrets);
        assert!(
            leaks.is_empty(),
            "secrets in the service's log ({}): {leaks:#?}",
            log_file().display()
        );
    }
}
