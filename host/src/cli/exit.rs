//! Exit codes, and the one-line messages for the component's errors.

use std::fmt;
use std::process::ExitCode;

use konecty_session::network::incident::Incident;
use konecty_session::{
    ApiError, Channel, Error as SandboxError, Rejection, RejectionReason, ServerReply,
};

/// What to say when the namespace wanted the device's location: the server checks it after
/// it has used the code up.
pub const GEOLOCATION_NEEDED: &str = "this namespace requires the device's location with the \
    code, and the server has used the code up: request a new code, then verify with \
    --geolocation LAT,LON (for example --geolocation=-23.55,-46.63)";

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

/// What kind of failure it was: the JSON `kind` (the WIT error case, or one of the host's
/// own) and the exit code, both decided here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line is wrong: arguments, flags, settings in the environment.
    Usage,
    /// A value given is not valid: an email, a phone, a code, a host, a component file.
    InvalidInput,
    /// No session is stored for the host.
    NotLoggedIn,
    /// The server refused: wrong or expired code, unknown user.
    Rejected,
    OtpNotEnabled,
    RateLimited,
    /// The server no longer accepts the session.
    Unauthorized,
    ServerError,
    Network,
    /// The sandbox refused what the component tried.
    Denied,
    BadResponse,
    /// The server's certificate is not trusted.
    Certificate,
    /// The credential files could not be read or written.
    Storage,
    /// Anything else: a fault of the component or of this program.
    Fault,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::InvalidInput => "invalid-input",
            Kind::NotLoggedIn => "not-logged-in",
            Kind::Rejected => "rejected",
            Kind::OtpNotEnabled => "otp-not-enabled",
            Kind::RateLimited => "rate-limited",
            Kind::Unauthorized => "unauthorized",
            Kind::ServerError => "server-error",
            Kind::Network => "network",
            Kind::Denied => "denied",
            Kind::BadResponse => "bad-response",
            Kind::Certificate => "certificate",
            Kind::Storage => "storage",
            Kind::Fault => "fault",
        }
    }

    pub fn exit(self) -> Exit {
        match self {
            Kind::Usage | Kind::InvalidInput => Exit::Usage,
            Kind::NotLoggedIn
            | Kind::Rejected
            | Kind::OtpNotEnabled
            | Kind::RateLimited
            | Kind::Unauthorized => Exit::Refused,
            Kind::ServerError
            | Kind::Network
            | Kind::Denied
            | Kind::BadResponse
            | Kind::Certificate
            | Kind::Fault => Exit::Unavailable,
            Kind::Storage => Exit::Storage,
        }
    }
}

/// An error as the user sees it: its [`Kind`], one line, and the server's own words when it
/// sent any. Anything else that reaches `main` is a `fault`.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    /// The server's own words, when it sent any.
    pub server_message: Option<String>,
    /// What a rejection means, when the component recognised it (not printed: it decides
    /// what may be tried next, such as another code on the MCP code page).
    pub reason: Option<RejectionReason>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            server_message: None,
            reason: None,
        }
    }

    pub fn exit(&self) -> Exit {
        self.kind.exit()
    }

    /// Whatever error reached `main`, as a failure.
    pub fn of(err: &anyhow::Error) -> Failure {
        let message = one_line(&format!("{err:#}"));
        if let Some(failure) = err.downcast_ref::<Failure>() {
            return Failure {
                message,
                server_message: failure.server_message.clone(),
                kind: failure.kind,
                reason: failure.reason,
            };
        }
        match err.downcast_ref::<SandboxError>() {
            Some(error) => Failure::from(error.clone()),
            None => Failure::new(Kind::Fault, message),
        }
    }

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

    /// `{"error": {"kind", "message", "serverMessage"}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "error": {
            "kind": self.kind.name(),
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

/// The sandbox's error as the user sees it: a refusal by the host is told with the host's
/// reason, not the component's guess.
impl From<SandboxError> for Failure {
    fn from(error: SandboxError) -> Failure {
        match error {
            SandboxError::InvalidHost(_) | SandboxError::ComponentFile { .. } => {
                Failure::new(Kind::InvalidInput, one_line(&error.to_string()))
            }
            SandboxError::ComponentRefused(_) | SandboxError::Stopped(_) => {
                Failure::new(Kind::Fault, one_line(&error.to_string()))
            }
            SandboxError::Directory(_) => Failure::new(Kind::Storage, one_line(&error.to_string())),
            SandboxError::Component(error) => Failure::from(error),
            SandboxError::Refused { incident, error } => refused(&incident, error),
        }
    }
}

/// The component's error after the host refused something: the host's reason decides.
fn refused(incident: &Incident, error: ApiError) -> Failure {
    let component = Failure::from(error);
    let (kind, message) = match incident {
        Incident::Denied(denial) => (Kind::Denied, format!("{} ({denial})", component.message)),
        Incident::TimedOut { .. } | Incident::Proxy { .. } => (Kind::Network, incident.to_string()),
        Incident::TooLarge { .. } => (Kind::BadResponse, incident.to_string()),
        Incident::Untrusted { .. } | Incident::Trust(_) => {
            (Kind::Certificate, incident.to_string())
        }
        Incident::TooManyInFlight => (Kind::Denied, incident.to_string()),
        // A setting the user gave: bad input, and nothing was sent.
        Incident::ProxySetting(_) => (Kind::Usage, incident.to_string()),
    };
    Failure {
        server_message: component.server_message,
        ..Failure::new(kind, message)
    }
}

impl From<ApiError> for Failure {
    fn from(err: ApiError) -> Failure {
        use ApiError::*;
        let server_message = match &err {
            Rejected(Rejection { reply: r, .. })
            | RateLimited(r)
            | Unauthorized(r)
            | ServerError(r) => r.message.as_deref().map(one_line),
            _ => None,
        };
        let reason = match &err {
            Rejected(rejection) => rejection.reason,
            _ => None,
        };
        let (kind, message) = match err {
            InvalidInput(m) => (
                Kind::InvalidInput,
                format!("invalid input: {}", one_line(&m)),
            ),
            OtpNotEnabled(only) => (
                Kind::OtpNotEnabled,
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
            Rejected(Rejection {
                reason: Some(RejectionReason::GeolocationRequired),
                ..
            }) => (Kind::Rejected, GEOLOCATION_NEEDED.to_string()),
            Rejected(r) => (
                Kind::Rejected,
                format!("the server refused: {}", said(&r.reply)),
            ),
            RateLimited(r) => (
                Kind::RateLimited,
                format!(
                    "the server is limiting requests: {}; {}",
                    said(&r),
                    wait_hint(r.retry_after)
                ),
            ),
            Unauthorized(r) => (
                Kind::Unauthorized,
                format!("the session is not valid: {}; log in again", said(&r)),
            ),
            ServerError(r) => (
                Kind::ServerError,
                format!("the server failed: {}", said(&r)),
            ),
            Network(m) => (Kind::Network, one_line(&m)),
            Denied(m) => (
                Kind::Denied,
                format!("blocked by the sandbox: {}", one_line(&m)),
            ),
            BadResponse(m) => (
                Kind::BadResponse,
                format!("unexpected reply: {}", one_line(&m)),
            ),
            Storage(m) => (Kind::Storage, format!("credential files: {}", one_line(&m))),
        };
        Failure {
            server_message,
            reason,
            ..Failure::new(kind, message)
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
/// one sanitizer, [`konecty_session::sanitize`]).
pub fn one_line(text: &str) -> String {
    konecty_session::sanitize::line(text)
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
            (
                ApiError::Rejected(Rejection {
                    reason: None,
                    reply: reply(),
                }),
                Exit::Refused,
            ),
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
            assert_eq!(Failure::from(err).exit(), exit, "{shown}");
        }
    }

    #[test]
    fn kinds_are_the_wit_case_names_and_keep_the_server_words() {
        let limited = Failure::from(ApiError::RateLimited(ServerReply {
            status: 429,
            message: Some("Too many requests".into()),
            retry_after: Some(42),
        }));
        assert_eq!(limited.kind, Kind::RateLimited);
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
            Kind::OtpNotEnabled
        );
        assert_eq!(
            Failure::from(ApiError::Storage("x".into())).kind,
            Kind::Storage
        );
    }
}
