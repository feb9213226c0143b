//! konecty-session: Konecty's OTP login run as a sandboxed WebAssembly component.
//!
//! - [`sandbox`]: loads a `konecty:session` component with exactly its grant; [`compiled`]:
//!   keeps compiled components between runs; [`bounds`]: caps on what a component returns;
//! - [`policy`]: the outbound HTTP check (one exact origin, fail closed); [`transport`]:
//!   sends what it allowed to the address it checked ([`addresses`]) or through the proxy
//!   ([`proxy`]), verified against the trusted authorities ([`trust`]), within limits;
//!   [`network`]: those settings as one value of the grant;
//! - [`audit`]: what the component did, for `--verbose` and `--audit`;
//! - [`credentials_dir`]: the one directory it may touch, and file modes; [`issued`]: which
//!   origin issued each token, kept out of every component's reach;
//! - [`cli`], [`commands`] and [`login`]: the `konecty-session` binary; [`mcp`]: the same
//!   commands as MCP tools; [`present`] and
//!   [`exit`]: how its results and errors are shown; [`fingerprint`]: the machine label;
//! - [`sanitize`]: the one rule for showing text that came from outside;
//! - [`process_guard`]: no core dumps of the binary's memory;
//! - [`dev_server`]: a local Konecty-compatible auth server for trying and testing.

pub mod addresses;
pub mod audit;
pub mod bounds;
pub mod cli;
pub mod commands;
pub mod compiled;
pub mod credentials_dir;
pub mod dev_server;
pub mod engine_config;
pub mod exit;
pub mod fingerprint;
pub mod issued;
pub mod login;
pub mod mcp;
pub mod network;
pub mod policy;
pub mod present;
pub mod process_guard;
pub mod proxy;
pub mod sandbox;
pub mod sanitize;
pub mod transport;
pub mod trust;

// The embedding API (see host/examples/embed.rs): load a component once with
// [`Runtime::load`], then run each call in its own sandbox with exactly its [`Grant`].
pub use credentials_dir::DirAccess;
pub use exit::Failure;
pub use network::Network;

/// `konecty-session/<version>`: the User-Agent of every request, and the `source` the
/// server records with a session.
pub const USER_AGENT: &str = concat!("konecty-session/", env!("CARGO_PKG_VERSION"));
pub use policy::{Limits, Origin};
pub use proxy::{ProxyRules, ProxySetting};
pub use sandbox::{
    ApiError, ApiSession, Channel, ClientLabel, CodeRequest, ComponentSource, Grant, Identifier,
    LoginMethods, LogoutOutcome, OtpSent, Runtime, Sandbox, SaveTargets, SessionCheck,
    StoredSession,
};
pub use trust::Trust;
