//! `status`: who is logged in where, and whether the server still accepts it.

use std::fmt;
use std::path::PathBuf;

use anyhow::Result;
use serde::{Serialize, Serializer};

use konecty_session::ApiError;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::{Config, Host, HostSource, StatusArgs};
use crate::cli::exit::{Exit, Failure, Kind, one_line};
use crate::cli::inputs::read_token;
use crate::cli::present::{self, UtcTime, mask_email};
use crate::cli::report::{Outcome, SESSION_AGE_NOTE, SESSION_CLEANUP_AGE_SECS, User};
use crate::cli::session::{
    Candidate, TokenSource, attempt, call, candidates, issuer_of, open, record_issuer,
    refuse_if_issued_elsewhere, server_accepts,
};

/// What status found for `host`. The text opens with the verdict, then lists the facts in
/// this order: host, token, issued, note, other stored hosts, checked.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    host: String,
    #[serde(serialize_with = "serialize_host_source")]
    host_source: HostSource,
    /// A token is there and, when `verified`, the server accepted it.
    logged_in: bool,
    /// The server was asked (not `--offline`).
    verified: bool,
    /// Set when logged in; `--offline` knows only the stored id.
    user: Option<User>,
    issued_at: Option<UtcTime>,
    /// Older than a day (Konecty closes such sessions at the user's next login).
    may_be_closed_by_next_login: Option<bool>,
    /// The token in use; none when there is none.
    token_source: Option<TokenSource>,
    /// The tokens of lower precedence that the one in use hides.
    overrides: Vec<Override>,
    /// Each one line.
    other_hosts: Vec<String>,
    /// When the server refused the token in KONECTY_TOKEN: the stored session it
    /// overrides, and whether the server accepts that one.
    #[serde(skip_serializing_if = "Option::is_none")]
    stored_session: Option<Hidden>,
    /// The credentials directory: the text names token files by it.
    #[serde(skip)]
    dir: PathBuf,
    /// When status looked: the issue time's age is told from it.
    #[serde(skip)]
    now: u64,
    /// The login command line with this run's --host and --dir, for the hints.
    #[serde(skip)]
    login_command: String,
}

/// The stored session behind a refused KONECTY_TOKEN.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Hidden {
    source: TokenSource,
    valid: bool,
}

/// A token found too, but not used.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Override {
    source: TokenSource,
    same_token: bool,
}

fn serialize_host_source<S: Serializer>(
    source: &HostSource,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(source.name())
}

/// The answer status gives, read from the facts.
enum Verdict<'a> {
    NoToken,
    NotChecked,
    RefusedBy(TokenSource),
    Valid(&'a User),
}

impl Status {
    fn verdict(&self) -> Verdict<'_> {
        match (self.token_source, self.verified, &self.user) {
            (None, _, _) => Verdict::NoToken,
            (Some(_), false, _) => Verdict::NotChecked,
            (Some(_), true, Some(user)) => Verdict::Valid(user),
            (Some(source), true, None) => Verdict::RefusedBy(source),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = &self.host;
        let env = self.dir.join(".env");
        let credentials = self.dir.join("credentials");
        let (env, credentials) = (env.display(), credentials.display());
        let verdict = self.verdict();
        match verdict {
            Verdict::NoToken => writeln!(
                f,
                "Not logged in to {host}: no token in KONECTY_TOKEN, {env} or \
                 {credentials}; log in with: {}",
                self.login_command
            )?,
            Verdict::NotChecked => writeln!(
                f,
                "A session for {host} is stored (not checked with the server)."
            )?,
            Verdict::RefusedBy(TokenSource::Environment) => {
                let next = match &self.stored_session {
                    Some(stored) if stored.valid => format!(
                        "the session stored in {} is valid",
                        stored.source.describe_in(&self.dir)
                    ),
                    Some(_) => format!(
                        "the stored one is refused too; log in with: {}",
                        self.login_command
                    ),
                    None => format!("then log in with: {}", self.login_command),
                };
                writeln!(
                    f,
                    "Not logged in to {host}: the server refuses the token in KONECTY_TOKEN, \
                     which overrides the stored sessions; unset it (unset KONECTY_TOKEN): {next}"
                )?
            }
            Verdict::RefusedBy(source) => writeln!(
                f,
                "Not logged in to {host}: the server no longer accepts the token from {}; log \
                 in again with: {}",
                source.describe_in(&self.dir),
                self.login_command
            )?,
            Verdict::Valid(user) => writeln!(f, "Logged in {}", user.session_at(host))?,
        }
        writeln!(
            f,
            "  host:    {host} (from {})",
            self.host_source.describe()
        )?;
        if let Some(source) = self.token_source {
            write!(f, "  token:   from {}", source.describe_in(&self.dir))?;
            if !self.overrides.is_empty() {
                let hidden: Vec<String> = self
                    .overrides
                    .iter()
                    .map(|hidden| {
                        let same = if hidden.same_token {
                            "same token"
                        } else {
                            "a different token"
                        };
                        format!("{} ({same})", hidden.source.describe_in(&self.dir))
                    })
                    .collect();
                write!(f, "; overrides {}", hidden.join(", "))?;
            }
            writeln!(f)?;
        }
        if let Some(at) = self.issued_at {
            writeln!(
                f,
                "  issued:  {} ({})",
                present::rfc3339(at.0),
                present::age(at.0, self.now)
            )?;
        }
        if self.may_be_closed_by_next_login == Some(true) {
            writeln!(f, "  note:    {SESSION_AGE_NOTE}")?;
        }
        if !self.other_hosts.is_empty() {
            // Cut as one line: a long list is cut once, not host by host.
            writeln!(
                f,
                "  other stored hosts: {} (switch with: konecty-session use HOST)",
                one_line(&self.other_hosts.join(", "))
            )?;
        }
        match verdict {
            Verdict::NoToken => Ok(()),
            Verdict::NotChecked => writeln!(f, "  checked: no (--offline)"),
            Verdict::RefusedBy(_) => writeln!(f, "  checked: the server refused the token"),
            Verdict::Valid(_) => writeln!(f, "  checked: valid on the server"),
        }
    }
}

impl Outcome for Status {
    fn exit(&self) -> Exit {
        if self.logged_in {
            Exit::Success
        } else {
            Exit::Refused
        }
    }
}

pub fn status(config: &Config, args: &StatusArgs) -> Result<Status> {
    let (host, host_source) = config.host()?;
    let flag = args.token_stdin.then(read_token).transpose()?;
    let mut sandbox = open(
        config,
        (!args.offline).then_some(&host),
        DirAccess::ReadOnly,
    )?;
    let found = candidates(config, &mut sandbox, &host, flag)?;
    let other_hosts = call(&mut sandbox, |s| s.stored_hosts())?
        .into_iter()
        .filter(|h| Host::parse(h).is_ok_and(|h| !h.same_as(&host)))
        .map(|h| one_line(&h))
        .collect();
    let now = present::now();
    let mut status = Status {
        host: host.url.clone(),
        host_source,
        logged_in: false,
        verified: false,
        user: None,
        issued_at: None,
        may_be_closed_by_next_login: None,
        token_source: None,
        overrides: Vec::new(),
        other_hosts,
        stored_session: None,
        dir: config.dir.clone(),
        now,
        login_command: config.login_command(&host, false),
    };

    let Some((winner, overridden)) = found.split_first() else {
        return Ok(status);
    };
    status.token_source = Some(winner.source);
    status.overrides = overridden
        .iter()
        .map(|c| Override {
            source: c.source,
            same_token: c.token == winner.token,
        })
        .collect();
    let issued_at = winner.issued_at.or_else(|| {
        overridden
            .iter()
            .find(|c| c.token == winner.token)
            .and_then(|c| c.issued_at)
    });
    status.issued_at = issued_at.map(UtcTime);
    // Konecty closes a user's sessions older than the namespace's loginExpiration (default
    // a day) whenever that user logs in again, anywhere.
    status.may_be_closed_by_next_login =
        issued_at.map(|at| now.saturating_sub(at) > SESSION_CLEANUP_AGE_SECS);

    refuse_if_issued_elsewhere(config, &host, winner)?;
    if args.offline {
        status.logged_in = true;
        status.user = Some(User::new(winner.user_id.as_deref(), None, None));
        return Ok(status);
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
    status.verified = true;
    if !check.logged_in {
        if winner.source == TokenSource::Environment {
            status.stored_session = stored_behind(config, &mut sandbox, &host, winner, overridden);
        }
        return Ok(status);
    }
    // A token this program did not see issued is bound to the first host the user named
    // (--host, KONECTY_URL) that accepts it; never to one the files name, which a component
    // may have rewritten.
    let named_by_user = matches!(host_source, HostSource::Flag | HostSource::Environment);
    if named_by_user && issuer_of(config, &winner.token)?.is_none() {
        record_issuer(config, &winner.token, &host);
    }
    let user_id = check.user_id.or_else(|| winner.user_id.clone());
    status.logged_in = true;
    // Masked, as verify-otp and login show it: an email is not printed in full.
    let email = check.email.as_deref().map(mask_email);
    status.user = Some(User::new(
        user_id.as_deref(),
        check.name.as_deref(),
        email.as_deref(),
    ));
    Ok(status)
}

/// The first stored session with another token than the refused KONECTY_TOKEN, and
/// whether the server accepts it (one it cannot be asked about now counts as not valid);
/// none when that token would not be sent here.
fn stored_behind(
    config: &Config,
    sandbox: &mut konecty_session::Sandbox,
    host: &Host,
    refused: &Candidate,
    overridden: &[Candidate],
) -> Option<Hidden> {
    let stored = overridden.iter().find(|c| c.token != refused.token)?;
    refuse_if_issued_elsewhere(config, host, stored).ok()?;
    Some(Hidden {
        source: stored.source,
        valid: server_accepts(config, sandbox, host, stored) == Some(true),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 24 * 60 * 60;
    /// 2026-11-23T14:05:00Z
    const NOW: u64 = 1_795_442_700;

    fn nobody() -> Status {
        Status {
            host: "https://app.konecty.com".into(),
            host_source: HostSource::Flag,
            logged_in: false,
            verified: false,
            user: None,
            issued_at: None,
            may_be_closed_by_next_login: None,
            token_source: None,
            overrides: Vec::new(),
            other_hosts: vec!["https://other.example".into()],
            stored_session: None,
            dir: PathBuf::from("/home/ana/.konecty"),
            now: NOW,
            login_command: "konecty-session login".into(),
        }
    }

    /// A session two days old, from .env, that hides the same token in credentials.
    fn ana() -> Status {
        Status {
            logged_in: true,
            verified: true,
            user: Some(User::new(Some("u1"), Some("Ana"), Some("ana@example.com"))),
            issued_at: Some(UtcTime(NOW - 2 * DAY)),
            may_be_closed_by_next_login: Some(true),
            token_source: Some(TokenSource::EnvFile),
            overrides: vec![Override {
                source: TokenSource::Credentials,
                same_token: true,
            }],
            ..nobody()
        }
    }

    #[test]
    fn a_valid_session_lists_its_facts_in_order() {
        let status = ana();
        assert_eq!(
            status.to_string(),
            format!(
                "Logged in to https://app.konecty.com as Ana <ana@example.com> (user id u1).\n\
                 \x20 host:    https://app.konecty.com (from --host)\n\
                 \x20 token:   from /home/ana/.konecty/.env; overrides \
                 /home/ana/.konecty/credentials (same token)\n\
                 \x20 issued:  2026-11-21T14:05:00Z (2 days ago)\n\
                 \x20 note:    {SESSION_AGE_NOTE}\n\
                 \x20 other stored hosts: https://other.example (switch with: konecty-session \
                 use HOST)\n\
                 \x20 checked: valid on the server\n"
            )
        );
        assert_eq!(status.exit(), Exit::Success);
    }

    #[test]
    fn without_a_token_the_text_says_where_it_looked() {
        let status = nobody();
        assert_eq!(
            status.to_string(),
            "Not logged in to https://app.konecty.com: no token in KONECTY_TOKEN, \
             /home/ana/.konecty/.env or /home/ana/.konecty/credentials; log in with: \
             konecty-session login\n\
             \x20 host:    https://app.konecty.com (from --host)\n\
             \x20 other stored hosts: https://other.example (switch with: konecty-session \
             use HOST)\n"
        );
        assert_eq!(status.exit(), Exit::Refused);
    }

    #[test]
    fn a_refused_or_unchecked_token_says_so() {
        let refused = Status {
            logged_in: false,
            user: None,
            other_hosts: Vec::new(),
            ..ana()
        };
        assert!(
            refused.to_string().starts_with(
                "Not logged in to https://app.konecty.com: the server no longer accepts the \
                 token from /home/ana/.konecty/.env; log in again with: konecty-session login\n"
            ),
            "{refused}"
        );
        assert!(
            refused
                .to_string()
                .ends_with("  checked: the server refused the token\n")
        );
        assert_eq!(refused.exit(), Exit::Refused);
        let offline = Status {
            verified: false,
            user: Some(User::new(Some("u1"), None, None)),
            ..ana()
        };
        assert!(
            offline
                .to_string()
                .starts_with("A session for https://app.konecty.com is stored (not checked")
        );
        assert!(offline.to_string().ends_with("  checked: no (--offline)\n"));
        assert_eq!(offline.exit(), Exit::Success);
    }

    #[test]
    fn the_json_keys_keep_their_documented_order() {
        assert_eq!(
            serde_json::to_string(&ana()).unwrap(),
            r#"{"host":"https://app.konecty.com","hostSource":"flag","loggedIn":true,"verified":true,"user":{"id":"u1","name":"Ana","email":"ana@example.com"},"issuedAt":"2026-11-21T14:05:00Z","mayBeClosedByNextLogin":true,"tokenSource":"env-file","overrides":[{"source":"credentials","sameToken":true}],"otherHosts":["https://other.example"]}"#
        );
        assert_eq!(
            serde_json::to_string(&nobody()).unwrap(),
            r#"{"host":"https://app.konecty.com","hostSource":"flag","loggedIn":false,"verified":false,"user":null,"issuedAt":null,"mayBeClosedByNextLogin":null,"tokenSource":null,"overrides":[],"otherHosts":["https://other.example"]}"#
        );
    }
}
