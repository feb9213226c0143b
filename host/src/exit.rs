//! Exit codes, and the one-line messages for the component's errors.

use std::fmt;
use std::process::ExitCode;

use crate::sandbox::{ApiError, Channel, ServerReply};

/// Every exit code the binary uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Success = 0,
    /// The server said no: wrong or expired code, unknown user, OTP off, session invalid.
    Refused = 1,
    /// Bad input or usage; nothing was sent.
    Usage = 2,
    /// Network or server fault, or a request the sandbox denied.
    Unavailable = 3,
    /// The credential files could not be read or written.
    Storage = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// An error that knows its exit code. Anything else that reaches `main` exits 3.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        use ApiError::*;
        match err {
            InvalidInput(m) => {
                Failure::new(Exit::Usage, format!("invalid input: {}", one_line(&m)))
            }
            OtpNotEnabled(None) => Failure::new(
                Exit::Refused,
                "this Konecty namespace has no OTP login enabled (neither email nor WhatsApp): \
                 konecty-session cannot open a session here",
            ),
            OtpNotEnabled(Some(Channel::Whatsapp)) => Failure::new(
                Exit::Refused,
                "this namespace sends codes by WhatsApp only: use --phone",
            ),
            OtpNotEnabled(Some(Channel::Email)) => Failure::new(
                Exit::Refused,
                "this namespace sends codes by email only: use --email",
            ),
            Rejected(r) => Failure::new(Exit::Refused, format!("the server refused: {}", said(&r))),
            RateLimited(r) => Failure::new(
                Exit::Refused,
                format!(
                    "the server is limiting requests: {}; wait a minute and try again",
                    said(&r)
                ),
            ),
            Unauthorized(r) => Failure::new(
                Exit::Refused,
                format!("the session is not valid: {}; log in again", said(&r)),
            ),
            ServerError(r) => Failure::new(
                Exit::Unavailable,
                format!("the server failed: {}", said(&r)),
            ),
            Network(m) => Failure::new(Exit::Unavailable, one_line(&m)),
            Denied(m) => Failure::new(
                Exit::Unavailable,
                format!("blocked by the sandbox: {}", one_line(&m)),
            ),
            BadResponse(m) => Failure::new(
                Exit::Unavailable,
                format!("unexpected reply: {}", one_line(&m)),
            ),
            Storage(m) => {
                Failure::new(Exit::Storage, format!("credential files: {}", one_line(&m)))
            }
        }
    }
}

/// The server's message with its status, or the status alone.
fn said(reply: &ServerReply) -> String {
    match &reply.message {
        Some(message) => format!("{} (HTTP {})", one_line(message), reply.status),
        None => format!("HTTP {}", reply.status),
    }
}

/// Messages come from a server or a component: keep them to one printable line of sane length.
pub fn one_line(text: &str) -> String {
    const MAX: usize = 300;
    let mut line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        line.push('…');
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_break_the_line_or_the_terminal() {
        assert_eq!(one_line("a\nb\u{1b}[31mc"), "a b [31mc");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }

    #[test]
    fn each_error_kind_has_its_exit_code() {
        let reply = || ServerReply {
            status: 400,
            message: Some("Invalid OTP code".into()),
        };
        let cases = [
            (ApiError::InvalidInput("x".into()), Exit::Usage),
            (ApiError::OtpNotEnabled(None), Exit::Refused),
            (ApiError::OtpNotEnabled(Some(Channel::Email)), Exit::Refused),
            (ApiError::Rejected(reply()), Exit::Refused),
            (ApiError::RateLimited(reply()), Exit::Refused),
            (ApiError::Unauthorized(reply()), Exit::Refused),
            (ApiError::ServerError(reply()), Exit::Unavailable),
            (ApiError::Network("x".into()), Exit::Unavailable),
            (ApiError::Denied("x".into()), Exit::Unavailable),
            (ApiError::BadResponse("x".into()), Exit::Unavailable),
            (ApiError::Storage("x".into()), Exit::Storage),
        ];
        for (err, exit) in cases {
            let shown = format!("{err:?}");
            assert_eq!(Failure::from(err).exit, exit, "{shown}");
        }
    }
}
