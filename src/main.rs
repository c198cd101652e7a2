//! The `outcomes` binary: serves the app, or with `demo --clients N` fills the database with a
//! synthetic practice.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let figment = rocket::Config::figment();
    match args.first().map(String::as_str) {
        Some("demo") => rocket::execute(async move {
            match outcomes::run_demo(figment, &args[1..]).await {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("demo: {message}");
                    ExitCode::FAILURE
                }
            }
        }),
        Some(other) => {
            eprintln!("unknown command {other:?}; run with no arguments to serve, or `demo --clients N`");
            ExitCode::from(2)
        }
        None => rocket::execute(async move {
            match outcomes::rocket(figment).launch().await {
                Ok(_) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("Outcomes could not start: {error}");
                    ExitCode::FAILURE
                }
            }
        }),
    }
}
