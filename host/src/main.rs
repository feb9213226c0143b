use std::process::ExitCode;

use clap::Parser as _;
use konecty_session::cli::Cli;
use konecty_session::exit::{Exit, Failure, one_line};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            // One line, whatever the cause chain holds (wasmtime errors can span several).
            eprintln!("konecty-session: {}", one_line(&format!("{err:#}")));
            let exit = err
                .downcast_ref::<Failure>()
                .map_or(Exit::Unavailable, |f| f.exit);
            exit.into()
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
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
            return Err(Failure::new(Exit::Usage, format!("{message} (see --help)")).into());
        }
    };
    Ok(konecty_session::commands::run(&cli)?.into())
}
