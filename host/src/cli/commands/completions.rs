//! `completions`: shell completion scripts.

use std::fmt;

use serde::Serialize;

use crate::cli::parse;
use crate::cli::report::Outcome;

/// A completion script; displayed, the script alone, for `source <(…)`.
#[derive(Serialize)]
pub struct CompletionScript {
    shell: String,
    script: String,
}

impl fmt::Display for CompletionScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.script)
    }
}

impl Outcome for CompletionScript {}

pub fn completions(shell: clap_complete::Shell) -> CompletionScript {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut parse::command(), "konecty-session", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        script = fix_bash_for_a_hyphenated_name(&script);
    }
    CompletionScript {
        shell: shell.to_string(),
        script,
    }
}

/// clap_complete's bash script names the state of `konecty-session status` two ways: its
/// loop builds `konecty__session__subcmd__status`, its case arms expect
/// `konecty__subcmd__session__subcmd__status`, so nothing below the top level completes for
/// a binary name with a hyphen (clap-rs/clap#6421, open as of clap_complete 4.6). The arms
/// are renamed to what the loop builds; `tests/e2e/newcomer.rs` runs the result in bash.
fn fix_bash_for_a_hyphenated_name(script: &str) -> String {
    script.replace("konecty__subcmd__session__", "konecty__session__")
}
