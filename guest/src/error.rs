//! The errors the flow can end in: the WIT `error` variant itself (no copy of it to keep in
//! step), with the helpers that make them.

pub use crate::konecty::session::types::{
    Channel, Error, Rejection, RejectionReason, ServerReply as Reply,
};

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    pub fn storage(what: &str, err: std::io::Error) -> Self {
        Error::Storage(format!("{what}: {}", describe_io(&err)))
    }
}

/// std's messages for WASI errors carry an OS error number that means nothing to a user.
fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "not found".into(),
        PermissionDenied => "permission denied (outside the granted directory?)".into(),
        AlreadyExists => "already exists".into(),
        InvalidData => "not valid text".into(),
        StorageFull => "no space left on the device".into(),
        QuotaExceeded => "disk quota exceeded".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn storage_errors_say_what_happened_in_words() {
        for (kind, expected) in [
            (ErrorKind::NotFound, "cannot write .env: not found"),
            (
                ErrorKind::StorageFull,
                "cannot write .env: no space left on the device",
            ),
            (
                ErrorKind::QuotaExceeded,
                "cannot write .env: disk quota exceeded",
            ),
        ] {
            let Error::Storage(message) =
                Error::storage("cannot write .env", std::io::Error::from(kind))
            else {
                panic!("expected a storage error for {kind:?}");
            };
            assert_eq!(message, expected, "for {kind:?}");
        }
    }
}
