//! What a command has to say ([`Report`]: exit code, text, JSON), and the wordings shared by
//! several commands, each written once.

use serde_json::Value;

use konecty_session::{Channel, OtpSent};

use crate::cli::exit::{Exit, one_line};
use crate::cli::present::{self, mask};

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
pub const SOURCE: &str = konecty_session::USER_AGENT;

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
