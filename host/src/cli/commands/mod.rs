//! One file per command, each a function that returns its own type of answer, an
//! [`Outcome`]; `run` dispatches and makes the answer a [`Report`]. Errors go back to `main`
//! as [`Failure`](crate::cli::exit::Failure)s. `dev-server`, `demo` and `mcp` print as they
//! go and make their reports themselves.

pub mod completions;
pub mod demo;
pub mod dev_server;
pub mod env;
pub mod login;
pub mod login_options;
pub mod logout;
pub mod mcp;
pub mod request_otp;
pub mod status;
pub mod token;
pub mod use_host;
pub mod verify_otp;

use anyhow::Result;

use crate::cli::args::{Cli, Command, Config};
use crate::cli::inputs::{identifier, maybe_identifier, read_code, targets};
use crate::cli::report::{Outcome, Report};

pub fn run(cli: &Cli) -> Result<Report> {
    // These make their own configuration: none of them reads KONECTY_URL nor HOME.
    match &cli.command {
        Command::DevServer(args) => return dev_server::dev_server(args, cli.json),
        Command::Demo => return demo::demo(cli),
        Command::Completions(args) => return Report::of(&completions::completions(args.shell)),
        _ => {}
    }
    let config = Config::new(cli)?;
    match &cli.command {
        Command::Login(args) => told(login::login(&config, args)),
        Command::LoginOptions => told(login_options::login_options(&config)),
        Command::RequestOtp(recipient) => {
            told(request_otp::request_otp(&config, &identifier(recipient)))
        }
        Command::VerifyOtp(verify) => {
            let code = read_code(&verify.code)?;
            let who = maybe_identifier(&verify.recipient);
            told(verify_otp::verify_otp(
                &config,
                who.as_ref(),
                &code,
                targets(verify),
                verify.geolocation,
            ))
        }
        Command::Status(args) => told(status::status(&config, args)),
        Command::Token => told(token::token(&config)),
        Command::Env(args) => told(env::env(&config, args)),
        Command::Use(args) => told(use_host::use_host(&config, &args.host)),
        Command::Logout => told(logout::logout(&config)),
        Command::Mcp(args) => mcp::serve(config, args.expose_token),
        Command::DevServer(_) | Command::Demo | Command::Completions(_) => {
            unreachable!("handled above")
        }
    }
}

/// A command's answer, or its error, as the report `main` prints.
fn told(outcome: Result<impl Outcome>) -> Result<Report> {
    Report::of(&outcome?)
}
