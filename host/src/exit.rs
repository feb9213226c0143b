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

/// An error that knows its exit code and its kind (the WIT error case, or one of the
/// host's own: `usage`, `not-logged-in`, `fault`). Anything else that reaches `main` is a
/// `fault` and exits 3.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub kind: &'static str,
    pub message: String,
    /// The server's own words, when it sent any.
    pub server_message: Option<String>,
}

impl Failure {
    /// A failure of the host's own, its kind following from the exit code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        let kind = match exit {
            Exit::Usage => "invalid-input",
            Exit::Storage => "storage",
            Exit::Refused => "rejected",
            Exit::Success | Exit::Unavailable => "fault",
        };
        Failure::of_kind(exit, kind, message)
    }

    /// The same failure with the server's own words attached.
    pub fn with_server_message(mut self, server_message: Option<String>) -> Self {
        self.server_message = server_message;
        self
    }

    pub fn of_kind(exit: Exit, kind: &'static str, message: impl Into<String>) -> Self {
        Failure {
            exit,
            kind,
            message: message.into(),
            server_message: None,
        }
    }

    /// Whatever error reached `main`, as a failure.
    pub fn of(err: &anyhow::Error) -> Failure {
        let message = one_line(&format!("{err:#}"));
        match err.downcast_ref::<Failure>() {
            Some(failure) => Failure {
                message,
                server_message: failure.server_message.clone(),
                ..Failure::of_kind(failure.exit, failure.kind, "")
            },
            None => Failure::of_kind(Exit::Unavailable, "fault", message),
        }
    }

    /// `{"error": {"kind", "message", "serverMessage"}}`.
    /// As `main` shows a failure: the JSON error object on stdout, else one line on stderr.
    /// A closed stream is no reason to panic.
    pub fn print(&self, json: bool) {
        use std::io::Write;
        if json {
            let _ = writeln!(std::io::stdout(), "{}", self.to_json());
        } else {
            let _ = writeln!(std::io::stderr(), "konecty-session: {}", self.message);
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": {
            "kind": self.kind,
            "message": self.message,
            "serverMessage": self.server_message,
        }})
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
        let server_message = match &err {
            Rejected(r) | RateLimited(r) | Unauthorized(r) | ServerError(r) => {
                r.message.as_deref().map(one_line)
            }
            _ => None,
        };
        let (exit, kind, message) = match err {
            InvalidInput(m) => (
                Exit::Usage,
                "invalid-input",
                format!("invalid input: {}", one_line(&m)),
            ),
            OtpNotEnabled(only) => (
                Exit::Refused,
                "otp-not-enabled",
                match only {
                    None => "this Konecty namespace has no OTP login enabled (neither email nor \
                             WhatsApp): konecty-session cannot open a session here"
                        .to_string(),
                    Some(Channel::Whatsapp) => {
                        "this namespace sends codes by WhatsApp only: use --phone".to_string()
                    }
                    Some(Channel::Email) => {
                        "this namespace sends codes by email only: use --email".to_string()
                    }
                },
            ),
            Rejected(r) => (
                Exit::Refused,
                "rejected",
                format!("the server refused: {}", said(&r)),
            ),
            RateLimited(r) => (
                Exit::Refused,
                "rate-limited",
                format!(
                    "the server is limiting requests: {}; {}",
                    said(&r),
                    wait_hint(r.retry_after)
                ),
            ),
            Unauthorized(r) => (
                Exit::Refused,
                "unauthorized",
                format!("the session is not valid: {}; log in again", said(&r)),
            ),
            ServerError(r) => (
                Exit::Unavailable,
                "server-error",
                format!("the server failed: {}", said(&r)),
            ),
            Network(m) => (Exit::Unavailable, "network", one_line(&m)),
            Denied(m) => (
                Exit::Unavailable,
                "denied",
                format!("blocked by the sandbox: {}", one_line(&m)),
            ),
            BadResponse(m) => (
                Exit::Unavailable,
                "bad-response",
                format!("unexpected reply: {}", one_line(&m)),
            ),
            Storage(m) => (
                Exit::Storage,
                "storage",
                format!("credential files: {}", one_line(&m)),
            ),
        };
        Failure {
            server_message,
            ..Failure::of_kind(exit, kind, message)
        }
    }
}

/// How long to wait after a 429: the server's Retry-After, else its one-minute window.
pub fn wait_hint(retry_after: Option<u32>) -> String {
    match retry_after {
        Some(secs) => format!("wait {secs} s and try again"),
        None => "wait a minute and try again".to_string(),
    }
}

/// The server's message with its status, or the status alone.
fn said(reply: &ServerReply) -> String {
    match &reply.message {
        Some(message) => format!("{} (HTTP {})", one_line(message), reply.status),
        None => format!("HTTP {}", reply.status),
    }
}

/// Messages come from a server or a component: one printable line of sane length (the
/// one sanitizer, [`crate::sanitize`]).
pub fn one_line(text: &str) -> String {
    crate::sanitize::line(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_break_the_line_or_the_terminal() {
        assert_eq!(one_line("a\nb\u{1b}[31mc"), "a b\u{FFFD}[31mc");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }

    #[test]
    fn each_error_kind_has_its_exit_code() {
        let reply = || ServerReply {
            status: 400,
            message: Some("Invalid OTP code".into()),
            retry_after: None,
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

    #[test]
    fn kinds_are_the_wit_case_names_and_keep_the_server_words() {
        let limited = Failure::from(ApiError::RateLimited(ServerReply {
            status: 429,
            message: Some("Too many requests".into()),
            retry_after: Some(42),
        }));
        assert_eq!(limited.kind, "rate-limited");
        assert_eq!(limited.server_message.as_deref(), Some("Too many requests"));
        assert!(limited.message.contains("wait 42 s"), "{}", limited.message);
        let json = limited.to_json();
        assert_eq!(json["error"]["kind"], "rate-limited", "{json}");
        assert_eq!(
            json["error"]["serverMessage"], "Too many requests",
            "{json}"
        );
        assert_eq!(
            Failure::from(ApiError::OtpNotEnabled(None)).kind,
            "otp-not-enabled"
        );
        assert_eq!(Failure::from(ApiError::Storage("x".into())).kind, "storage");
    }
}
