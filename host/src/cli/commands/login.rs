//! `login`: the whole flow at a terminal. Questions and progress go to stderr, the result
//! to stdout (one JSON object with `--json`).

use std::fmt;
use std::io::{BufRead, IsTerminal};

use anyhow::Result;
use serde::Serialize;

use crate::cli::args::{Config, Host, LoginArgs};
use crate::cli::exit::{Failure, Kind, one_line, wait_hint};
use crate::cli::inputs::{maybe_identifier, typed_recipient};
use crate::cli::output;
use crate::cli::present;
use crate::cli::report::{CodeSent, LoggedIn, Outcome, User};
use crate::cli::session::{
    TokenSource, attempt, call, candidates, client_label, files_are_editable, open,
    refuse_if_issued_elsewhere, save, server_accepts,
};
use konecty_session::files::credentials_dir::DirAccess;
use konecty_session::{
    ApiError, Identifier, LoginMethods, OtpSent, RejectionReason, Sandbox, SaveTargets,
};

/// Wrong codes the server accepts before it wants a new one.
const TRIES: u32 = 3;

/// How a login ended: with a stored session that still works, or with a new one.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Login {
    AlreadyLoggedIn(AlreadyLoggedIn),
    LoggedIn(LoggedIn),
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Login::AlreadyLoggedIn(already) => already.fmt(f),
            Login::LoggedIn(logged_in) => logged_in.fmt(f),
        }
    }
}

impl Outcome for Login {}

/// A stored session the server still accepts, so login did nothing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlreadyLoggedIn {
    host: String,
    /// Always true: how a script tells this answer from a new login's.
    already_logged_in: bool,
    user: User,
    /// KONECTY_TOKEN holds another token, which the server refuses; status, token and env
    /// would use it before the stored session.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    environment_token_refused: bool,
    /// The login command line with this run's --host and --dir, for the hint.
    #[serde(skip)]
    login_command: String,
}

impl fmt::Display for AlreadyLoggedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Already logged in {}", self.user.session_at(&self.host))?;
        if self.environment_token_refused {
            writeln!(
                f,
                "But KONECTY_TOKEN holds another token, which the server refuses and which \
                 status, token and env use before the stored session: unset it (unset \
                 KONECTY_TOKEN)."
            )?;
        }
        writeln!(
            f,
            "Nothing to do; to log in again anyway: {} --force",
            self.login_command
        )
    }
}

pub fn login(config: &Config, args: &LoginArgs) -> Result<Login> {
    if !std::io::stdin().is_terminal() {
        // Safe to call as "make sure I am logged in": a valid session is the answer.
        if !args.force {
            let (host, _) = config.host()?;
            let mut sandbox = open(config, Some(&host), DirAccess::ReadOnly)?;
            if let Some(already) = still_logged_in(config, &mut sandbox, &host)? {
                return Ok(Login::AlreadyLoggedIn(already));
            }
        }
        let flags = config.host().map(|(host, _)| config.pinning_flags(&host))?;
        return Err(Failure::new(
            Kind::Usage,
            format!(
                "login asks for the code at a terminal, and there is none: use the two steps \
                 instead: konecty-session {flags}request-otp --email EMAIL, then \
                 konecty-session {flags}verify-otp --otp-stdin"
            ),
        )
        .into());
    }
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    let methods = call(&mut sandbox, |s| s.login_options(&host.url))?;
    if !methods.email_otp_enabled && !methods.whatsapp_otp_enabled {
        return Err(Failure::from(ApiError::OtpNotEnabled(None)).into());
    }
    if !args.force
        && let Some(already) = still_logged_in(config, &mut sandbox, &host)?
    {
        return Ok(Login::AlreadyLoggedIn(already));
    }

    files_are_editable(&mut sandbox, &host)?;
    let mut terminal = Terminal;
    let mut sent = match maybe_identifier(&args.recipient) {
        Some(who) => call(&mut sandbox, |s| s.request_otp(&host.url, &who))?,
        None => ask_and_send(&mut terminal, &mut sandbox, &host, methods)?,
    };
    terminal.say(&CodeSent::new(&sent, present::now()).to_string());
    // The normalized recipient (a phone in E.164), for resends and the verification.
    let who = sent.sent_to.clone();

    let label = client_label();
    let mut wrong = 0;
    loop {
        let Some(answer) = terminal.ask("Code (r to resend): ")? else {
            // A code was sent: exit 1 (2 would say nothing was), and how to go on.
            return Err(Failure::new(
                Kind::NotLoggedIn,
                format!(
                    "no code entered; the code sent to {} stays valid for a few minutes: \
                     finish with: konecty-session {}verify-otp{} --otp-stdin",
                    present::mask(&who),
                    config.pinning_flags(&host),
                    finish_flags(&sent, args)
                ),
            )
            .into());
        };
        if answer.is_empty() {
            continue;
        }
        if answer.eq_ignore_ascii_case("r") {
            match attempt(&mut sandbox, |s| s.request_otp(&host.url, &who))? {
                Ok(again) => {
                    sent = again;
                    wrong = 0;
                    terminal.say(&CodeSent::new(&sent, present::now()).to_string());
                }
                Err(ApiError::RateLimited(reply)) => terminal.say(&format!(
                    "Too many codes requested: {}, then type r again.\n",
                    wait_hint(reply.retry_after)
                )),
                Err(err) => return Err(Failure::from(err).into()),
            }
            continue;
        }
        let verified = attempt(&mut sandbox, |s| {
            s.verify_otp(&host.url, &who, &answer, Some(&label), args.geolocation)
        })?;
        match verified {
            Ok(session) => {
                let logged_in = save(config, &mut sandbox, &host, &session, SaveTargets::all())?;
                return Ok(Login::LoggedIn(logged_in));
            }
            Err(ApiError::InvalidInput(_)) => {
                terminal.say("A code is 6 digits: 123456, 123 456 or 123-456.\n");
            }
            // What the guest recognised in Konecty's answer decides; a location the
            // namespace wants, or any other refusal, ends the login with its message.
            Err(ApiError::Rejected(rejection)) => match rejection.reason {
                Some(RejectionReason::WrongCode) => {
                    wrong += 1;
                    let left = TRIES.saturating_sub(wrong);
                    terminal.say(&match left {
                        0 => "Wrong code, and no tries left: type r for a new code.\n".to_string(),
                        1 => "Wrong code: 1 try left.\n".to_string(),
                        n => format!("Wrong code: {n} tries left.\n"),
                    });
                }
                Some(RejectionReason::NoTriesLeft) => {
                    terminal.say("No tries left for this code: type r for a new one.\n");
                }
                Some(RejectionReason::Expired) => {
                    terminal.say("The code expired: type r for a new one.\n");
                }
                _ => return Err(Failure::from(ApiError::Rejected(rejection)).into()),
            },
            Err(err) => return Err(Failure::from(err).into()),
        }
    }
}

/// The stored session, if there is one the server still accepts.
fn still_logged_in(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
) -> Result<Option<AlreadyLoggedIn>> {
    // One read: KONECTY_TOKEN (when it belongs to this host), then the stored tokens.
    let found = candidates(config, sandbox, host, None)?;
    let Some(first) = found.iter().find(|c| c.source != TokenSource::Environment) else {
        return Ok(None);
    };
    // A token another host issued is not sent here: this login replaces it.
    if refuse_if_issued_elsewhere(config, host, first).is_err() {
        return Ok(None);
    }
    // A token the server cannot check now is no reason to stop a login.
    let Ok(check) = attempt(sandbox, |s| s.check_session(&host.url, &first.token))? else {
        return Ok(None);
    };
    if !check.logged_in {
        return Ok(None);
    }
    let user_id = check.user_id.or_else(|| first.user_id.clone());
    let email = check.email.as_deref().map(present::mask_email);
    // The environment's token wins over the files wherever a token is used: say so when it
    // is another one and the server refuses it (only a refusal: this login stays valid).
    let environment_token_refused = found.first().is_some_and(|env| {
        env.source == TokenSource::Environment
            && env.token != first.token
            && server_accepts(config, sandbox, host, env) == Some(false)
    });
    Ok(Some(AlreadyLoggedIn {
        host: host.url.clone(),
        already_logged_in: true,
        user: User::new(user_id.as_deref(), check.name.as_deref(), email.as_deref()),
        environment_token_refused,
        login_command: config.login_command(host, false),
    }))
}

/// Asks for an email or phone until the component accepts one, and sends it the code.
fn ask_and_send(
    terminal: &mut Terminal,
    sandbox: &mut Sandbox,
    host: &Host,
    methods: LoginMethods,
) -> Result<OtpSent> {
    let question = match (methods.email_otp_enabled, methods.whatsapp_otp_enabled) {
        (true, true) => "Email, or phone for WhatsApp: ",
        (true, false) => "Email: ",
        _ => "Phone for WhatsApp: ",
    };
    loop {
        let Some(answer) = terminal.ask(question)? else {
            return Err(no_answer("email or phone"));
        };
        if answer.is_empty() {
            continue;
        }
        let Some(who) = typed_recipient(&answer) else {
            terminal.say(not_a_recipient(&methods));
            continue;
        };
        match attempt(sandbox, |s| s.request_otp(&host.url, &who))? {
            Ok(sent) => return Ok(sent),
            Err(ApiError::InvalidInput(message)) => {
                terminal.say(&format!("{}\n", one_line(&message)));
            }
            // The other channel than the namespace offers: say which, and ask again.
            Err(err @ ApiError::OtpNotEnabled(Some(_))) => {
                terminal.say(&format!("{}\n", Failure::from(err).message));
            }
            // Someone else's address, or a typo: the server's words, and another try.
            Err(ApiError::Rejected(rejection))
                if rejection.reason == Some(RejectionReason::UnknownUser) =>
            {
                let said = rejection.reply.message.as_deref().map(one_line);
                terminal.say(&format!(
                    "{}: type another email or phone.\n",
                    said.unwrap_or_else(|| "No such user".to_string())
                ));
            }
            Err(err) => return Err(Failure::from(err).into()),
        }
    }
}

/// What `verify-otp` needs besides the pinned flags to take over from this login: the
/// recipient when the request was not remembered, the location when one was given.
fn finish_flags(sent: &OtpSent, args: &LoginArgs) -> String {
    let mut flags = String::new();
    if !sent.remembered {
        flags.push_str(match sent.sent_to {
            Identifier::Email(_) => " --email EMAIL",
            Identifier::Phone(_) => " --phone PHONE",
        });
    }
    if let Some(at) = &args.geolocation {
        flags.push_str(&format!(" --geolocation={},{}", at.latitude, at.longitude));
    }
    flags
}

/// What to say when the answer is neither, worded by the channels the namespace offers.
fn not_a_recipient(methods: &LoginMethods) -> &'static str {
    match (methods.email_otp_enabled, methods.whatsapp_otp_enabled) {
        (true, true) => {
            "That is neither an email nor a phone: type an email (name@example.com) or a \
             phone (+55 11 99999-9999).\n"
        }
        (true, false) => "That is not an email: type one, such as name@example.com.\n",
        _ => "That is not a phone: type one with its country code, such as +55 11 99999-9999.\n",
    }
}

fn no_answer(what: &str) -> anyhow::Error {
    Failure::new(Kind::Usage, format!("no {what} entered")).into()
}

/// Questions on stderr, answers from stdin (a terminal).
struct Terminal;

impl Terminal {
    fn say(&mut self, text: &str) {
        output::say(text);
    }

    /// The answer, trimmed; None at end of input.
    fn ask(&mut self, question: &str) -> Result<Option<String>> {
        output::say(question);
        let mut line = String::new();
        let read = std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            Failure::new(
                Kind::InvalidInput,
                format!("cannot read from the terminal: {e}"),
            )
        })?;
        Ok((read > 0).then(|| line.trim().to_string()))
    }
}
