//! `token`: print the token in use, for scripts.

use anyhow::Result;
use serde_json::json;

use crate::cli::args::Config;
use crate::cli::exit::Exit;
use crate::cli::report::Report;
use crate::cli::session::best_token;

pub fn token(config: &Config) -> Result<Report> {
    let (host, winner) = best_token(config)?;
    let json =
        json!({"host": host.url, "token": winner.token, "tokenSource": winner.source.name()});
    Ok(Report::new(
        Exit::Success,
        format!("{}\n", winner.token),
        json,
    ))
}
