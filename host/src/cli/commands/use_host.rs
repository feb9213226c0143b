//! `use`: make a stored session the default one.

use anyhow::Result;
use serde_json::json;

use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::{Config, Host};
use crate::cli::exit::{Exit, Failure, Kind, one_line};
use crate::cli::report::Report;
use crate::cli::session::{call, open};

pub fn use_host(config: &Config, url: &str) -> Result<Report> {
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
                "no session stored for {}: log in with: konecty-session --host {} login \
                 (stored hosts: {known})",
                host.url, host.url
            ),
        )
        .into());
    };
    // The host the user named, not the component's word for it.
    let text = format!(
        "{} is now the default session (credentials [default] and .env).\n",
        host.url
    );
    let json = json!({
        "host": host.url,
        "userId": stored.user_id.as_deref().map(one_line),
        "default": true,
    });
    Ok(Report::new(Exit::Success, text, json))
}
