//! The command line of the built binary (SPEC §5): `--help`, `--version`, `migrate`, `backup`
//! while serving (restored and every rating read back), and `check` without sending anything.

use std::path::Path;
use std::process::Output;

use crate::binary::{free_port, run};
use crate::common::smtp::SmtpServer;
use crate::common::{Backend, FakeTwilio, TestDatabase, fake_twilio};

/// `run` off the async workers (the fake Twilio in this process must keep answering).
pub(crate) async fn run_async(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(std::string::ToString::to_string).collect();
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        run(&dir, &args, &env)
    })
    .await
    .expect("the command ran")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_every_command_and_version_names_the_release() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = run(dir.path(), &["--help"], &[]);
    assert!(help.status.success(), "{}", stderr(&help));
    let text = stdout(&help);
    for command in ["serve", "demo", "migrate", "backup", "check"] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(command)),
            "{command} in --help:\n{text}"
        );
    }
    let version = run(dir.path(), &["--version"], &[]);
    assert!(version.status.success());
    assert_eq!(
        stdout(&version).trim(),
        format!("outcomes {}", env!("CARGO_PKG_VERSION"))
    );
    let migrate_help = run(dir.path(), &["migrate", "--help"], &[]);
    let text = stdout(&migrate_help);
    for action in ["up", "down", "status"] {
        assert!(text.contains(action), "{action} in migrate --help:\n{text}");
    }
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "--help and --version touch nothing"
    );
}

#[test]
fn a_wrong_command_or_argument_is_refused_with_a_usage_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    for args in [
        &["serv"][..],
        &["demo", "--clients", "0"],
        &["demo", "--clients", "many"],
        &["migrate", "sideways"],
        &["backup"],
    ] {
        let output = run(dir.path(), args, &[]);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let text = stderr(&output);
        assert!(
            text.starts_with("error:") && text.contains("--help"),
            "{args:?}: {text}"
        );
    }
}

async fn migrate_applies_lists_and_reverts(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = TestDatabase::create(backend, dir.path()).await else {
        return;
    };
    let env = [("DATABASE_URL", db.url.clone())];
    let status = |output: &Output| {
        assert!(output.status.success(), "{}", stderr(output));
        stdout(output).lines().last().unwrap_or_default().to_string()
    };
    let before = status(&run_async(dir.path(), &["migrate", "status"], &env).await);
    let (applied, pending) = counts(&before);
    assert_eq!(applied, 0, "{before}");
    assert!(pending >= 10, "{before}");
    let up = run_async(dir.path(), &["migrate", "up"], &env).await;
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(
        stdout(&up).contains(&format!("applied {pending} migration(s)")),
        "{}",
        stdout(&up)
    );
    let after = status(&run_async(dir.path(), &["migrate", "status"], &env).await);
    assert_eq!(counts(&after), (pending, 0), "{after}");
    let down = run_async(dir.path(), &["migrate", "down"], &env).await;
    assert!(down.status.success(), "{}", stderr(&down));
    let listed = run_async(dir.path(), &["migrate", "status"], &env).await;
    assert_eq!(counts(&status(&listed)), (pending - 1, 1));
    let last = stdout(&listed)
        .lines()
        .rev()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(last.starts_with("pending"), "the newest is pending again: {last}");
    // Bare `migrate` is `migrate up`.
    let bare = run_async(dir.path(), &["migrate"], &env).await;
    assert!(
        stdout(&bare).contains("applied 1 migration(s)"),
        "{}",
        stdout(&bare)
    );
}

fn counts(line: &str) -> (usize, usize) {
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_lists_and_reverts_on_sqlite() {
    migrate_applies_lists_and_reverts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_lists_and_reverts_on_postgres() {
    migrate_applies_lists_and_reverts(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgresql_says_to_use_pg_dump() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = TestDatabase::create(Backend::Postgres, dir.path()).await else {
        return;
    };
    let output = run_async(
        dir.path(),
        &["backup", "x.sqlite"],
        &[("DATABASE_URL", db.url.clone())],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("pg_dump"), "{}", stderr(&output));
    assert!(!dir.path().join("x.sqlite").exists());
}

/// Settings for `check` that name a fake Twilio and an SMTP server.
fn check_env(db_url: &str, twilio: &FakeTwilio, token: &str, smtp_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", db_url.to_string()),
        ("ROCKET_SMS_PROVIDER", "twilio".into()),
        ("ROCKET_TWILIO_API_BASE", twilio.base.clone()),
        ("ROCKET_TWILIO_ACCOUNT_SID", fake_twilio::ACCOUNT_SID.into()),
        ("ROCKET_TWILIO_AUTH_TOKEN", token.into()),
        ("ROCKET_TWILIO_FROM", "\"+15005550006\"".into()),
        ("ROCKET_SMTP_URL", smtp_url.to_string()),
    ]
}

async fn check_passes_with_everything_answering_and_sends_nothing(backend: Backend) {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = TestDatabase::create(backend, dir.path()).await else {
        return;
    };
    let twilio = FakeTwilio::start().await;
    let env = check_env(&db.url, &twilio, fake_twilio::AUTH_TOKEN, &smtp.url);
    let output = run_async(dir.path(), &["check"], &env).await;
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for what in ["settings", "database", "twilio", "mail"] {
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("ok    {what}:"))),
            "{what}: {text}"
        );
    }
    assert_eq!(twilio.count(), 0, "no text sent");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(smtp.messages().is_empty(), "no mail sent");
    assert!(
        !text.contains(fake_twilio::AUTH_TOKEN),
        "the token is never printed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_with_everything_answering_and_sends_nothing_on_sqlite() {
    check_passes_with_everything_answering_and_sends_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_with_everything_answering_and_sends_nothing_on_postgres() {
    check_passes_with_everything_answering_and_sends_nothing(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_with_one_clear_line_per_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let twilio = FakeTwilio::start().await;
    let nobody = format!("postgres://postgres@127.0.0.1:{}/outcomes", free_port());
    let closed_smtp = format!("smtp://127.0.0.1:{}", free_port());
    let env = check_env(&nobody, &twilio, "a-wrong-token", &closed_smtp);
    let output = run_async(dir.path(), &["check"], &env).await;
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let failures: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(failures.len(), 3, "{text}");
    assert!(
        failures
            .iter()
            .any(|l| l.starts_with("FAIL  database: cannot open the database")),
        "{text}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.starts_with("FAIL  twilio:") && l.contains("refuses")),
        "{text}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.starts_with("FAIL  mail: the SMTP server cannot be reached")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("ok    settings")));
    assert!(!text.contains("a-wrong-token"), "the token is never printed");

    let bad = run_async(
        dir.path(),
        &["check"],
        &[("ROCKET_SMS_PROVIDER", "pigeon".into())],
    )
    .await;
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        stdout(&bad).trim(),
        "FAIL  settings: sms_provider \"pigeon\" must be \"log\" or \"twilio\""
    );
}
