//! `use`: make a stored session the default one.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::{Config, Host};
use crate::cli::exit::{Failure, Kind, one_line};
use crate::cli::report::Outcome;
use crate::cli::session::{call, open};

/// The session that is now the default one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultSession {
    /// The host the user named, not the component's word for it.
    host: String,
    user_id: Option<String>,
    /// Always true: says what changed.
    default: bool,
}

impl fmt::Display for DefaultSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} is now the default session (credentials [default] and .env).",
            self.host
        )
    }
}

impl Outcome for DefaultSession {}

pub fn use_host(config: &Config, url: &str) -> Result<DefaultSession> {
    let host = Host::parse(url)?;
    let mut sandbox = open(config, None, DirAccess::ReadWrite)?;
    let Some(stored) = call(&mut sandbox, |s| s.use_session(&host.url))? else {
        let known = call(&mut sandbox, |s| s.stored_hosts())?;
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            one_line(&known.join(", "))
        };
        return Err(Failure::new(
            Kind::NotLoggedIn,
            format!(
                "no session stored for {}: log in with: {} (stored hosts: {known})",
                host.url,
                config.login_command(&host, true)
            ),
        )
        .into());
    };
    Ok(DefaultSession {
        host: host.url,
        user_id: stored.user_id.as_deref().map(one_line),
        default: true,
    })
}
