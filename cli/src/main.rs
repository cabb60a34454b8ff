//! The `gridpatrol` command.
//!
//! Owns argument parsing and output formats (human text or `--json`) and exit codes: 0 success,
//! 2 invalid input (a rejected package, an unknown code), 1 any other failure. Every failure with
//! `--json` prints one object with a machine `code` and a `message`. The work itself is the core's.

mod taxonomy;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gridpatrol",
    version,
    about = "gridpatrol: offline-first field client core for city grid workers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The event list: statistics, lint a city's package, search, show a subtype, seal.
    Taxonomy {
        #[command(subcommand)]
        command: taxonomy::Command,
    },
}

/// A failure the command reports: a machine code, a message, and the exit code.
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub exit: u8,
    /// Extra JSON fields (e.g. the problems of a rejected package).
    pub details: Option<serde_json::Value>,
    /// The command already printed its own output for this failure (e.g. `check`'s problems).
    pub reported: bool,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>, exit: u8) -> Self {
        Self {
            code,
            message: message.into(),
            exit,
            details: None,
            reported: false,
        }
    }

    pub fn reported(code: &'static str, exit: u8) -> Self {
        Self {
            reported: true,
            ..Self::new(code, String::new(), exit)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (result, json) = match cli.command {
        Command::Taxonomy { command } => {
            let json = command.json();
            (taxonomy::run(command), json)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.reported {
            } else if json {
                let mut object =
                    serde_json::json!({"status": "error", "code": failure.code, "message": failure.message});
                if let Some(details) = failure.details {
                    object["details"] = details;
                }
                println!("{object}");
            } else {
                eprintln!("error [{}]: {}", failure.code, failure.message);
            }
            ExitCode::from(failure.exit)
        }
    }
}

/// Prints a value as one line of JSON.
pub fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string(value).expect("CLI output types always serialize")
    );
}
