//! Several processes on one credentials directory: the `.lock` serialises them, so no update
//! is lost, and a process killed at any moment leaves each file whole, old or new.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const PARALLEL_LOGINS: usize = 20;

/// Starts the binary in `home` without waiting for it, output captured.
fn spawn(home: &Home, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_konecty-session"))
        .env_clear()
        .env("HOME", home.root())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the konecty-session binary runs")
}

/// An ini file read strictly: every line that is not blank and not a comment must be a
/// `[section]` or a `key = value`, so a torn or interleaved write cannot pass unnoticed.
fn strict_ini(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            assert!(
                !name.is_empty() && !name.contains(['[', ']']),
                "line {}: bad section header {line:?} in:\n{text}",
                number + 1
            );
            sections.push((name.to_string(), Vec::new()));
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| {
            panic!(
                "line {}: expected [section] or key = value, got {line:?} in:\n{text}",
                number + 1
            )
        });
        let key = key.trim();
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()),
            "line {}: bad key in {line:?} in:\n{text}",
            number + 1
        );
        let Some((_, keys)) = sections.last_mut() else {
            panic!("line {}: key outside any section: {line:?}", number + 1);
        };
        keys.push((key.to_string(), value.trim().to_string()));
    }
    sections
}

/// A `.env` read strictly: every line that is not blank and not a comment is `KEY=VALUE`.
fn strict_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|line| {
            let assignment = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = assignment
                .split_once('=')
                .unwrap_or_else(|| panic!("expected KEY=VALUE, got {line:?} in:\n{text}"));
            assert!(
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "bad variable name in {line:?} in:\n{text}"
            );
            (key.to_string(), value.to_string())
        })
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Names in the credentials directory that look like our temporary files.
fn temporary_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect()
}

#[test]
fn twenty_parallel_logins_to_twenty_hosts_all_land_in_one_directory() {
    let servers: Vec<_> = (0..PARALLEL_LOGINS).map(|_| konecty()).collect();
    let home = Home::new();
    // Requests may run one after the other: the race under test is the verifies'.
    let codes: Vec<String> = servers.iter().map(|s| home.request_code(s)).collect();

    // Every process is started before any is waited for, so they overlap.
    let children: Vec<Child> = servers
        .iter()
        .zip(&codes)
        .map(|(server, code)| {
            spawn(
                &home,
                &[
                    "--host",
                    &server.url(),
                    "verify-otp",
                    "--email",
                    EMAIL,
                    "--otp",
                    code,
                ],
            )
        })
        .collect();
    for (server, child) in servers.iter().zip(children) {
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(OK),
            "verify-otp against {} failed: {}",
            server.url(),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let text = home.read("credentials");
    let sections = strict_ini(&text);
    let mut seen = HashSet::new();
    for (name, _) in &sections {
        assert!(
            seen.insert(name.as_str()),
            "section [{name}] appears twice:\n{text}"
        );
    }
    let mut tokens = HashSet::new();
    for server in &servers {
        let url = server.url();
        let keys = sections
            .iter()
            .find(|(name, _)| *name == url)
            .map(|(_, keys)| keys)
            .unwrap_or_else(|| panic!("no section for {url}:\n{text}"));
        assert_eq!(value(keys, "host"), Some(url.as_str()), "[{url}]:\n{text}");
        let token = value(keys, "authId")
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| panic!("no authId in [{url}]:\n{text}"));
        assert!(tokens.insert(token.to_string()), "token shared:\n{text}");
        // Each server issued one token, so a token it accepts is the one its verify got.
        let status = home.run_with(
            &["--json", "--host", &url, "status", "--token-stdin"],
            Some(token),
            &[],
        );
        let status: Value = serde_json::from_str(&status.stdout)
            .unwrap_or_else(|e| panic!("status is not JSON ({e}): {status:?}"));
        assert_eq!(
            status["loggedIn"], true,
            "{url} does not accept the token in its section: {status}"
        );
    }
    assert_eq!(
        sections.len(),
        PARALLEL_LOGINS + 1,
        "expected [default] and one section per host:\n{text}"
    );

    // The last verify wrote both files under one lock, so they name the same host.
    let env_text = home.read(".env");
    let env = strict_env(&env_text);
    let env_host = value(&env, "KONECTY_URL").expect("KONECTY_URL in .env");
    let env_token = value(&env, "KONECTY_TOKEN").expect("KONECTY_TOKEN in .env");
    let host_keys = sections
        .iter()
        .find(|(name, _)| name == env_host)
        .map(|(_, keys)| keys)
        .unwrap_or_else(|| panic!(".env names {env_host}, not one of the hosts:\n{text}"));
    assert_eq!(
        Some(env_token),
        value(host_keys, "authId"),
        ".env's token is not {env_host}'s"
    );
    let default = sections
        .iter()
        .find(|(name, _)| name == "default")
        .map(|(_, keys)| keys)
        .unwrap_or_else(|| panic!("no [default]:\n{text}"));
    assert_eq!(
        (value(default, "host"), value(default, "authId")),
        (Some(env_host), Some(env_token)),
        "[default] and .env disagree:\n{text}\n{env_text}"
    );

    // Twenty read-modify-writes of pending-otp each removed one host: none may be lost.
    assert!(
        !home.file("pending-otp").exists(),
        "requests survived their verify: {}",
        home.read("pending-otp")
    );
    assert_eq!(temporary_files(&home.dir()), Vec::<String>::new());
    let lock = home.file(".lock");
    assert_eq!(
        std::fs::metadata(&lock).map(|m| m.len()).ok(),
        Some(0),
        "expected an empty {}",
        lock.display()
    );
    assert_eq!(mode(&lock), 0o600);
}

/// `.env` and `credentials`, as bytes.
fn both_files(home: &Home) -> (Vec<u8>, Vec<u8>) {
    let read = |name: &str| {
        std::fs::read(home.file(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
    };
    (read(".env"), read("credentials"))
}

#[test]
fn a_use_killed_at_any_moment_leaves_each_file_whole() {
    let (a, b) = (konecty(), konecty());
    let home = Home::new();
    home.login(&a);
    home.login(&b);
    let initial = both_files(&home);

    // The complete versions, and how long one whole run takes.
    let started = Instant::now();
    home.run(&["use", &a.url()]).expect(OK);
    let after_a = both_files(&home);
    home.run(&["use", &b.url()]).expect(OK);
    let after_b = both_files(&home);
    let run = started.elapsed() / 2;
    assert_ne!(after_a, after_b, "use must change the files");

    let whole_env = [&initial.0, &after_a.0, &after_b.0];
    let whole_credentials = [&initial.1, &after_a.1, &after_b.1];
    // Each kill waits on average half a run: stay well within a minute.
    let kills =
        (Duration::from_secs(60).as_secs_f64() / run.as_secs_f64()).clamp(8.0, 40.0) as usize;
    let mut killed_mid_run = 0;
    for i in 0..kills {
        let host = if i % 2 == 0 { a.url() } else { b.url() };
        let mut child = Command::new(env!("CARGO_BIN_EXE_konecty-session"))
            .env_clear()
            .env("HOME", home.root())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(["use", &host])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the konecty-session binary runs");
        // Not synchronisation: the growing delay aims each SIGKILL at a later moment of the
        // run, from before the lock is taken to after the last rename.
        std::thread::sleep(run.mul_f64(i as f64 / kills as f64));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        let (env, credentials) = both_files(&home);
        assert!(
            whole_env.contains(&&env),
            "after kill {i} (use {host}), .env is none of the complete versions:\n{}",
            String::from_utf8_lossy(&env)
        );
        assert!(
            whole_credentials.contains(&&credentials),
            "after kill {i} (use {host}), credentials is none of the complete versions:\n{}",
            String::from_utf8_lossy(&credentials)
        );
    }
    assert!(
        killed_mid_run > 0,
        "every run finished before its kill: the test killed nothing"
    );

    // Temporary files of a killed run are stale once the lock is free: the next run removes
    // them. Plant some too, in case no kill landed between create and rename.
    std::fs::write(home.file(".credentials.1700000000000000000-0.tmp"), "stale").unwrap();
    std::fs::write(home.file("..env.1700000000000000000-3.tmp"), "stale").unwrap();
    home.run(&["use", &a.url()]).expect(OK);
    assert_eq!(both_files(&home), after_a, "a complete use after the kills");
    assert_eq!(
        temporary_files(&home.dir()),
        Vec::<String>::new(),
        "stale temporary files remain"
    );
}
