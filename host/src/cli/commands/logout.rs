//! `logout`: end the session on the server and remove it from the files.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::exit::one_line;
use crate::cli::report::Outcome;
use crate::cli::session::{TokenSource, call, candidates, open, refuse_if_issued_elsewhere};

/// What became of the session on the server and in the files.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOut {
    host: String,
    revoked_on_server: bool,
    /// One line: the server's words when it no longer knew the session.
    server_message: Option<String>,
    removed_locally: bool,
}

impl fmt::Display for LoggedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.removed_locally && !self.revoked_on_server {
            return writeln!(
                f,
                "No session stored for {}: nothing to log out.",
                self.host
            );
        }
        let server = match (self.revoked_on_server, &self.server_message) {
            (true, _) => "revoked on the server".to_string(),
            (false, Some(message)) => format!("the server no longer knew it ({message})"),
            (false, None) => "nothing to revoke on the server".to_string(),
        };
        let local = if self.removed_locally {
            "token removed from the credential files"
        } else {
            "no token was stored"
        };
        writeln!(f, "Logged out of {}: {server}; {local}.", self.host)
    }
}

impl Outcome for LoggedOut {}

pub fn logout(config: &Config) -> Result<LoggedOut> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    // The component sends the stored tokens: none may go to a host that did not issue it.
    for candidate in candidates(config, &mut sandbox, &host, None)? {
        if candidate.source != TokenSource::Environment {
            refuse_if_issued_elsewhere(config, &host, &candidate)?;
        }
    }
    let outcome = call(&mut sandbox, |s| s.logout(&host.url))?;
    Ok(LoggedOut {
        host: host.url,
        revoked_on_server: outcome.revoked_on_server,
        server_message: outcome.server_message.as_deref().map(one_line),
        removed_locally: outcome.removed_locally,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged_out(revoked: bool, message: Option<&str>, removed: bool) -> String {
        LoggedOut {
            host: "https://app.konecty.com".into(),
            revoked_on_server: revoked,
            server_message: message.map(String::from),
            removed_locally: removed,
        }
        .to_string()
    }

    #[test]
    fn the_text_says_what_happened_on_the_server_and_in_the_files() {
        assert_eq!(
            logged_out(true, None, true),
            "Logged out of https://app.konecty.com: revoked on the server; token removed from \
             the credential files.\n"
        );
        assert_eq!(
            logged_out(false, Some("Token not found"), true),
            "Logged out of https://app.konecty.com: the server no longer knew it (Token not \
             found); token removed from the credential files.\n"
        );
        assert_eq!(
            logged_out(false, None, false),
            "No session stored for https://app.konecty.com: nothing to log out.\n"
        );
    }
}
