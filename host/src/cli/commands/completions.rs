//! `completions`: shell completion scripts.

use std::fmt;

use clap::CommandFactory;
use serde::Serialize;

use crate::cli::args::Cli;
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
    clap_complete::generate(shell, &mut Cli::command(), "konecty-session", &mut script);
    CompletionScript {
        shell: shell.to_string(),
        script: String::from_utf8_lossy(&script).into_owned(),
    }
}
