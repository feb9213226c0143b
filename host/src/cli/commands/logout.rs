//! `logout`: end the session on the server and remove it from the files.

use anyhow::Result;
use serde_json::json;

use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::exit::{Exit, one_line};
use crate::cli::report::Report;
use crate::cli::session::{TokenSource, call, candidates, open, refuse_if_issued_elsewhere};

pub fn logout(config: &Config) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    // The component sends the stored tokens: none may go to a host that did not issue it.
    for candidate in candidates(config, &mut sandbox, &host, None)? {
        if candidate.source != TokenSource::Environment {
            refuse_if_issued_elsewhere(config, &host, &candidate)?;
        }
    }
    let outcome = call(&mut sandbox, |s| s.logout(&host.url))?;
    let server = match (outcome.revoked_on_server, &outcome.server_message) {
        (true, _) => "revoked on the server".to_string(),
        (false, Some(message)) => format!("the server no longer knew it ({})", one_line(message)),
        (false, None) => "nothing to revoke on the server".to_string(),
    };
    let text = if outcome.removed_locally || outcome.revoked_on_server {
        let local = if outcome.removed_locally {
            "token removed from the credential files"
        } else {
            "no token was stored"
        };
        format!("Logged out of {}: {server}; {local}.\n", host.url)
    } else {
        format!("No session stored for {}: nothing to log out.\n", host.url)
    };
    let json = json!({
        "host": host.url,
        "revokedOnServer": outcome.revoked_on_server,
        "serverMessage": outcome.server_message.as_deref().map(one_line),
        "removedLocally": outcome.removed_locally,
    });
    Ok(Report::new(Exit::Success, text, json))
}
