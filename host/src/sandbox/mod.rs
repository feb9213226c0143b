//! The sandbox: loads a `konecty:session` component once and runs each call with exactly
//! its grant (one directory, one origin), within limits, returning typed results.

pub mod bindings;
pub mod bounds;
pub mod compiled;
pub mod engine;
pub mod error;
pub mod grant;
pub mod limits;
pub mod runtime;
