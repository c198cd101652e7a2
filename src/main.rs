//! The `outcomes` binary: reads the command line (`outcomes --help`) and runs the command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    outcomes::cli::run(outcomes::cli::Cli::parse())
}
