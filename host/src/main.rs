//! `konecty-session`: arguments parsed into a configuration, one command run, its result or
//! its error printed once.

use std::process::ExitCode;

mod cli;

use crate::cli::args::{Cli, Command};
use crate::cli::exit::{Exit, Failure};
use crate::cli::parse::Parsed;

fn main() -> ExitCode {
    // Before any secret is read: the token and the code never reach a core file.
    konecty_session::process_guard::keep_secrets_out_of_dumps();
    // Known before parsing, so that even a usage error comes out as JSON.
    let json_asked = std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json");
    let cli = match cli::parse::parse(std::env::args_os(), json_asked) {
        Ok(Parsed::Run(cli)) => cli,
        Ok(Parsed::Done) => return Exit::Success.into(),
        Ok(Parsed::Answered(kind)) => return kind.exit().into(),
        Err(err) if cli::output::is_closed_pipe(&err) => return Exit::Success.into(),
        Err(err) => return fail(&err, json_asked),
    };
    // The MCP server's stdout carries the protocol: its own failure goes to stderr.
    let json_errors = cli.json && !matches!(cli.command, Command::Mcp(_));
    match run(&cli) {
        Ok(code) => code,
        // Whoever read our output stopped reading (`| head`): nothing left to say to them.
        Err(err) if cli::output::is_closed_pipe(&err) => Exit::Success.into(),
        Err(err) => fail(&err, json_errors),
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let report = cli::commands::run(cli)?;
    let written = if !cli.json {
        cli::output::write_stdout(&report.text)
    } else if !report.json.is_null() {
        cli::output::write_stdout(&format!("{}\n", report.json))
    } else {
        Ok(())
    };
    match written {
        // The command ran; a reader that left early changes nothing about how it went.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(report.exit.into()),
        written => {
            written?;
            Ok(report.exit.into())
        }
    }
}

/// Prints the failure once, as JSON on stdout or one line on stderr.
fn fail(err: &anyhow::Error, json: bool) -> ExitCode {
    let failure = Failure::of(err);
    failure.print(json);
    failure.exit().into()
}
