//! The `gridpatrol` command.
//!
//! Owns argument parsing and output formats (human text or `--json`) and exit codes: 0 success,
//! 2 invalid input (a rejected package, an unknown code), 1 any other failure. Every failure with
//! `--json` prints one object with a machine `code` and a `message`. The work itself is the core's.

/// `println!` that ends the process quietly when stdout is closed (`gridpatrol … | head`)
/// instead of panicking on the broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod client;
mod component;
mod core_error;
mod demo;
mod grid;
mod patrol;
mod serve;
mod sync_cmd;
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
    /// A patrol day end to end: devices capture offline, reconnect to a faulty network, drain.
    ///
    /// Starts the reference platform in-process on 127.0.0.1, enrolls six phones (inspectors,
    /// a grid leader, volunteers), captures reports with real photos over the sample grids —
    /// some wrong in the ways field reports go wrong and caught on the device — while offline,
    /// then reconnects with injected faults and drains every outbox. Ends with a summary.
    #[command(verbatim_doc_comment)]
    Demo(demo::Args),
    /// The event list: statistics, lint a city's package, search, show a subtype, seal.
    Taxonomy {
        #[command(subcommand)]
        command: taxonomy::Command,
    },
    /// The field client on a data directory: capture and submit, list the outbox, enroll, sync.
    Client(client::Args),
    /// Grids: which level 1-3 grids a position lies in, counts of a grid package.
    Grid {
        #[command(subcommand)]
        command: grid::Command,
    },
    /// Components (部件): the lamps, covers, trees and signs near a position; install a package.
    Component {
        #[command(subcommand)]
        command: component::Command,
    },
    /// Runs the reference command platform (the sync protocol's server) on a data directory.
    Serve(serve::Args),
}

/// A failure the command reports: a machine code, a message, and the exit code.
pub struct Failure {
    pub code: &'static str,
    pub message: String,
    pub exit: u8,
    /// Extra JSON fields (e.g. the problems of a rejected package).
    pub details: Option<serde_json::Value>,
    /// Extra top-level JSON fields (e.g. `kind` of a refused photo).
    pub fields: serde_json::Map<String, serde_json::Value>,
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
            fields: serde_json::Map::new(),
            reported: false,
        }
    }

    /// Adds a top-level field to the JSON error object.
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }

    pub fn reported(code: &'static str, exit: u8) -> Self {
        Self {
            reported: true,
            ..Self::new(code, String::new(), exit)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return argument_error(error),
    };
    let (result, json) = match cli.command {
        Command::Taxonomy { command } => {
            let json = command.json();
            (taxonomy::run(command), json)
        }
        Command::Client(args) => {
            let json = args.json();
            (client::run(args), json)
        }
        Command::Grid { command } => {
            let json = command.json();
            (grid::run(command), json)
        }
        Command::Component { command } => {
            let json = command.json();
            (component::run(command), json)
        }
        Command::Serve(args) => {
            let json = args.json();
            (serve::run(args), json)
        }
        Command::Demo(args) => {
            let json = args.json();
            (demo::run(args), json)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if failure.reported {
            } else if json {
                let mut object =
                    serde_json::json!({"status": "error", "code": failure.code, "message": failure.message});
                for (key, value) in failure.fields {
                    object[key] = value;
                }
                if let Some(details) = failure.details {
                    object["details"] = details;
                }
                out!("{object}");
            } else {
                eprintln!("error [{}]: {}", failure.code, failure.message);
            }
            ExitCode::from(failure.exit)
        }
    }
}

/// A command line clap refuses. Scripts that asked for `--json` get one JSON error object
/// (code `bad_argument`, exit 2) instead of clap's text; help and version print as usual.
fn argument_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let shows_text = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if shows_text || !std::env::args_os().skip(1).any(|arg| arg == "--json") {
        error.exit();
    }
    let text = error.render().to_string();
    let message = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_owned();
    out!(
        "{}",
        serde_json::json!({"status": "error", "code": "bad_argument", "message": message})
    );
    ExitCode::from(2)
}

/// Prints a value as one line of JSON.
pub fn print_json(value: &impl serde::Serialize) {
    out!(
        "{}",
        serde_json::to_string(value).expect("CLI output types always serialize")
    );
}
