//! `outcomes check`: whether this configuration can serve — settings, the database, Twilio's
//! credentials and the mail server — without sending a text or a mail. One line per check;
//! any failure makes the exit code non-zero.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use rocket::figment::Figment;
use sea_orm::ConnectionTrait;

use crate::config::{Settings, SmsSettings};
use crate::mail::Mailer;

/// One check's outcome: what was checked, and what was found or what is wrong.
pub struct Line {
    pub what: &'static str,
    pub result: Result<String, String>,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            Ok(found) => write!(f, "ok    {}: {found}", self.what),
            Err(wrong) => write!(f, "FAIL  {}: {wrong}", self.what),
        }
    }
}

/// Runs every check that the settings allow (none past bad settings).
pub async fn run(figment: Figment) -> Vec<Line> {
    let settings = match super::settings(figment) {
        Ok(settings) => settings,
        Err(wrong) => {
            return vec![Line {
                what: "settings",
                result: Err(wrong),
            }];
        }
    };
    vec![
        Line {
            what: "settings",
            result: Ok(format!("public_url {}", settings.public_url)),
        },
        Line {
            what: "database",
            result: database(&settings).await,
        },
        Line {
            what: "twilio",
            result: twilio(&settings.sms).await,
        },
        Line {
            what: "mail",
            result: mail(&settings).await,
        },
    ]
}

async fn database(settings: &Settings) -> Result<String, String> {
    let db = crate::connect(settings).await?;
    let answered = db
        .execute_unprepared("SELECT 1")
        .await
        .map_err(|e| format!("the database does not answer: {e}"));
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .map(|m| m.len())
        .map_err(|e| format!("cannot read the migrations: {e}"));
    db.close().await.ok();
    answered?;
    let kind = if super::is_sqlite(settings) {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    Ok(match pending? {
        0 => format!("{kind} answers; the schema is up to date"),
        n => format!("{kind} answers; {n} migration(s) pending (applied at start)"),
    })
}

/// Reads the Twilio account (`GET /2010-04-01/Accounts/<sid>.json`): proves the SID and token
/// without sending a message.
async fn twilio(sms: &SmsSettings) -> Result<String, String> {
    let SmsSettings::Twilio {
        api_base,
        account_sid,
        auth_token,
        ..
    } = sms
    else {
        return Ok("not used (sms_provider = \"log\": codes go to the server log)".into());
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let url = format!("{api_base}/2010-04-01/Accounts/{account_sid}.json");
    let answer = client
        .get(&url)
        .basic_auth(account_sid, Some(auth_token.expose()))
        .send()
        .await
        .map_err(|e| format!("{api_base} does not answer: {e}"))?;
    match answer.status().as_u16() {
        200 => Ok(format!("{api_base} accepts the account SID and auth token")),
        401 | 403 => Err(format!(
            "{api_base} refuses the account SID and auth token ({})",
            answer.status()
        )),
        404 => Err(format!("{api_base} knows no account {account_sid}")),
        _ => Err(format!("{api_base} answered {}", answer.status())),
    }
}

async fn mail(settings: &Settings) -> Result<String, String> {
    let mailer = Mailer::from_settings(settings)?;
    mailer.check().await
}
