//! `completions`: shell completion scripts.

use clap::CommandFactory;
use serde_json::json;

use crate::cli::args::Cli;
use crate::cli::exit::Exit;
use crate::cli::report::Report;

pub fn completions(shell: clap_complete::Shell) -> Report {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "konecty-session", &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    let json = json!({"shell": shell.to_string(), "script": script});
    Report::new(Exit::Success, script, json)
}
