//! The binary's own surface: version, completions, help with examples.

use crate::support::*;

const COMMANDS: [&str; 12] = [
    "login",
    "login-options",
    "request-otp",
    "verify-otp",
    "status",
    "token",
    "env",
    "use",
    "logout",
    "completions",
    "dev-server",
    "demo",
];

#[test]
fn version_names_the_tool() {
    let outcome = Home::new().run(&["--version"]);
    assert_eq!(
        outcome.expect(OK).stdout,
        format!("konecty-session {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    let home = Home::new();
    for command in COMMANDS {
        home.run(&[command, "--help"]).expect(OK).says("Example");
    }
    home.run(&["--help"])
        .expect(OK)
        .says("Examples:")
        .says("Which host")
        .says("Exit codes");
    home.run(&["whoami", "--help"]).expect(OK).says("--offline");
}

#[test]
fn completions_cover_every_command() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let outcome = home.run(&["completions", shell]);
        outcome.expect(OK);
        for command in COMMANDS {
            assert!(
                outcome.stdout.contains(command),
                "{shell} completions lack {command}"
            );
        }
    }
    home.run(&["completions", "tcsh"])
        .expect(USAGE)
        .one_error_line();
}
