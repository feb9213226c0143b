//! What a sandbox may touch: one directory, one origin, and the limits and network settings
//! that go with them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::audit::{self, Observer};
use crate::files::credentials_dir::DirAccess;
use crate::files::issued::IssuedTokens;
use crate::network::limits::Limits;
use crate::network::origin::Origin;
use crate::network::settings::Network;
use crate::sandbox::error::Error;

/// Which component to run.
pub enum ComponentSource<'a> {
    /// The component built from guest/ and embedded in this binary.
    Embedded,
    /// Another component implementing the same world (`--component`).
    File(&'a Path),
}

/// What the component may touch.
pub struct Grant {
    /// The only directory it sees, as `.`.
    pub dir: PathBuf,
    /// Whether it may write there (`ReadWrite`, the default) or only read.
    pub access: DirAccess,
    /// The only origin it may send requests to; none means no HTTP at all.
    pub origin: Option<Origin>,
    pub limits: Limits,
    /// How the origin is reached: pinned names, proxy, trusted CAs, private networks.
    pub network: Network,
    /// Where requests and file changes are reported.
    pub observer: Arc<Observer>,
    /// Where compiled components are kept between runs; none: compile every time.
    pub cache: Option<PathBuf>,
    /// The record of which origin issued each token: a request carrying a token recorded for
    /// another origin is denied. None: no such check (the CLI sets it).
    pub issued: Option<IssuedTokens>,
    /// Called, on another thread, when a call is stuck in a host call past its deadline
    /// (a [`Stop::Deadline`](crate::sandbox::error::Stop::Deadline)); it is expected to end the process.
    pub on_stuck: Arc<dyn Fn(&Error) + Send + Sync>,
}

impl Grant {
    /// The directory `dir` and, with `base_url`, HTTP to that URL's origin only; the
    /// default limits, a direct connection (no proxy) verified against the system's trusted
    /// authorities, public addresses only, no log or audit, no compile cache. Plain http to a
    /// remote host is the caller's choice here (the CLI refuses it without a flag). A call
    /// stuck in a host call past its deadline (wasm that spins is stopped; a host call that
    /// never returns cannot be) is reported on stderr and its thread stays blocked; the CLI
    /// ends the process instead (set `on_stuck`).
    pub fn new(dir: impl Into<PathBuf>, base_url: Option<&str>) -> Result<Grant, Error> {
        let origin = base_url
            .map(Origin::of_base_url)
            .transpose()
            .map_err(Error::InvalidHost)?;
        Ok(Grant {
            dir: dir.into(),
            access: DirAccess::ReadWrite,
            origin,
            limits: Limits::default(),
            network: Network::default(),
            observer: Arc::default(),
            cache: None,
            issued: None,
            on_stuck: Arc::new(|stuck: &Error| audit::stderr_line(&stuck.to_string())),
        })
    }

    /// The wall-time budget of one call: room for a few requests at the request limit.
    /// Spinning components are stopped here; waiting on the network is bounded per request.
    pub fn call_deadline(&self) -> Duration {
        self.limits.request * 3 + Duration::from_secs(5)
    }
}
