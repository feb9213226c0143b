//! konecty-session: Konecty's OTP login run as a sandboxed WebAssembly component.
//!
//! This crate is what a plugin host embeds; the `konecty-session` binary (its `cli` folder)
//! is built on top of it and nothing here imports from it.
//!
//! - [`sandbox`]: loads a `konecty:session` component once ([`Runtime`]) and runs each call
//!   with exactly its [`Grant`], within limits, returning typed results ([`Error`]);
//! - [`network`]: the outbound HTTP check (one exact origin, fail closed) and the transport
//!   that sends what it allowed: checked addresses, proxies, trusted authorities, limits;
//! - [`files`]: the one directory a component may touch, its modes and lock, and the record
//!   of which origin issued each token, kept out of every component's reach;
//! - [`audit`]: what the component did, for `--verbose` and `--audit`;
//! - [`sanitize`]: the one rule for showing text that came from outside;
//! - [`process_guard`]: no core dumps of the process's memory;
//! - [`dev_server`]: a local Konecty-compatible auth server for trying and testing.

pub mod audit;
pub mod dev_server;
pub mod files;
pub mod network;
pub mod process_guard;
pub mod sandbox;
pub mod sanitize;

// The embedding API (see host/examples/embed.rs): load a component once with
// [`Runtime::load`], then run each call in its own sandbox with exactly its [`Grant`].
pub use files::credentials_dir::DirAccess;
pub use network::limits::Limits;
pub use network::origin::Origin;
pub use network::proxy::{ProxyRules, ProxySetting};
pub use network::settings::Network;
pub use network::transport::USER_AGENT;
pub use network::trust::Trust;
pub use sandbox::bindings::{
    ApiError, ApiSession, Channel, ClientLabel, CodeRequest, Geolocation, Identifier, LoginMethods,
    LogoutOutcome, OtpSent, Rejection, RejectionReason, SaveTargets, ServerReply, SessionCheck,
    StoredSession,
};
pub use sandbox::error::{Error, Stop};
pub use sandbox::grant::{ComponentSource, Grant};
pub use sandbox::runtime::{Runtime, Sandbox};
