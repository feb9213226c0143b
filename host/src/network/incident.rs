//! Why the host refused or stopped a request: returned to the component and kept for the
//! host to report as the reason.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::network::limits::{Limits, MAX_IN_FLIGHT};
use crate::network::origin::{Denial, Origin};
use crate::network::proxy::ProxyError;
use crate::network::trust::TrustError;

/// Something the host stopped or refused during a call, kept so that the error shown is
/// the host's reason, not the component's guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incident {
    Denied(Denial),
    TimedOut {
        origin: Origin,
        limit: Duration,
        /// Still connecting when the time ran out.
        connecting: bool,
        /// The proxy it was connecting through, without credentials.
        via: Option<String>,
    },
    TooLarge {
        origin: Origin,
        limit: u64,
    },
    /// The proxy could not be reached, or would not open the way to the origin.
    Proxy {
        /// `http://host:port`, without credentials.
        proxy: String,
        origin: Origin,
        reason: String,
    },
    /// The origin's certificate did not verify.
    Untrusted {
        origin: Origin,
        reason: String,
    },
    /// The trusted authorities could not be loaded.
    Trust(TrustError),
    /// The proxy setting that applies to the request cannot be used.
    ProxySetting(ProxyError),
    /// The component asked for another request while [`MAX_IN_FLIGHT`] were unfinished.
    TooManyInFlight,
}

/// Shared between the policy and the requests in flight, which outlive its borrow.
pub type Incidents = Arc<Mutex<Vec<Incident>>>;

impl fmt::Display for Incident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incident::Denied(denial) => denial.fmt(f),
            Incident::TimedOut {
                origin,
                limit,
                connecting: true,
                via,
            } => {
                let through = via
                    .as_ref()
                    .map_or(String::new(), |proxy| format!(" through the proxy {proxy}"));
                write!(
                    f,
                    "could not connect to {origin}{through} within {} s",
                    limit.as_secs()
                )
            }
            Incident::TimedOut { origin, limit, .. } => write!(
                f,
                "no answer from {origin} within {} s (--timeout)",
                limit.as_secs()
            ),
            Incident::TooLarge { origin, limit } => write!(
                f,
                "the answer from {origin} was larger than {}; stopped reading",
                Limits::describe_size(*limit)
            ),
            Incident::Proxy {
                proxy,
                origin,
                reason,
            } => write!(
                f,
                "could not reach {origin} through the proxy {proxy}: {reason}"
            ),
            Incident::Untrusted { origin, reason } => write!(
                f,
                "the certificate of {} is not trusted ({reason}): if a private or company CA \
                 signs it, pass that CA with --cacert FILE or SSL_CERT_FILE",
                origin.host()
            ),
            Incident::Trust(error) => write!(f, "cannot load trusted certificates: {error}"),
            Incident::ProxySetting(error) => error.fmt(f),
            Incident::TooManyInFlight => write!(
                f,
                "the component asked for more than {MAX_IN_FLIGHT} requests at once; refused"
            ),
        }
    }
}
