//! The binary's own surface: version, completions, help with examples.

use konecty_session_test_components::HOSTILE_COMPONENT;

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

/// A component is compiled at its first run and cached: the embedded one and another one
/// (`--component`) each get one entry, and a bad entry is replaced.
#[test]
fn the_compiled_component_is_cached_and_a_bad_entry_is_replaced() {
    let home = Home::new();
    let cache = home.root().join("cache");
    let env = [("XDG_CACHE_HOME", cache.to_str().unwrap())];
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.join("konecty-session"))
            .map(|list| list.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };
    let other = ["--component", HOSTILE_COMPONENT, "status", "--offline"];

    home.run_with(&["status", "--offline"], None, &env)
        .expect(REFUSED);
    let embedded = entries();
    assert_eq!(
        embedded.len(),
        1,
        "expected one entry for the embedded component, found {embedded:?}"
    );
    home.run_with(&["status", "--offline"], None, &env)
        .expect(REFUSED);
    assert_eq!(
        entries(),
        embedded,
        "expected the second run to add no entry"
    );

    home.run_with(&other, None, &env).expect(REFUSED);
    let mut first = entries();
    first.retain(|path| !embedded.contains(path));
    assert_eq!(first.len(), 1, "expected one cache entry, found {first:?}");
    let entry = &first[0];
    let good = std::fs::read(entry).unwrap();
    assert_eq!(mode(entry), 0o600, "cache entries are private");

    std::fs::write(entry, b"KSCWASM1 but not what it claims").unwrap();
    home.run_with(&other, None, &env).expect(REFUSED);
    assert_eq!(
        std::fs::read(entry).unwrap().len(),
        good.len(),
        "expected the bad entry to be replaced by a good one"
    );
    assert_eq!(entries().len(), 2, "expected no temporary files left");
}
