//! `env`: shell assignments of the host and token in use.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use crate::cli::args::{Config, EnvArgs};
use crate::cli::exit::{Failure, Kind};
use crate::cli::present::{self, ShellSyntax};
use crate::cli::report::Outcome;
use crate::cli::session::best_token;

/// The variables to set, in JSON by name; displayed as assignments in the chosen shell's
/// syntax, one per line.
#[derive(Serialize)]
pub struct ShellAssignments {
    #[serde(rename = "KONECTY_URL")]
    url: String,
    /// Printable, as the user id: [`best_token`] refuses any other.
    #[serde(rename = "KONECTY_TOKEN")]
    token: String,
    #[serde(rename = "KONECTY_USER_ID", skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip)]
    shell: ShellSyntax,
}

impl ShellAssignments {
    /// Name and value of each variable, in the order of the JSON keys.
    fn variables(&self) -> Vec<(&'static str, &str)> {
        let mut variables = vec![
            ("KONECTY_URL", self.url.as_str()),
            ("KONECTY_TOKEN", self.token.as_str()),
        ];
        variables.extend(self.user_id.as_deref().map(|id| ("KONECTY_USER_ID", id)));
        variables
    }
}

impl fmt::Display for ShellAssignments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self
            .variables()
            .into_iter()
            .map(|(name, value)| present::assignment(self.shell, name, value))
            .collect();
        match self.shell {
            ShellSyntax::Fish => writeln!(f, "{};", lines.join(";\n")),
            ShellSyntax::Sh | ShellSyntax::Powershell | ShellSyntax::Cmd => {
                writeln!(f, "{}", lines.join("\n"))
            }
        }
    }
}

impl Outcome for ShellAssignments {}

pub fn env(config: &Config, args: &EnvArgs) -> Result<ShellAssignments> {
    let (host, winner) = best_token(config)?;
    let assignments = ShellAssignments {
        url: host.url,
        token: winner.token,
        user_id: winner.user_id,
        shell: args.shell,
    };
    let cmd_cannot_take = args.shell == ShellSyntax::Cmd
        && !assignments
            .variables()
            .into_iter()
            .all(|(_, value)| present::cmd_can_take(value));
    if cmd_cannot_take {
        return Err(Failure::new(
            Kind::BadResponse,
            "the session holds characters cmd would expand (% ! ^ \"): not printed for cmd; \
             use --shell powershell",
        )
        .into());
    }
    Ok(assignments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignments(shell: ShellSyntax, user_id: Option<&str>) -> ShellAssignments {
        ShellAssignments {
            url: "https://app.konecty.com".into(),
            token: "t0k'en".into(),
            user_id: user_id.map(String::from),
            shell,
        }
    }

    #[test]
    fn the_json_keys_are_the_variables_assigned_in_the_same_order() {
        for user_id in [Some("u1"), None] {
            let env = assignments(ShellSyntax::Sh, user_id);
            let json = serde_json::to_value(&env).unwrap();
            let keys: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let names: Vec<&str> = env.variables().into_iter().map(|(name, _)| name).collect();
            assert_eq!(keys, names);
        }
    }

    #[test]
    fn each_shell_gets_its_own_syntax() {
        assert_eq!(
            assignments(ShellSyntax::Sh, Some("u1")).to_string(),
            "export KONECTY_URL='https://app.konecty.com'\nexport KONECTY_TOKEN='t0k'\\''en'\n\
             export KONECTY_USER_ID='u1'\n"
        );
        assert_eq!(
            assignments(ShellSyntax::Fish, None).to_string(),
            "set -gx KONECTY_URL 'https://app.konecty.com';\nset -gx KONECTY_TOKEN 't0k\\'en';\n"
        );
        assert_eq!(
            assignments(ShellSyntax::Powershell, None).to_string(),
            "$env:KONECTY_URL = 'https://app.konecty.com'\n$env:KONECTY_TOKEN = 't0k''en'\n"
        );
    }
}
