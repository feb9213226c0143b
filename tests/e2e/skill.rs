//! skills/konecty-session/SKILL.md: agent-skills front matter, and every command it tells an
//! agent to run is one the binary accepts.

use std::path::Path;

use crate::support::*;

fn skill() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../skills/konecty-session/SKILL.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn the_front_matter_has_a_name_and_a_description() {
    let text = skill();
    let front = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(front, _)| front)
        .unwrap_or_else(|| panic!("expected YAML front matter between --- lines"));
    let field = |name: &str| {
        front
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("expected `{name}:` in the front matter:\n{front}"))
    };
    assert_eq!(field("name"), "konecty-session");
    let description = field("description");
    // The agent-skills format caps descriptions at 1024 characters.
    assert!(
        (100..=1024).contains(&description.chars().count()),
        "expected a description of 100 to 1024 characters, got {}",
        description.chars().count()
    );
    assert!(
        !description.contains(": ") || description.starts_with('"'),
        "a plain YAML scalar may not contain `: `: {description}"
    );
}

#[test]
fn every_command_in_the_skill_is_accepted_by_the_binary() {
    let text = skill();
    let mut in_code = false;
    let mut checked = 0;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let Some((_, rest)) = line.split_once("konecty-session ").filter(|_| in_code) else {
            continue;
        };
        let command = rest.split([')', '"', '#', '|']).next().unwrap();
        let mut args: Vec<&str> = command.split_whitespace().collect();
        args.push("--help");
        let outcome = Home::new().run(&args);
        assert!(
            outcome.code == OK && outcome.stdout.contains("Usage:"),
            "SKILL.md runs `konecty-session {command}`, which the binary does not accept: {outcome:?}"
        );
        checked += 1;
    }
    assert!(
        checked >= 6,
        "expected at least 6 commands in code blocks, found {checked}"
    );
}
