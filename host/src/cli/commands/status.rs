//! `status`: who is logged in where, and whether the server still accepts it.

use anyhow::Result;
use serde_json::json;

use konecty_session::ApiError;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::{Config, Host, HostSource, StatusArgs};
use crate::cli::exit::{Exit, Failure, Kind, one_line};
use crate::cli::inputs::read_token;
use crate::cli::present::{self};
use crate::cli::report::{Report, SESSION_AGE_NOTE, SESSION_CLEANUP_AGE_SECS, logged_in_line};
use crate::cli::session::{
    attempt, call, candidates, issuer_of, open, record_issuer, refuse_if_issued_elsewhere,
};

pub fn status(config: &Config, args: &StatusArgs) -> Result<Report> {
    let (host, host_source) = config.host()?;
    let flag = args.token_stdin.then(read_token).transpose()?;
    let mut sandbox = open(
        config,
        (!args.offline).then_some(&host),
        DirAccess::ReadOnly,
    )?;
    let found = candidates(config, &mut sandbox, &host, flag)?;
    let other_hosts: Vec<String> = call(&mut sandbox, |s| s.stored_hosts())?
        .into_iter()
        .filter(|h| Host::parse(h).is_ok_and(|h| !h.same_as(&host)))
        .collect();
    let mut lines = vec![format!(
        "  host:    {} (from {})",
        host.url,
        host_source.describe()
    )];
    let mut json = json!({
        "host": host.url,
        "hostSource": host_source.name(),
        "loggedIn": false,
        "verified": false,
        "user": null,
        "issuedAt": null,
        "mayBeClosedByNextLogin": null,
        "tokenSource": null,
        "overrides": [],
        "otherHosts": other_hosts.iter().map(|h| one_line(h)).collect::<Vec<_>>(),
    });
    if !other_hosts.is_empty() {
        let hint = format!(
            "  other stored hosts: {} (switch with: konecty-session use HOST)",
            one_line(&other_hosts.join(", "))
        );
        lines.push(hint);
    }

    let Some((winner, overridden)) = found.split_first() else {
        let text = format!(
            "Not logged in to {}: no token in KONECTY_TOKEN, {dir}/.env or {dir}/credentials; \
             log in with: konecty-session login\n{}\n",
            host.url,
            lines.join("\n"),
            dir = config.dir.display()
        );
        return Ok(Report::new(Exit::Refused, text, json));
    };
    json["tokenSource"] = json!(winner.source.name());
    json["overrides"] = overridden
        .iter()
        .map(|c| json!({"source": c.source.name(), "sameToken": c.token == winner.token}))
        .collect();
    let mut token_line = format!("  token:   from {}", winner.source.describe(config));
    if !overridden.is_empty() {
        let what: Vec<String> = overridden
            .iter()
            .map(|c| {
                let same = if c.token == winner.token {
                    "same token"
                } else {
                    "a different token"
                };
                format!("{} ({same})", c.source.describe(config))
            })
            .collect();
        token_line.push_str(&format!("; overrides {}", what.join(", ")));
    }
    lines.insert(1, token_line);
    let issued_at = winner.issued_at.or_else(|| {
        overridden
            .iter()
            .find(|c| c.token == winner.token)
            .and_then(|c| c.issued_at)
    });
    if let Some(at) = issued_at {
        json["issuedAt"] = json!(present::rfc3339(at));
        lines.insert(
            2,
            format!(
                "  issued:  {} ({})",
                present::rfc3339(at),
                present::age(at, present::now())
            ),
        );
        // Konecty closes a user's sessions older than the namespace's loginExpiration
        // (default a day) whenever that user logs in again, anywhere.
        let old = present::now().saturating_sub(at) > SESSION_CLEANUP_AGE_SECS;
        json["mayBeClosedByNextLogin"] = json!(old);
        if old {
            lines.insert(3, format!("  note:    {SESSION_AGE_NOTE}"));
        }
    }

    refuse_if_issued_elsewhere(config, &host, winner)?;
    if args.offline {
        json["loggedIn"] = json!(true);
        json["user"] =
            json!({"id": winner.user_id.as_deref().map(one_line), "name": null, "email": null});
        lines.push("  checked: no (--offline)".to_string());
        let text = format!(
            "A session for {} is stored (not checked with the server).\n{}\n",
            host.url,
            lines.join("\n")
        );
        return Ok(Report::new(Exit::Success, text, json));
    }
    let check = match attempt(&mut sandbox, |s| s.check_session(&host.url, &winner.token))? {
        Ok(check) => check,
        // The server's word that the token is no good: an answer, not a failure.
        Err(ApiError::Unauthorized(_)) => konecty_session::SessionCheck {
            logged_in: false,
            user_id: None,
            name: None,
            email: None,
        },
        // Anything else means the server could not be asked: exit 3, so an answer the
        // server gave (429, a 400) counts as its fault here.
        Err(err) => {
            let mut failure = Failure::from(err);
            if failure.exit() != Exit::Unavailable {
                failure.kind = Kind::ServerError;
            }
            failure.message = format!("could not check the session: {}", failure.message);
            return Err(failure.into());
        }
    };
    json["verified"] = json!(true);
    if !check.logged_in {
        lines.push("  checked: the server refused the token".to_string());
        let text = format!(
            "Not logged in to {}: the server no longer accepts the token from {}; log in again \
             with: konecty-session login\n{}\n",
            host.url,
            winner.source.describe(config),
            lines.join("\n")
        );
        return Ok(Report::new(Exit::Refused, text, json));
    }
    // A token this program did not see issued is bound to the first host the user named
    // (--host, KONECTY_URL) that accepts it; never to one the files name, which a component
    // may have rewritten.
    let named_by_user = matches!(host_source, HostSource::Flag | HostSource::Environment);
    if named_by_user && issuer_of(config, &winner.token)?.is_none() {
        record_issuer(config, &winner.token, &host);
    }
    let user_id = check.user_id.clone().or_else(|| winner.user_id.clone());
    json["loggedIn"] = json!(true);
    json["user"] = json!({
        "id": user_id.as_deref().map(one_line),
        "name": check.name.as_deref().map(one_line),
        "email": check.email.as_deref().map(one_line),
    });
    lines.push("  checked: valid on the server".to_string());
    let text = format!(
        "{}\n{}\n",
        logged_in_line(
            &host.url,
            check.name.as_deref(),
            check.email.as_deref(),
            user_id.as_deref().unwrap_or("?")
        ),
        lines.join("\n")
    );
    Ok(Report::new(Exit::Success, text, json))
}
