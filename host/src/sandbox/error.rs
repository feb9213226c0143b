//! Everything that can go wrong in the sandbox, as one type: the host refused something
//! (and why), the component answered with its own error, or the call was stopped.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::network::incident::Incident;
use crate::sandbox::bindings::ApiError;
use crate::sandbox::limits::{FIELDS_SIZE_LIMIT, MEMORY_LIMIT, RESOURCE_LIMIT};

#[derive(Debug, Clone)]
pub enum Error {
    /// The base URL of a grant is not an origin this host can check.
    InvalidHost(String),
    /// A component file that cannot be used: unreadable, not WebAssembly, too large.
    ComponentFile { path: PathBuf, reason: String },
    /// A component this host will not run: it imports more than any grant gives, does not
    /// implement `konecty:session/api`, or does not compile.
    ComponentRefused(String),
    /// The credentials directory cannot be prepared, opened or locked.
    Directory(String),
    /// The host refused what the component tried (`incident`, the reason to show); the
    /// component's own error that followed.
    Refused {
        incident: Box<Incident>,
        error: ApiError,
    },
    /// The component's answer: its typed error.
    Component(ApiError),
    /// The host stopped the call.
    Stopped(Stop),
}

/// Why the host stopped a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// It ran past its deadline (3 x the request limit + 5 s).
    Deadline(Duration),
    /// It reached [`MEMORY_LIMIT`].
    Memory,
    /// It held more than [`RESOURCE_LIMIT`] host resources at once.
    Resources,
    /// It built headers larger than [`FIELDS_SIZE_LIMIT`].
    Headers,
    /// It returned more than the host accepts (see `bounds`).
    Oversized(String),
    /// It trapped: a fault in the component.
    Trap(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidHost(why) => write!(f, "invalid host: {why}"),
            Error::ComponentFile { path, reason } => {
                write!(f, "cannot load component {}: {reason}", path.display())
            }
            Error::ComponentRefused(why) | Error::Directory(why) => f.write_str(why),
            Error::Refused { incident, .. } => write!(f, "{incident}"),
            Error::Component(error) => write!(f, "{error:?}"),
            Error::Stopped(stop) => write!(f, "{stop}"),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Deadline(deadline) => write!(
                f,
                "the component was stopped after running for {} s, the limit for one call \
                 (3 x --timeout + 5 s)",
                deadline.as_secs()
            ),
            Stop::Memory => write!(
                f,
                "the component was stopped: it reached its {} MiB memory limit",
                MEMORY_LIMIT / (1024 * 1024)
            ),
            Stop::Resources => write!(
                f,
                "the component was stopped: it held more than {RESOURCE_LIMIT} host resources \
                 (HTTP fields, requests, streams) at once"
            ),
            Stop::Headers => write!(
                f,
                "the component was stopped: it built HTTP headers larger than {} KiB",
                FIELDS_SIZE_LIMIT / 1024
            ),
            Stop::Oversized(what) => f.write_str(what),
            Stop::Trap(cause) => write!(f, "the component failed: {cause}"),
        }
    }
}

impl std::error::Error for Error {}
