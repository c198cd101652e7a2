//! The command line (`outcomes --help`): `serve` (the default), `demo`, `migrate`, `backup`,
//! `check`. Each command reads the same settings as the server (`Rocket.toml`, `ROCKET_*`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::ops;

#[derive(Debug, Parser)]
#[command(
    name = "outcomes",
    version,
    about = "Outcomes: session ratings, expected trajectories and device-registered sign-in for therapy practices.",
    after_help = "Settings come from Rocket.toml in the working folder and ROCKET_* environment variables (see the README)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web pages and the API (the default); pending migrations are applied first
    Serve,
    /// Fill the configured database with a synthetic practice and print how to sign in
    Demo {
        /// How many clients (about 20 ratings each)
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        clients: u32,
    },
    /// Apply, revert or list the database migrations (default: up)
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Copy the SQLite database to FILE while the service runs (PostgreSQL: use pg_dump)
    Backup {
        /// A new file for the copy
        file: PathBuf,
    },
    /// Check the settings, the database, Twilio's credentials and the SMTP server without
    /// sending anything; exits non-zero on any failure
    Check,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration
    Up,
    /// Revert the newest applied migrations
    Down {
        /// How many to revert
        #[arg(short = 'n', long, default_value_t = 1)]
        steps: u32,
    },
    /// List each migration as applied or pending
    Status,
}

/// Runs the command line's choice to its end.
pub fn run(cli: Cli) -> ExitCode {
    let figment = rocket::Config::figment();
    let command = cli.command.unwrap_or(Command::Serve);
    let (verbosity, format) = crate::logging::settings_of(&figment);
    // The other commands print their own result: only warnings and errors beside it.
    let verbosity = if matches!(command, Command::Serve) {
        verbosity
    } else {
        verbosity.min(crate::logging::Verbosity::Critical)
    };
    crate::logging::init(verbosity, format);
    rocket::execute(async move {
        match command {
            Command::Serve => match crate::rocket(figment).launch().await {
                Ok(_) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("Outcomes could not start: {error}");
                    ExitCode::FAILURE
                }
            },
            Command::Demo { clients } => {
                let args = ["--clients".to_string(), clients.to_string()];
                finish("demo", crate::run_demo(figment, &args).await)
            }
            Command::Migrate { action } => {
                let direction = match action.unwrap_or(MigrateAction::Up) {
                    MigrateAction::Up => ops::migrate::Direction::Up,
                    MigrateAction::Down { steps } => ops::migrate::Direction::Down(steps),
                    MigrateAction::Status => ops::migrate::Direction::Status,
                };
                let result = match ops::settings(figment) {
                    Ok(settings) => ops::migrate::run(&settings, direction).await,
                    Err(wrong) => Err(wrong),
                };
                finish("migrate", result)
            }
            Command::Backup { file } => {
                let result = match ops::settings(figment) {
                    Ok(settings) => ops::backup::run(&settings, &file).await,
                    Err(wrong) => Err(wrong),
                };
                finish("backup", result)
            }
            Command::Check => {
                let lines = ops::check::run(figment).await;
                for line in &lines {
                    println!("{line}");
                }
                if lines.iter().all(|line| line.result.is_ok()) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
        }
    })
}

fn finish(command: &str, result: Result<String, String>) -> ExitCode {
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{command}: {message}");
            ExitCode::FAILURE
        }
    }
}
