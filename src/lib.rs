//! Outcomes: session ratings, expected trajectories and device-registered sign-in for therapy
//! practices. `rocket(figment)` builds a whole app, so tests can run many in one process.

pub mod assets;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod ops;
pub mod routes;
pub mod services;
pub mod sms;
pub mod state;
pub mod views;

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use rocket::fairing::{AdHoc, Fairing, Info, Kind};
use rocket::figment::Figment;
use rocket::http::Header;
use rocket::{Build, Request, Response, Rocket};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

pub use clock::{Clock, QueryCounter};
use config::Settings;
use state::AppState;

/// The app with the real clock.
pub fn rocket(figment: Figment) -> Rocket<Build> {
    rocket_with_clock(figment, Clock::default())
}

/// The app with a clock the caller can move (tests of expiry).
pub fn rocket_with_clock(figment: Figment, clock: Clock) -> Rocket<Build> {
    rocket_with_instruments(figment, clock, QueryCounter::default())
}

/// The app with a movable clock and a count of its SQL statements.
pub fn rocket_with_instruments(figment: Figment, clock: Clock, queries: QueryCounter) -> Rocket<Build> {
    // Ours before Rocket's (see `logging`): Rocket then keeps its own request lines to itself.
    logging::init_from_figment(&figment);
    let prepared = config::prepare_figment(figment.clone());
    // SECURITY: Rocket would believe `X-Real-IP` from anyone; the client's address is worked out
    // by `auth::guards::client_address`, which trusts headers only from configured proxies.
    let figment = prepared.clone().unwrap_or(figment).merge(("ip_header", false));
    // The templates are compiled in; Rocket's fairing still wants a folder (see `assets`).
    let data_dir: String = figment
        .extract_inner("data_dir")
        .unwrap_or_else(|_| "data".to_string());
    let data_dir = std::path::PathBuf::from(data_dir);
    let figment = figment.merge(("template_dir", assets::template_dir(&data_dir)));
    rocket::custom(figment)
        .attach(AdHoc::try_on_ignite(
            "Settings, database and migrations",
            move |rocket| async move {
                match prepared.and_then(|p| assets::write_template_placeholders(&data_dir).map(|()| p)) {
                    Ok(_) => match build_state(&rocket, clock, queries).await {
                        Ok((state, background)) => Ok(rocket.manage(state).manage(background)),
                        Err(message) => {
                            log::error!("cannot start: {message}");
                            Err(rocket)
                        }
                    },
                    Err(message) => {
                        log::error!("cannot start: {message}");
                        Err(rocket)
                    }
                }
            },
        ))
        // First: it sees the path as asked, before the step-up fairing may rewrite it.
        .attach(logging::request::RequestLog)
        .attach(assets::templates_fairing())
        .attach(SecurityHeaders)
        .attach(metrics::RequestCounter)
        .attach(routes::step_up::StepUpFairing)
        .attach(AdHoc::on_liftoff("Background worker", |rocket| {
            Box::pin(async move {
                if let Some(background) = rocket.state::<services::background::Background>() {
                    tokio::spawn(services::background::run(background.0.clone(), rocket.shutdown()));
                }
            })
        }))
        .mount("/", routes::routes())
        .mount("/", assets::routes())
        .mount("/", metrics::routes())
        .mount("/api/v1", routes::api::routes())
        .register("/", error::catchers())
        .register("/api", routes::api::api_catchers())
        .register("/metrics", metrics::catchers())
}

/// `outcomes demo`: the same settings and database as the server, filled with synthetic data.
pub async fn run_demo(figment: Figment, args: &[String]) -> Result<String, String> {
    let options = demo::DemoOptions::parse(args)?;
    let figment = config::prepare_figment(figment)?;
    let settings = Settings::from_figment(&figment)?;
    let db = connect(&settings).await?;
    demo::run(&db, options).await
}

async fn build_state(
    rocket: &Rocket<Build>,
    clock: Clock,
    queries: QueryCounter,
) -> Result<(AppState, services::background::Background), String> {
    let settings = Settings::from_figment(rocket.figment())?;
    domain::phone::warm_up();
    let mut db = connect(&settings).await?;
    // The same pool without the statement count: the background worker's passes would
    // otherwise land in the counts tests take around one request.
    let quiet_db = db.clone();
    db.set_metric_callback(move |_| queries.increment());
    Migrator::up(&db, None)
        .await
        .map_err(|e| format!("database migrations failed: {e}"))?;
    if matches!(settings.sms, config::SmsSettings::Log) {
        log::warn!(
            "SMS provider is \"log\": security codes are written to this log, not texted. Set sms_provider = \"twilio\" for production."
        );
    }
    let dummy_hash = tokio::task::spawn_blocking(auth::password::dummy_hash)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let sms = sms::from_settings(&settings.sms)?;
    let mailer = mail::Mailer::from_settings(&settings)?;
    if let Err(why) = services::second_step::passkey::relying_party(&settings.public_url) {
        log::warn!("{why}: passkeys are switched off.");
    }
    // SECURITY: a provider's redirect is never followed (it could point anywhere), and a slow
    // one cannot hold a request for more than 10 s.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    // One set of counters for the instance: requests and the worker's sends alike.
    let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
    let postman = std::sync::Arc::new(services::outbox::Postman {
        db: quiet_db.clone(),
        clock: clock.clone(),
        sms: sms.clone(),
        mailer: mail::Mailer::from_settings(&settings)?,
        instance_id: auth::tokens::random_token::<8>(),
        wake: tokio::sync::Notify::new(),
        poll: settings.outbox_poll,
        metrics: metrics.clone(),
    });
    // Two handles on the same database, services and clock: one for requests (Rocket's managed
    // state), one the background worker owns (outbox, schedules, reminders).
    let assemble = |mailer: mail::Mailer, db: sea_orm::DatabaseConnection| AppState {
        http: http.clone(),
        metrics: metrics.clone(),
        postman: postman.clone(),
        hasher: auth::password::Hasher::new(),
        sms: sms.clone(),
        mailer,
        webauthn: services::second_step::passkey::relying_party(&settings.public_url),
        keys: auth::tokens::Keys::derive(settings.secret_key.expose()),
        db,
        settings: settings.clone(),
        clock: clock.clone(),
        dummy_hash: dummy_hash.clone(),
    };
    let background = assemble(mail::Mailer::from_settings(&settings)?, quiet_db);
    let state = assemble(mailer, db);
    Ok((
        state,
        services::background::Background(std::sync::Arc::new(background)),
    ))
}

/// Opens the configured database (creating the SQLite file, private, on first use).
pub(crate) async fn connect(settings: &Settings) -> Result<DatabaseConnection, String> {
    if settings.database_url.starts_with("sqlite:") {
        config::create_data_dir(&settings.data_dir)?;
        create_sqlite_file(&settings.database_url)?;
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(if settings.database_url.starts_with("sqlite:") {
            8
        } else {
            16
        })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    if settings.database_url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    }
    Database::connect(options)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Creates the SQLite file before SQLite does, with mode 0600: it holds health data, and SQLite
/// gives its journal files the database file's mode.
fn create_sqlite_file(database_url: &str) -> Result<(), String> {
    let path = database_url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| format!("cannot create the database file {}: {e}", path.display()))?;
    config::owner_only(path, 0o600).map_err(|e| format!("{}: {e}", path.display()))
}

/// SECURITY.md "Every request": CSP, nosniff, referrer policy, no-store, HSTS under https.
struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "Security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        response.set_header(Header::new(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'",
        ));
        response.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        response.set_header(Header::new("Referrer-Policy", "same-origin"));
        if !request.uri().path().starts_with("/static/") {
            response.set_header(Header::new("Cache-Control", "no-store"));
        }
        let https = request
            .rocket()
            .state::<AppState>()
            .is_some_and(|s| s.settings.https());
        if https {
            response.set_header(Header::new(
                "Strict-Transport-Security",
                "max-age=63072000; includeSubDomains",
            ));
        }
    }
}
