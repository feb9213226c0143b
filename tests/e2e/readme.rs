//! The README's walkthrough for agents and scripts, run top to bottom in one fresh bash
//! against the dev server: every `$ ` line of the console blocks of "For agents: two steps"
//! and "For scripts", with the example host and email replaced by the dev server's and the
//! example code by the one the server sent. Each must exit 0.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::*;

/// The `$ ` lines of the console blocks in the section that starts with `heading`.
fn commands_in(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no section {heading:?} in the README"));
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    let mut commands = Vec::new();
    let mut in_console = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_console = line == "```console";
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ").filter(|_| in_console) {
            // Without its comment: `# …` after two spaces.
            let command = command.split("  #").next().unwrap().trim_end();
            commands.push(command.to_string());
        }
    }
    commands
}

#[test]
fn the_readmes_agent_and_script_examples_run_top_to_bottom_in_a_fresh_shell() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let mut commands = commands_in(&readme, "### For agents: two steps");
    commands.extend(commands_in(&readme, "### For scripts"));
    // fish is not a shell this machine has; the rest is bash.
    commands.retain(|command| !command.contains("--shell fish"));
    assert!(
        commands.len() >= 6,
        "expected the walkthrough's commands, found {commands:?}"
    );

    let server = konecty();
    let home = Home::new();
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_konecty-session"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        binary_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut bash = Command::new("bash")
        .arg("--norc")
        .env_clear()
        .env("HOME", home.root())
        .env("XDG_CACHE_HOME", shared_cache())
        .env("PATH", path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut input = bash.stdin.take().unwrap();
    let mut output = BufReader::new(bash.stdout.take().unwrap());
    for command in commands {
        let mut command = command
            .replace("https://app.konecty.com", &server.url())
            .replace("ana@example.com", EMAIL);
        // As strict as a script should be: curl fails on an HTTP error, and eval runs only
        // what `env` printed when it succeeded.
        command = command.replace("curl -H", "curl -fsS -H").replace(
            "eval \"$(konecty-session env)\"",
            "out=\"$(konecty-session env)\" && eval \"$out\"",
        );
        if command.contains("123456") {
            let code = server.code_for(EMAIL).expect("request-otp ran before");
            command = command.replace("123456", &code);
        }
        // Each command's output, then a line with its exit code.
        writeln!(input, "{command} >/dev/null; echo \"exit=$?\"").unwrap();
        input.flush().unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                output.read_line(&mut line).unwrap() > 0,
                "bash ended during {command:?}"
            );
            if let Some(code) = line.trim().strip_prefix("exit=") {
                assert_eq!(code, "0", "`{command}` failed in a fresh shell");
                break;
            }
        }
    }
    drop(input);
    let _ = bash.wait();
}
