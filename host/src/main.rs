//! `konecty-session`: arguments parsed into a configuration, one command run, its result or
//! its error printed once.

use std::io::Write;
use std::process::ExitCode;

mod cli;

use clap::Parser as _;

use crate::cli::args::{Cli, Command};
use crate::cli::exit::{Exit, Failure, Kind};

fn main() -> ExitCode {
    // Before any secret is read: the token and the code never reach a core file.
    konecty_session::process_guard::keep_secrets_out_of_dumps();
    // Known before parsing, so that even a usage error comes out as JSON.
    let json_asked = std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json");
    let cli = match parse() {
        Ok(Some(cli)) => cli,
        Ok(None) => return Exit::Success.into(),
        Err(err) => return fail(&err, json_asked),
    };
    // The MCP server's stdout carries the protocol: its own failure goes to stderr.
    let json_errors = cli.json && !matches!(cli.command, Command::Mcp(_));
    match run(&cli) {
        Ok(code) => code,
        Err(err) => fail(&err, json_errors),
    }
}

/// The arguments, or None when clap has answered `--help` or `--version` itself.
fn parse() -> anyhow::Result<Option<Cli>> {
    match Cli::try_parse() {
        Ok(cli) => Ok(Some(cli)),
        Err(err) if !err.use_stderr() => {
            err.print()?;
            Ok(None)
        }
        Err(err) => {
            // clap's first line says what is wrong; its usage block is what --help is for.
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid usage");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            let message = format!("{message} (see --help)");
            Err(Failure::new(Kind::Usage, message).into())
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let report = cli::commands::run(cli)?;
    let mut stdout = std::io::stdout().lock();
    if cli.json {
        if !report.json.is_null() {
            writeln!(stdout, "{}", report.json)?;
        }
    } else {
        write!(stdout, "{}", report.text)?;
    }
    stdout.flush()?;
    Ok(report.exit.into())
}

/// Prints the failure once, as JSON on stdout or one line on stderr.
fn fail(err: &anyhow::Error, json: bool) -> ExitCode {
    let failure = Failure::of(err);
    failure.print(json);
    failure.exit().into()
}
