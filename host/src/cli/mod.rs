//! The `konecty-session` binary, on top of the library: arguments and the host precedence
//! ([`args`], parsed and checked in [`parse`]), one file per command ([`commands`]), a command's sandbox and the token
//! precedence ([`session`]), what it reads ([`inputs`]), how results and errors are shown
//! ([`report`], [`present`], [`exit`], [`output`]) and the machine label ([`fingerprint`]).

pub mod args;
pub mod commands;
pub mod exit;
pub mod fingerprint;
pub mod inputs;
pub mod output;
pub mod parse;
pub mod present;
pub mod report;
pub mod session;
