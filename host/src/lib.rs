//! konecty-session: Konecty's OTP login run as a sandboxed WebAssembly component.
//!
//! - [`sandbox`]: loads a `konecty:session` component with exactly its grant; [`compiled`]:
//!   keeps compiled components between runs;
//! - [`policy`]: the outbound HTTP check (one exact origin, fail closed); [`transport`]:
//!   sends what it allowed to the address it checked ([`addresses`]), within limits;
//! - [`audit`]: what the component did, for `--verbose` and `--audit`;
//! - [`credentials_dir`]: the one directory it may touch, and file modes;
//! - [`cli`], [`commands`] and [`login`]: the `konecty-session` binary; [`present`] and
//!   [`exit`]: how its results and errors are shown; [`fingerprint`]: the machine label;
//! - [`dev_server`]: a local Konecty-compatible auth server for trying and testing.

pub mod addresses;
pub mod audit;
pub mod cli;
pub mod commands;
pub mod compiled;
pub mod credentials_dir;
pub mod dev_server;
pub mod engine_config;
pub mod exit;
pub mod fingerprint;
pub mod login;
pub mod policy;
pub mod present;
pub mod sandbox;
pub mod transport;
