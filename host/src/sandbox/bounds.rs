//! Caps on what the host takes back from a component: every string and list a call returns
//! is measured before the host uses it, so a component cannot make the host print, log or
//! hold megabytes (a 40 MB host name, 800,000 stored hosts). What the real component
//! returns is far below them: tokens, names and messages of a few hundred bytes, a handful
//! of hosts.

use std::fmt;

use crate::sandbox::bindings::{
    ApiError, ApiSession, CodeRequest, Identifier, LoginMethods, LogoutOutcome, OtpSent,
    ServerReply, SessionCheck, StoredSession,
};

/// The longest string accepted from a component, in bytes.
pub const MAX_STRING: usize = 16 * 1024;
/// The longest list accepted from a component.
pub const MAX_LIST: usize = 1024;

/// A value over a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excess {
    pub what: &'static str,
    pub size: usize,
    pub limit: usize,
}

impl fmt::Display for Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the component returned {} of {} (at most {} accepted)",
            self.what, self.size, self.limit
        )
    }
}

/// A value whose strings and lists can be measured.
pub trait Bounded {
    /// The first cap this value exceeds, if any.
    fn excess(&self) -> Option<Excess>;
}

impl Bounded for String {
    fn excess(&self) -> Option<Excess> {
        (self.len() > MAX_STRING).then_some(Excess {
            what: "a string",
            size: self.len(),
            limit: MAX_STRING,
        })
    }
}

impl<T: Bounded> Bounded for Option<T> {
    fn excess(&self) -> Option<Excess> {
        self.as_ref().and_then(Bounded::excess)
    }
}

impl<T: Bounded> Bounded for Vec<T> {
    fn excess(&self) -> Option<Excess> {
        if self.len() > MAX_LIST {
            return Some(Excess {
                what: "a list",
                size: self.len(),
                limit: MAX_LIST,
            });
        }
        self.iter().find_map(Bounded::excess)
    }
}

impl<T: Bounded, E: Bounded> Bounded for Result<T, E> {
    fn excess(&self) -> Option<Excess> {
        match self {
            Ok(value) => value.excess(),
            Err(error) => error.excess(),
        }
    }
}

/// Values with nothing to measure.
macro_rules! unbounded {
    ($($type:ty),*) => {
        $(impl Bounded for $type {
            fn excess(&self) -> Option<Excess> {
                None
            }
        })*
    };
}
unbounded!((), LoginMethods);

/// The first excess among a record's fields.
macro_rules! first_excess {
    ($($field:expr),* $(,)?) => {
        None$(.or_else(|| $field.excess()))*
    };
}

impl Bounded for Identifier {
    fn excess(&self) -> Option<Excess> {
        match self {
            Identifier::Email(text) | Identifier::Phone(text) => text.excess(),
        }
    }
}

impl Bounded for OtpSent {
    fn excess(&self) -> Option<Excess> {
        first_excess!(self.sent_to, self.server_message)
    }
}

impl Bounded for ApiSession {
    fn excess(&self) -> Option<Excess> {
        first_excess!(self.host, self.token, self.user_id, self.name, self.email)
    }
}

impl Bounded for StoredSession {
    fn excess(&self) -> Option<Excess> {
        first_excess!(self.host, self.token, self.user_id)
    }
}

impl Bounded for CodeRequest {
    fn excess(&self) -> Option<Excess> {
        first_excess!(self.host, self.recipient)
    }
}

impl Bounded for SessionCheck {
    fn excess(&self) -> Option<Excess> {
        first_excess!(self.user_id, self.name, self.email)
    }
}

impl Bounded for LogoutOutcome {
    fn excess(&self) -> Option<Excess> {
        self.server_message.excess()
    }
}

impl Bounded for ServerReply {
    fn excess(&self) -> Option<Excess> {
        self.message.excess()
    }
}

impl Bounded for ApiError {
    fn excess(&self) -> Option<Excess> {
        use ApiError::*;
        match self {
            InvalidInput(text) | Network(text) | Denied(text) | BadResponse(text)
            | Storage(text) => text.excess(),
            Rejected(rejection) => rejection.reply.excess(),
            RateLimited(reply) | Unauthorized(reply) | ServerError(reply) => reply.excess(),
            OtpNotEnabled(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::bindings::Rejection;

    #[test]
    fn strings_and_lists_over_their_caps_are_found_wherever_they_sit() {
        let long = "x".repeat(MAX_STRING + 1);
        assert_eq!(long.excess().map(|e| e.size), Some(MAX_STRING + 1));
        assert_eq!("x".repeat(MAX_STRING).excess(), None);
        let hosts: Vec<String> = vec!["https://a.example".into(); MAX_LIST + 1];
        assert_eq!(hosts.excess().map(|e| e.what), Some("a list"));
        let nested: Result<Vec<String>, ApiError> = Ok(vec!["ok".into(), long.clone()]);
        assert_eq!(nested.excess().map(|e| e.what), Some("a string"));
        let error: Result<(), ApiError> = Err(ApiError::Rejected(Rejection {
            reason: None,
            reply: ServerReply {
                status: 400,
                message: Some(long),
                retry_after: None,
            },
        }));
        assert!(
            error.excess().is_some(),
            "a server message in an error is measured too"
        );
        assert_eq!(
            Excess {
                what: "a list",
                size: 800_000,
                limit: MAX_LIST
            }
            .to_string(),
            "the component returned a list of 800000 (at most 1024 accepted)"
        );
    }
}
