//! `env`: shell assignments of the host and token in use.

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::args::{Config, EnvArgs, ShellSyntax};
use crate::cli::exit::Exit;
use crate::cli::present::{self};
use crate::cli::report::Report;
use crate::cli::session::best_token;

pub fn env(config: &Config, args: &EnvArgs) -> Result<Report> {
    let (host, winner) = best_token(config)?;
    let mut vars = vec![
        ("KONECTY_URL", host.url.clone()),
        ("KONECTY_TOKEN", winner.token),
    ];
    vars.extend(winner.user_id.map(|id| ("KONECTY_USER_ID", id)));
    let lines: Vec<String> = vars
        .iter()
        .map(|(name, value)| present::assignment(args.shell, name, value))
        .collect();
    let text = match args.shell {
        ShellSyntax::Sh => format!("{}\n", lines.join("\n")),
        ShellSyntax::Fish => format!("{};\n", lines.join(";\n")),
    };
    let json: serde_json::Map<String, Value> = vars
        .into_iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    Ok(Report::new(Exit::Success, text, Value::Object(json)))
}
