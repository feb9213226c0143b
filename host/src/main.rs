use std::process::ExitCode;

use clap::Parser;
use konecty_session::cli::Cli;
use konecty_session::exit::{Exit, Failure};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("konecty-session: {err:#}");
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
