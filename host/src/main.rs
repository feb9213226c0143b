use std::process::ExitCode;

use clap::Parser;
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
    let cli = Cli::parse();
    Ok(konecty_session::commands::run(&cli)?.into())
}
