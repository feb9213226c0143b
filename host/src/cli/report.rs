//! What a command has to say. Each command answers with a type of its own, an [`Outcome`]:
//! serialized, it is the `--json` object; displayed, the text for people. [`Report::of`]
//! turns it into the [`Report`] that `main` and the MCP server print. Here too the parts and
//! wordings several commands share, each written once.

use std::fmt;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Serialize, Serializer};
use serde_json::Value;

use konecty_session::{Channel, OtpSent};

use crate::cli::exit::{Exit, one_line};
use crate::cli::present::{self, UtcTime, mask};

/// A command's result, told two ways from the same facts: the fields in their order are
/// the JSON keys in theirs, and `Display` lays out the text. Whatever came from outside is
/// made printable when the outcome is built, so both ways show the same safe value.
pub trait Outcome: Serialize + fmt::Display {
    /// The exit code that goes with this answer.
    fn exit(&self) -> Exit {
        Exit::Success
    }
}

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

    /// The outcome as text and as JSON, with its exit code.
    pub fn of(outcome: &impl Outcome) -> Result<Report> {
        // Only a path that is not UTF-8 (a `dir`) cannot be written as JSON.
        let json = serde_json::to_value(outcome).context("cannot write the answer as JSON")?;
        Ok(Report::new(outcome.exit(), outcome.to_string(), json))
    }
}

/// The code's lifetime on a Konecty server with default settings. The namespace may set
/// another (`otpConfig.expirationMinutes`) and no answer says it: shown only through
/// [`code_lifetime_note`], never as a fact.
pub const CODE_LIFETIME_SECS: u64 = 5 * 60;

/// The age past which a session may be closed by its user's next login anywhere: the
/// default of the namespace's `loginExpiration`.
pub const SESSION_CLEANUP_AGE_SECS: u64 = 24 * 60 * 60;

/// Why an old session may vanish, and what to do, in one wording.
pub const SESSION_AGE_NOTE: &str = "older than a day: this user's next login anywhere \
    (a browser included) may close it, as Konecty does with sessions older than the \
    namespace's loginExpiration; then log in again";

/// How long the code lives, in the one wording used everywhere: `about 5 minutes unless the
/// namespace set otherwise (around 14:05 UTC)`.
pub fn code_lifetime_note(likely_expires_at: UtcTime) -> String {
    format!(
        "about {} minutes unless the namespace set otherwise (around {})",
        CODE_LIFETIME_SECS / 60,
        present::clock_time(likely_expires_at.0)
    )
}

/// `source` sent with verify-otp, recorded by the server with the session.
pub const SOURCE: &str = konecty_session::USER_AGENT;

pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Whatsapp => "whatsapp",
    }
}

fn serialize_channel<S: Serializer>(channel: &Channel, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(channel_name(*channel))
}

/// The component's [`OtpSent`] as shown: the recipient masked, the server's words one line.
/// Displayed: `Sent a 6-digit code to d***@example.com via email (server: …).` and how long
/// the code lives.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeSent {
    #[serde(serialize_with = "serialize_channel")]
    channel: Channel,
    sent_to: String,
    /// The default lifetime's end: an estimate, the namespace may set another.
    likely_expires_at: UtcTime,
    remembered: bool,
    server_message: Option<String>,
}

impl CodeSent {
    pub fn new(sent: &OtpSent, requested_at: u64) -> CodeSent {
        CodeSent {
            channel: sent.channel,
            sent_to: mask(&sent.sent_to),
            likely_expires_at: UtcTime(requested_at + CODE_LIFETIME_SECS),
            remembered: sent.remembered,
            server_message: sent.server_message.as_deref().map(one_line),
        }
    }

    /// Whether verify-otp may leave out the recipient.
    pub fn remembered(&self) -> bool {
        self.remembered
    }
}

impl fmt::Display for CodeSent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sent a 6-digit code to {} via {}",
            self.sent_to,
            channel_name(self.channel)
        )?;
        if let Some(message) = &self.server_message {
            write!(f, " (server: {message})")?;
        }
        writeln!(
            f,
            ".\nIt expires in {}.",
            code_lifetime_note(self.likely_expires_at)
        )
    }
}

/// Who a session belongs to, as shown: each part one line, null where nobody said.
#[derive(Serialize)]
pub struct User {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
}

impl User {
    /// `email` as the command shows it: masked by those that mask it.
    pub fn new(id: Option<&str>, name: Option<&str>, email: Option<&str>) -> User {
        User {
            id: id.map(one_line),
            name: name.map(one_line),
            email: email.map(one_line),
        }
    }

    /// `to https://app.konecty.com as Ana <a***@example.com> (user id abc).`: how each
    /// "logged in" line ends, with `?` for what is not known.
    pub fn session_at(&self, host: &str) -> String {
        let name = self.name.as_deref().unwrap_or("?");
        let email = self
            .email
            .as_deref()
            .map(|email| format!(" <{email}>"))
            .unwrap_or_default();
        let id = self.id.as_deref().unwrap_or("?");
        format!("to {host} as {name}{email} (user id {id}).")
    }
}

/// A fresh session and where it was saved: the answer of verify-otp and of login.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    pub host: String,
    pub user: User,
    pub saved: Saved,
    pub dir: PathBuf,
    /// The masked recipient, when verify-otp took it from the pending request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_for: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub env_file: bool,
    pub credentials_file: bool,
}

impl fmt::Display for LoggedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(masked) = &self.verified_for {
            writeln!(
                f,
                "Verified the code sent to {masked} (the pending request)."
            )?;
        }
        writeln!(f, "Logged in {}", self.user.session_at(&self.host))?;
        // Joined as paths, so each OS gets its own separator.
        let env = self.dir.join(".env");
        let credentials = self.dir.join("credentials");
        let (env, credentials) = (env.display(), credentials.display());
        match (self.saved.env_file, self.saved.credentials_file) {
            (true, true) => writeln!(f, "Saved to {env} and {credentials}."),
            (true, false) => writeln!(f, "Saved to {env}."),
            (false, true) => writeln!(f, "Saved to {credentials}."),
            (false, false) => writeln!(f, "Not saved (--no-env and --no-credentials)."),
        }
    }
}

impl Outcome for LoggedIn {}

#[cfg(test)]
mod tests {
    use super::*;
    use konecty_session::Identifier;

    #[test]
    fn a_code_sent_reads_the_same_in_login_and_request_otp() {
        let sent = OtpSent {
            channel: Channel::Whatsapp,
            sent_to: Identifier::Phone("+5511999999999".into()),
            server_message: Some("OTP\nsent".into()),
            remembered: false,
        };
        // 2026-11-23T14:00:00Z: the code likely lives until 14:05.
        let shown = CodeSent::new(&sent, 1_795_442_400);
        assert_eq!(
            shown.to_string(),
            "Sent a 6-digit code to +5511*****9999 via whatsapp (server: OTP sent).\n\
             It expires in about 5 minutes unless the namespace set otherwise (around 14:05 \
             UTC).\n"
        );
        assert_eq!(
            serde_json::to_string(&shown).unwrap(),
            r#"{"channel":"whatsapp","sentTo":"+5511*****9999","likelyExpiresAt":"2026-11-23T14:05:00Z","remembered":false,"serverMessage":"OTP sent"}"#
        );
    }

    #[test]
    fn a_fresh_login_says_who_and_where_it_was_saved() {
        let logged_in = LoggedIn {
            host: "https://app.konecty.com".into(),
            user: User::new(Some("u1"), None, Some("a***@example.com")),
            saved: Saved {
                env_file: false,
                credentials_file: true,
            },
            dir: PathBuf::from("/home/ana/.konecty"),
            verified_for: Some("a***@example.com".into()),
        };
        assert_eq!(
            logged_in.to_string(),
            "Verified the code sent to a***@example.com (the pending request).\n\
             Logged in to https://app.konecty.com as ? <a***@example.com> (user id u1).\n\
             Saved to /home/ana/.konecty/credentials.\n"
        );
        assert_eq!(
            serde_json::to_string(&logged_in).unwrap(),
            r#"{"host":"https://app.konecty.com","user":{"id":"u1","name":null,"email":"a***@example.com"},"saved":{"envFile":false,"credentialsFile":true},"dir":"/home/ana/.konecty","verifiedFor":"a***@example.com"}"#
        );
    }
}
