//! One function per command. Each returns a [`Report`]: the exit code, and the result both
//! as text and as the one JSON object `--json` prints. Errors go back to `main` as
//! [`Failure`]s.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::CommandFactory;
use serde_json::{Value, json};

use crate::audit::Observer;
use crate::cli::{
    Cli, CodeSource, Command, Config, DevServerArgs, EnvArgs, Host, HostSource, MaybeRecipient,
    Recipient, ShellSyntax, StatusArgs, Verify, env_var,
};
use crate::credentials_dir::{self, DirAccess};
use crate::dev_server::{DevServer, DevServerConfig, DevUser};
use crate::exit::{Exit, Failure, one_line};
use crate::network::Network;
use crate::policy::{Incident, Limits};
use crate::present::{self, mask, mask_email};
use crate::sandbox::{
    ApiError, ApiSession, Channel, ClientLabel, ComponentSource, CredentialFile, Geolocation,
    Grant, Identifier, OtpSent, Runtime, Sandbox, SaveTargets, StoredSession,
};

/// What a command has to say: `text` for people, `json` for `--json`.
pub struct Report {
    pub exit: Exit,
    pub text: String,
    pub json: Value,
}

impl Report {
    pub fn new(exit: Exit, text: impl Into<String>, json: Value) -> Report {
        Report {
            exit,
            text: text.into(),
            json,
        }
    }
}

/// The code's lifetime on a Konecty server with default settings. The namespace may set
/// another (`otpConfig.expirationMinutes`) and no answer says it: shown only through
/// [`code_lifetime_note`], never as a fact.
pub const CODE_LIFETIME_SECS: u64 = 5 * 60;

/// What to say when the namespace wanted the device's location: the server checks it after
/// it has used the code up.
pub const GEOLOCATION_NEEDED: &str = "this namespace requires the device's location with the \
    code, and the server has used the code up: request a new code, then verify with \
    --geolocation LAT,LON (for example --geolocation=-23.55,-46.63)";

/// Whether the server refused for want of a location (`Geolocation required`).
pub fn geolocation_required(failure: &Failure) -> bool {
    failure.kind == "rejected"
        && failure
            .server_message
            .as_deref()
            .is_some_and(|m| m.trim() == "Geolocation required")
}

/// The age past which a session may be closed by its user's next login anywhere: the
/// default of the namespace's `loginExpiration`.
pub const SESSION_CLEANUP_AGE_SECS: u64 = 24 * 60 * 60;

/// Why an old session may vanish, and what to do, in one wording.
pub const SESSION_AGE_NOTE: &str = "older than a day: this user's next login anywhere \
    (a browser included) may close it, as Konecty does with sessions older than the \
    namespace's loginExpiration; then log in again";

/// How long the code lives, in the one wording used everywhere: `about 5 minutes unless the
/// namespace set otherwise (around 14:05 UTC)`.
pub fn code_lifetime_note(requested_at: u64) -> String {
    format!(
        "about {} minutes unless the namespace set otherwise (around {})",
        CODE_LIFETIME_SECS / 60,
        present::clock_time(requested_at + CODE_LIFETIME_SECS)
    )
}

/// `source` sent with verify-otp, recorded by the server with the session.
pub const SOURCE: &str = crate::USER_AGENT;

pub fn run(cli: &Cli) -> Result<Report> {
    // These make their own configuration: none of them reads KONECTY_URL nor HOME.
    match &cli.command {
        Command::DevServer(args) => return dev_server(args, cli.json),
        Command::Demo => return demo(cli),
        Command::Completions(args) => return Ok(completions(args.shell)),
        _ => {}
    }
    let config = Config::new(cli)?;
    match &cli.command {
        Command::Login(args) => crate::login::login(&config, args),
        Command::LoginOptions => login_options(&config),
        Command::RequestOtp(recipient) => request_otp(&config, &identifier(recipient)),
        Command::VerifyOtp(verify) => {
            let code = read_code(&verify.code)?;
            let who = maybe_identifier(&verify.recipient);
            verify_otp(
                &config,
                who.as_ref(),
                &code,
                targets(verify),
                verify.geolocation,
            )
        }
        Command::Status(args) => status(&config, args),
        Command::Token => token(&config),
        Command::Env(args) => env(&config, args),
        Command::Use(args) => use_host(&config, &args.host),
        Command::Logout => logout(&config),
        Command::Mcp(args) => crate::mcp::serve(config, args.expose_token),
        Command::DevServer(_) | Command::Demo | Command::Completions(_) => {
            unreachable!("handled above")
        }
    }
}

pub fn login_options(config: &Config) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadOnly)?;
    let methods = call(&mut sandbox, |s| s.login_options(&host.url))?;
    if !methods.email_otp_enabled && !methods.whatsapp_otp_enabled {
        return Err(Failure::from(ApiError::OtpNotEnabled(None)).into());
    }
    let on = |enabled: bool| if enabled { "enabled" } else { "off" };
    let text = format!(
        "Login options for {}:\n  email code:    {}\n  WhatsApp code: {}\n  password:      {}\n",
        host.url,
        on(methods.email_otp_enabled),
        on(methods.whatsapp_otp_enabled),
        on(methods.password_enabled)
    );
    let json = json!({
        "host": host.url,
        "emailOtpEnabled": methods.email_otp_enabled,
        "whatsAppOtpEnabled": methods.whatsapp_otp_enabled,
        "passwordEnabled": methods.password_enabled,
    });
    Ok(Report::new(Exit::Success, text, json))
}

pub fn request_otp(config: &Config, who: &Identifier) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    files_are_editable(&mut sandbox, &host)?;
    let sent = call(&mut sandbox, |s| s.request_otp(&host.url, who))?;
    let requested_at = present::now();
    let mut text = sent_line(&sent, requested_at);
    let pinned = config.pinning_flags(&host);
    let next = if sent.remembered {
        format!("konecty-session {pinned}verify-otp --otp-stdin")
    } else {
        let flag = match who {
            Identifier::Email(_) => "--email EMAIL",
            Identifier::Phone(_) => "--phone PHONE",
        };
        format!("konecty-session {pinned}verify-otp {flag} --otp-stdin")
    };
    text.push_str(&format!(
        "Next, with the code on standard input:\n  {next}\n"
    ));
    let json = json!({
        "host": host.url,
        "channel": channel_name(sent.channel),
        "sentTo": mask(&sent.sent_to),
        // The default lifetime's end: an estimate, the namespace may set another.
        "likelyExpiresAt": present::rfc3339(requested_at + CODE_LIFETIME_SECS),
        "remembered": sent.remembered,
        "serverMessage": sent.server_message.as_deref().map(one_line),
    });
    Ok(Report::new(Exit::Success, text, json))
}

/// `Sent a 6-digit code to d***@example.com via email (server: …).` and how long it lives.
pub fn sent_line(sent: &OtpSent, requested_at: u64) -> String {
    let server = sent
        .server_message
        .as_deref()
        .map(|m| format!(" (server: {})", one_line(m)))
        .unwrap_or_default();
    format!(
        "Sent a 6-digit code to {} via {}{server}.\nIt expires in {}.\n",
        mask(&sent.sent_to),
        channel_name(sent.channel),
        code_lifetime_note(requested_at)
    )
}

pub fn verify_otp(
    config: &Config,
    who: Option<&Identifier>,
    code: &str,
    targets: SaveTargets,
    geolocation: Option<Geolocation>,
) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    if targets != SaveTargets::empty() {
        files_are_editable(&mut sandbox, &host)?;
    }
    let (who, remembered) = match who {
        Some(who) => (who.clone(), false),
        None => (pending_recipient(config, &mut sandbox, &host)?, true),
    };
    let label = client_label();
    // Whoever edited pending-otp, the person sees whose code was tried, failed or not.
    let masked = remembered.then(|| mask(&who));
    let session = call(&mut sandbox, |s| {
        s.verify_otp(&host.url, &who, code, Some(&label), geolocation)
    })
    .map_err(|err| match (&masked, err.downcast::<Failure>()) {
        (_, Ok(failure)) if geolocation_required(&failure) => {
            Failure::of_kind(failure.exit, failure.kind, GEOLOCATION_NEEDED)
                .with_server_message(failure.server_message)
                .into()
        }
        (Some(masked), Ok(mut failure)) => {
            failure.message = format!(
                "{} (the pending request's code, sent to {masked})",
                failure.message
            );
            failure.into()
        }
        (_, Ok(failure)) => failure.into(),
        (_, Err(other)) => other,
    })?;
    let mut report = save(config, &mut sandbox, &host, &session, targets)?;
    if let Some(masked) = masked {
        report.text = format!(
            "Verified the code sent to {masked} (the pending request).\n{}",
            report.text
        );
        report.json["verifiedFor"] = json!(masked);
    }
    Ok(report)
}

/// The recipient of the code request remembered for `host` (kept an hour: the server says
/// when the code itself expired); it must be this host's.
fn pending_recipient(config: &Config, sandbox: &mut Sandbox, host: &Host) -> Result<Identifier> {
    let name_it = "name the recipient (--email or --phone), or request a new code";
    let Some(request) = call(sandbox, |s| s.pending_request(&host.url))? else {
        return Err(Failure::of_kind(
            Exit::Usage,
            "invalid-input",
            format!(
                "no code was requested for {} in the last hour: {name_it}",
                host.url
            ),
        )
        .into());
    };
    if !Host::parse(&request.host).is_ok_and(|stored| stored.same_as(host)) {
        return Err(Failure::of_kind(
            Exit::Usage,
            "invalid-input",
            format!(
                "the pending request in {}/pending-otp is for {}, not {}: {name_it}",
                config.dir.display(),
                one_line(&request.host),
                host.url
            ),
        )
        .into());
    }
    Ok(request.recipient)
}

/// What to do when a call is stuck past its deadline: say so as any failure, and end the
/// process (which also releases the directory lock).
pub fn stuck_handler(json: bool) -> Arc<dyn Fn(&Failure) + Send + Sync> {
    Arc::new(move |failure: &Failure| {
        failure.print(json);
        std::process::exit(failure.exit as i32)
    })
}

/// Reads both files before a code is spent: one that cannot be read or is too large to
/// rewrite fails now, instead of after the server has handed out a session we could not
/// keep.
pub fn files_are_editable(sandbox: &mut Sandbox, host: &Host) -> Result<()> {
    call(sandbox, |s| s.read_sessions(&host.url)).map(drop)
}

/// Saves a fresh session and reports who is logged in where.
pub fn save(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
    session: &ApiSession,
    targets: SaveTargets,
) -> Result<Report> {
    // The granted origin issued it, whatever the component says the session's host is.
    record_issuer(config, &session.token, host);
    if targets != SaveTargets::empty() {
        call(sandbox, |s| s.save_session(session, targets))?;
    }
    let dir = config.dir.display();
    let env = targets.contains(SaveTargets::ENV_FILE);
    let credentials = targets.contains(SaveTargets::CREDENTIALS_FILE);
    let saved = match (env, credentials) {
        (true, true) => format!("Saved to {dir}/.env and {dir}/credentials."),
        (true, false) => format!("Saved to {dir}/.env."),
        (false, true) => format!("Saved to {dir}/credentials."),
        (false, false) => "Not saved (--no-env and --no-credentials).".to_string(),
    };
    let email = session.email.as_deref().map(mask_email);
    // The granted host, not the component's word for it.
    let text = format!(
        "{}\n{saved}\n",
        logged_in_line(
            &host.url,
            session.name.as_deref(),
            email.as_deref(),
            &session.user_id
        )
    );
    let json = json!({
        "host": host.url,
        "user": {
            "id": one_line(&session.user_id),
            "name": session.name.as_deref().map(one_line),
            "email": email,
        },
        "saved": {"envFile": env, "credentialsFile": credentials},
        "dir": config.dir,
    });
    Ok(Report::new(Exit::Success, text, json))
}

/// The label the server records with the session: this tool, and this machine's hash.
pub fn client_label() -> ClientLabel {
    ClientLabel {
        source: SOURCE.to_string(),
        fingerprint: crate::fingerprint::of_this_machine(),
    }
}

/// Remembers that `host` issued `token`; a record that cannot be written costs only the
/// protection, so it is a warning.
fn record_issuer(config: &Config, token: &str, host: &Host) {
    if let Some(issued) = &config.issued
        && let Err(e) = issued.record(token, &host.origin)
    {
        crate::audit::stderr_line(&format!(
            "warning: cannot record which host issued the token: {e:#}"
        ));
    }
}

/// Refuses a token this program saw issued by another origin: it is neither sent to `host`
/// nor printed beside `host`'s URL. Files a component rewrote (`KONECTY_URL` in `.env`)
/// cannot send a token elsewhere this way. Tokens it never saw issued (other tools wrote
/// them) are not refused.
pub fn refuse_if_issued_elsewhere(
    config: &Config,
    host: &Host,
    candidate: &Candidate,
) -> Result<()> {
    let Some(issuer) = issuer_of(config, &candidate.token)? else {
        return Ok(());
    };
    if issuer == host.origin.to_string() {
        return Ok(());
    }
    Err(Failure::of_kind(
        Exit::Unavailable,
        "denied",
        format!(
            "the token in {} was issued by {issuer}, not {}: it is never sent or shown for \
             another host (was {} changed by another program?); log in to {} again, or name \
             its host: --host {issuer}",
            candidate.source.describe(config),
            host.origin,
            candidate.source.describe(config),
            host.url,
        ),
    )
    .into())
}

/// The origin recorded as the issuer of `token`; a record that cannot be trusted is a
/// failure, never a pass.
fn issuer_of(config: &Config, token: &str) -> Result<Option<String>> {
    let Some(issued) = &config.issued else {
        return Ok(None);
    };
    issued
        .origin_of(token)
        .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")).into())
}

/// Where a token came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Flag,
    Environment,
    EnvFile,
    Credentials,
}

impl TokenSource {
    fn name(self) -> &'static str {
        match self {
            TokenSource::Flag => "flag",
            TokenSource::Environment => "environment",
            TokenSource::EnvFile => "env-file",
            TokenSource::Credentials => "credentials",
        }
    }

    fn describe(self, config: &Config) -> String {
        let dir = config.dir.display();
        match self {
            TokenSource::Flag => "--token-stdin".to_string(),
            TokenSource::Environment => "KONECTY_TOKEN".to_string(),
            TokenSource::EnvFile => format!("{dir}/.env"),
            TokenSource::Credentials => format!("{dir}/credentials"),
        }
    }
}

/// A token that could be used for the host.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: TokenSource,
    pub token: String,
    pub user_id: Option<String>,
    pub issued_at: Option<u64>,
}

/// Every token for `host`, by precedence: the flag, KONECTY_TOKEN (when KONECTY_URL is
/// unset or names the same host), `.env`, `credentials`.
fn candidates(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
    flag: Option<String>,
) -> Result<Vec<Candidate>> {
    let mut found = Vec::new();
    if let Some(token) = flag {
        found.push(Candidate {
            source: TokenSource::Flag,
            token,
            user_id: None,
            issued_at: None,
        });
    }
    // A token from the environment belongs to KONECTY_URL's host; without KONECTY_URL, only
    // to the host this program saw issue it. Never to a host the files or --host name.
    let env_url_matches = match env_var("KONECTY_URL") {
        Some(url) => Host::parse(&url).is_ok_and(|env| env.same_as(host)),
        None => match &config.env_token {
            Some(token) => {
                issuer_of(config, token)?.is_some_and(|issuer| issuer == host.origin.to_string())
            }
            None => false,
        },
    };
    if let Some(token) = config.env_token.clone().filter(|_| env_url_matches) {
        found.push(Candidate {
            source: TokenSource::Environment,
            token,
            user_id: env_var("KONECTY_USER_ID"),
            issued_at: None,
        });
    }
    for stored in call(sandbox, |s| s.read_sessions(&host.url))? {
        found.push(Candidate::from(stored));
    }
    Ok(found)
}

impl From<StoredSession> for Candidate {
    fn from(stored: StoredSession) -> Candidate {
        Candidate {
            source: match stored.file {
                CredentialFile::EnvFile => TokenSource::EnvFile,
                CredentialFile::CredentialsFile => TokenSource::Credentials,
            },
            token: stored.token,
            user_id: stored.user_id,
            issued_at: stored.issued_at,
        }
    }
}

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
        Err(ApiError::Unauthorized(_)) => crate::sandbox::SessionCheck {
            logged_in: false,
            user_id: None,
            name: None,
            email: None,
        },
        // Anything else means the server could not be asked: exit 3, whatever its kind.
        Err(err) => {
            let mut failure = Failure::from(err);
            failure.exit = Exit::Unavailable;
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

/// The token that status would use, without asking the server.
fn best_token(config: &Config) -> Result<(Host, Candidate)> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, None, DirAccess::ReadOnly)?;
    let found = candidates(config, &mut sandbox, &host, None)?;
    let winner = found.into_iter().next().ok_or_else(|| {
        Failure::of_kind(
            Exit::Refused,
            "not-logged-in",
            format!(
                "no session for {}: log in with: konecty-session --host {} login",
                host.url, host.url
            ),
        )
    })?;
    refuse_if_issued_elsewhere(config, &host, &winner)?;
    // These commands print the token itself: one a terminal would act on is not printed.
    let values = [Some(&winner.token), winner.user_id.as_ref()];
    if !values
        .into_iter()
        .flatten()
        .all(|v| crate::sanitize::is_printable(v))
    {
        return Err(Failure::of_kind(
            Exit::Unavailable,
            "bad-response",
            format!(
                "the session in {} holds control or invisible characters: not printed; log in \
                 again",
                winner.source.describe(config)
            ),
        )
        .into());
    }
    Ok((host, winner))
}

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

pub fn env(config: &Config, args: &EnvArgs) -> Result<Report> {
    let (host, winner) = best_token(config)?;
    let mut vars = vec![
        ("KONECTY_URL", host.url.clone()),
        ("KONECTY_TOKEN", winner.token),
    ];
    vars.extend(winner.user_id.map(|id| ("KONECTY_USER_ID", id)));
    let lines: Vec<String> = vars
        .iter()
        .map(|(name, value)| present::assignment(args.shell, name, value))
        .collect();
    let text = match args.shell {
        ShellSyntax::Sh => format!("{}\n", lines.join("\n")),
        ShellSyntax::Fish => format!("{};\n", lines.join(";\n")),
    };
    let json: serde_json::Map<String, Value> = vars
        .into_iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    Ok(Report::new(Exit::Success, text, Value::Object(json)))
}

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
        return Err(Failure::of_kind(
            Exit::Refused,
            "not-logged-in",
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

fn completions(shell: clap_complete::Shell) -> Report {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "konecty-session", &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    let json = json!({"shell": shell.to_string(), "script": script});
    Report::new(Exit::Success, script, json)
}

pub fn logged_in_line(
    host: &str,
    name: Option<&str>,
    email: Option<&str>,
    user_id: &str,
) -> String {
    let name = name.map(one_line).unwrap_or_else(|| "?".into());
    let email = email
        .map(|e| format!(" <{}>", one_line(e)))
        .unwrap_or_default();
    format!(
        "Logged in to {host} as {name}{email} (user id {}).",
        one_line(user_id)
    )
}

pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Whatsapp => "whatsapp",
    }
}

fn dev_server(args: &DevServerArgs, json: bool) -> Result<Report> {
    let config = DevServerConfig {
        listen: args.listen,
        email_otp: !args.no_email_otp,
        whatsapp_otp: !args.no_whatsapp_otp,
        users: vec![DevUser {
            id: "devUser0000000001".into(),
            name: "Dev User".into(),
            email: args.user_email.clone(),
            phone: args.user_phone.clone(),
        }],
        announce_codes: true,
        ..DevServerConfig::default()
    };
    let server =
        DevServer::start(config).with_context(|| format!("cannot listen on {}", args.listen))?;
    if json {
        let started =
            json!({"url": server.url(), "email": args.user_email, "phone": args.user_phone});
        println!("{started}");
    }
    eprintln!(
        "dev-server: Konecty-compatible auth server on {} (codes are printed here, never sent)",
        server.url()
    );
    eprintln!(
        "dev-server: registered user {} / {}",
        args.user_email, args.user_phone
    );
    eprintln!(
        "dev-server: try  konecty-session --host {} login --email {}",
        server.url(),
        args.user_email
    );
    server.wait();
    Ok(Report::new(Exit::Success, "", Value::Null))
}

/// The whole flow against a built-in server, through the same sandbox and commands.
fn demo(cli: &Cli) -> Result<Report> {
    let server =
        DevServer::start(DevServerConfig::default()).context("cannot start the built-in server")?;
    // Without --dir, a private temporary directory, removed when the demo ends.
    let (dir, _scratch) = match &cli.dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let scratch = ScratchDir::new()?;
            (scratch.0.clone(), Some(scratch))
        }
    };
    let config = Config {
        given_host: Some((Host::parse(&server.url())?, HostSource::Flag)),
        dir,
        explicit_dir: cli.dir.clone(),
        component: cli.component.clone(),
        json: cli.json,
        verbose: cli.verbose,
        env_token: None,
        issued: None,
        limits: Limits::default(),
        allow_insecure_http: false,
        network: Network::default(),
        observer: Arc::new(Observer::new(cli.verbose, cli.audit.as_deref())?),
    };
    let email = "dev@example.com";
    let who = Identifier::Email(email.into());
    let mut steps = Vec::new();
    let mut step = |command: String, report: Report| {
        if !config.json {
            print!(
                "\n$ konecty-session --host {} {command}\n{}",
                server.url(),
                report.text
            );
        }
        steps.push(json!({"command": command, "exit": report.exit as u8, "result": report.json}));
        report.exit
    };

    if !config.json {
        println!(
            "Demo: a Konecty-compatible server runs on {}; files go to {}.",
            server.url(),
            config.dir.display()
        );
    }
    step("login-options".into(), login_options(&config)?);
    step(
        format!("request-otp --email {email}"),
        request_otp(&config, &who)?,
    );
    let code = server
        .code_for(email)
        .context("the built-in server issued no code")?;
    step(
        "verify-otp --otp-stdin   (the built-in server hands the code over)".into(),
        verify_otp(&config, None, &code, SaveTargets::all(), None)?,
    );
    if !config.json {
        for file in [".env", "credentials"] {
            let path = config.dir.join(file);
            let text = credentials_dir::read_own(&path)
                .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")))?
                .unwrap_or_default();
            let shown: String = hide_tokens(&text)
                .lines()
                .map(|line| format!("{}\n", one_line(line)))
                .collect();
            print!("\n{} (tokens hidden):\n{shown}", path.display());
        }
    }
    let online = StatusArgs {
        offline: false,
        token_stdin: false,
    };
    step("status".into(), status(&config, &online)?);
    step("logout".into(), logout(&config)?);
    let after = step("status".into(), status(&config, &online)?);
    let text = format!(
        "\nDone: status now exits {} (not logged in), as expected.\n",
        after as u8
    );
    let json = json!({"host": server.url(), "dir": config.dir, "steps": steps});
    Ok(Report::new(Exit::Success, text, json))
}

/// A private temporary directory, removed on drop.
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "konecty-session-demo-{}-{stamp}",
            std::process::id()
        ));
        credentials_dir::private_umask();
        credentials_dir::prepare(&dir, credentials_dir::DirAccess::ReadWrite)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file's text with the values of the token keys replaced, layout kept.
fn hide_tokens(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _))
                if matches!(
                    key.trim().trim_start_matches("export ").trim(),
                    "KONECTY_TOKEN" | "authId"
                ) =>
            {
                let spacing = if key.ends_with(' ') { " " } else { "" };
                format!("{key}={spacing}<hidden>\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

fn identifier(recipient: &Recipient) -> Identifier {
    either(&recipient.email, &recipient.phone).expect("clap requires --email or --phone")
}

pub fn maybe_identifier(recipient: &MaybeRecipient) -> Option<Identifier> {
    either(&recipient.email, &recipient.phone)
}

/// `--email` or `--phone` (clap lets at most one through).
fn either(email: &Option<String>, phone: &Option<String>) -> Option<Identifier> {
    match (email, phone) {
        (Some(email), _) => Some(Identifier::Email(email.clone())),
        (None, Some(phone)) => Some(Identifier::Phone(phone.clone())),
        (None, None) => None,
    }
}

fn targets(verify: &Verify) -> SaveTargets {
    let mut targets = SaveTargets::empty();
    if !verify.no_env {
        targets |= SaveTargets::ENV_FILE;
    }
    if !verify.no_credentials {
        targets |= SaveTargets::CREDENTIALS_FILE;
    }
    targets
}

/// The code: --otp-stdin or --otp, else KONECTY_OTP.
fn read_code(source: &CodeSource) -> Result<String> {
    if source.otp_stdin {
        return first_line_of_stdin("the code", "--otp-stdin");
    }
    // Flags first: a stale exported KONECTY_OTP must not override --otp.
    if let Some(code) = source.otp.clone().or_else(|| env_var("KONECTY_OTP")) {
        return Ok(code);
    }
    Err(Failure::of_kind(
        Exit::Usage,
        "usage",
        "no code given: pipe it to --otp-stdin, or set KONECTY_OTP (see --help)",
    )
    .into())
}

fn read_token() -> Result<String> {
    first_line_of_stdin("the token", "--token-stdin")
}

fn first_line_of_stdin(what: &str, flag: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::new(
            Exit::Usage,
            format!("cannot read {what} from standard input: {e}"),
        )
    })?;
    let value = line.trim();
    if value.is_empty() {
        return Err(
            Failure::new(Exit::Usage, format!("nothing on standard input ({flag})")).into(),
        );
    }
    Ok(value.to_string())
}

/// Prepares the credentials directory and loads the component with its grant: the
/// directory, and HTTP to `host`'s origin only (none at all when `host` is None).
pub fn open(config: &Config, host: Option<&Host>, access: DirAccess) -> Result<Sandbox> {
    if let Some(host) = host {
        config.check_encryption(host)?;
    }
    // The record of issued tokens must stay out of the component's reach.
    if let Some(issued) = &config.issued {
        let inside = std::path::absolute(issued.dir())
            .ok()
            .zip(std::path::absolute(&config.dir).ok())
            .is_some_and(|(record, dir)| record.starts_with(dir));
        if inside {
            return Err(Failure::of_kind(
                Exit::Usage,
                "usage",
                format!(
                    "{} holds {}, the record of which host issued each token: choose another \
                     --dir",
                    config.dir.display(),
                    issued.dir().display()
                ),
            )
            .into());
        }
    }
    // The sandbox creates the directory and tightens modes; the umask makes files private
    // from their first byte.
    credentials_dir::private_umask();
    let grant = Grant {
        dir: config.dir.clone(),
        access,
        origin: host.map(|h| h.origin.clone()),
        limits: config.limits,
        network: config.network.clone(),
        observer: Arc::clone(&config.observer),
        on_stuck: stuck_handler(config.json),
        cache: crate::compiled::default_cache_dir(),
        issued: config.issued.clone(),
    };
    // One runtime per component per process: `login` and `demo` open several sandboxes.
    static RUNTIMES: Mutex<Vec<(Option<PathBuf>, Arc<Runtime>)>> = Mutex::new(Vec::new());
    let mut runtimes = RUNTIMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = match runtimes.iter().find(|(c, _)| *c == config.component) {
        Some((_, runtime)) => Arc::clone(runtime),
        None => {
            let source = match &config.component {
                Some(path) => ComponentSource::File(path),
                None => ComponentSource::Embedded,
            };
            let runtime = Arc::new(Runtime::load(source, grant.cache.as_deref())?);
            runtimes.push((config.component.clone(), Arc::clone(&runtime)));
            runtime
        }
    };
    drop(runtimes);
    runtime.sandbox(grant)
}

/// Calls the component; its error becomes a [`Failure`] that also says what the policy
/// refused during this call.
pub fn call<T>(
    sandbox: &mut Sandbox,
    function: impl FnOnce(&mut Sandbox) -> Result<Result<T, ApiError>>,
) -> Result<T> {
    attempt(sandbox, function)?.map_err(|err| Failure::from(err).into())
}

/// Like [`call`], but hands the component's error back, for callers that recover from some.
pub fn attempt<T>(
    sandbox: &mut Sandbox,
    function: impl FnOnce(&mut Sandbox) -> Result<Result<T, ApiError>>,
) -> Result<Result<T, ApiError>> {
    let seen_before = sandbox.incidents().len();
    let result = function(sandbox)?;
    if let Err(err) = &result
        && let Some(incident) = sandbox.incidents().get(seen_before..).and_then(<[_]>::last)
    {
        return Err(failure_of(err.clone(), incident).into());
    }
    Ok(result)
}

/// The error as a failure; a denial by the policy since `denied_before` is named in it.
/// The component's error, told with the host's reason when the host caused it.
fn failure_of(err: ApiError, incident: &Incident) -> Failure {
    let mut failure = Failure::from(err);
    failure.exit = Exit::Unavailable;
    match incident {
        Incident::Denied(denial) => {
            failure.message = format!("{} ({denial})", failure.message);
            failure.kind = "denied";
        }
        Incident::TimedOut { .. } => {
            failure.message = incident.to_string();
            failure.kind = "network";
        }
        Incident::TooLarge { .. } => {
            failure.message = incident.to_string();
            failure.kind = "bad-response";
        }
        Incident::Proxy { .. } => {
            failure.message = incident.to_string();
            failure.kind = "network";
        }
        Incident::Untrusted { .. } | Incident::Trust(_) => {
            failure.message = incident.to_string();
            failure.kind = "certificate";
        }
        Incident::TooManyInFlight => {
            failure.message = incident.to_string();
            failure.kind = "denied";
        }
        // A setting the user gave: bad input, and nothing was sent.
        Incident::ProxySetting(_) => {
            failure.message = incident.to_string();
            failure.kind = "usage";
            failure.exit = Exit::Usage;
        }
    }
    failure
}
