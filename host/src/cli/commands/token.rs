//! `token`: print the token in use, for scripts.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use crate::cli::args::Config;
use crate::cli::report::Outcome;
use crate::cli::session::{TokenSource, best_token};

/// The token status would use for `host`, and where it came from. Displayed: the token
/// alone, for `$(konecty-session token)`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInUse {
    host: String,
    /// Printable: [`best_token`] refuses any other.
    token: String,
    token_source: TokenSource,
}

impl fmt::Display for TokenInUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.token)
    }
}

impl Outcome for TokenInUse {}

pub fn token(config: &Config) -> Result<TokenInUse> {
    let (host, winner) = best_token(config)?;
    Ok(TokenInUse {
        host: host.url,
        token: winner.token,
        token_source: winner.source,
    })
}
