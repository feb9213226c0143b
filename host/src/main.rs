use std::io::Write;
use std::process::ExitCode;

use clap::Parser as _;
use konecty_session::cli::{Cli, Command};
use konecty_session::exit::{Exit, Failure};

fn main() -> ExitCode {
    // Known before parsing, so that even a usage error comes out as JSON.
    let mut json = std::env::args_os()
        .skip(1)
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json");
    match run(&mut json) {
        Ok(code) => code,
        Err(err) => {
            let failure = Failure::of(&err);
            failure.print(json);
            failure.exit.into()
        }
    }
}

/// `json` says how a failure is to be printed; parsing the arguments may change it.
fn run(json: &mut bool) -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version.
            err.print()?;
            return Ok(Exit::Success.into());
        }
        Err(err) => {
            // clap's first line says what is wrong; its usage block is what --help is for.
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid usage");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            let message = format!("{message} (see --help)");
            return Err(Failure::of_kind(Exit::Usage, "usage", message).into());
        }
    };
    // The MCP server's stdout carries the protocol: its own failure goes to stderr.
    *json = cli.json && !matches!(cli.command, Command::Mcp(_));
    let report = konecty_session::commands::run(&cli)?;
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
