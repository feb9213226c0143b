//! What a hostile component or hostile files can do to later runs (issue: hardening II).

use konecty_session_test_components::HOSTILE_COMPONENT;

use crate::support::*;

/// Runs one probe of the hostile component against `host`.
fn probe(home: &Home, host: &str, probe: &str) -> Outcome {
    hostile_probe(home, host, probe, &[])
}

#[test]
fn a_component_that_rewrites_the_files_cannot_send_a_token_elsewhere() {
    let real = konecty();
    let attacker = konecty();
    let home = Home::new();
    let token = home.login(&real);
    probe(&home, &real.url(), &format!("steer-env={}", attacker.url())).expect(OK);
    assert!(
        home.read(".env")
            .contains(&format!("KONECTY_URL={}", attacker.url())),
        "the probe should have steered .env: {}",
        home.read(".env")
    );
    // Later plain runs take their host from .env: none sends or shows the token for it.
    for command in [
        &["status"][..],
        &["logout"],
        &["env"],
        &["token"],
        &["status", "--offline"],
    ] {
        home.run(command)
            .expect(UNAVAILABLE)
            .says(&format!("was issued by {}", real.url()))
            .never_says(&token)
            .one_error_line();
    }
    assert!(
        attacker.requests().is_empty(),
        "the token's issuer is {}, yet {} received {:?}",
        real.url(),
        attacker.url(),
        attacker.requests()
    );
    // The real host still has its session.
    home.run(&["--host", &real.url(), "status"]).expect(OK);
}

#[test]
fn an_environment_token_never_follows_the_default_to_another_server() {
    let first = konecty();
    let second = konecty();
    let home = Home::new();
    let first_token = home.login(&first);
    let second_token = home.login(&second);
    // KONECTY_TOKEN from the first login, no KONECTY_URL: the default is now the second.
    let env = [("KONECTY_TOKEN", first_token.as_str())];
    home.run_with(&["status"], None, &env).expect(OK);
    let sent_first = second
        .requests()
        .iter()
        .any(|r| r.authorization.as_deref() == Some(first_token.as_str()));
    assert!(!sent_first, "the first host's token reached the second");
    let printed = home.run_with(&["env"], None, &env);
    printed
        .expect(OK)
        .says(&second.url())
        .says(&second_token)
        .never_says(&first_token);
}

#[test]
fn a_port_out_of_range_is_refused_not_read_as_the_default() {
    let home = Home::new();
    for host in ["http://127.0.0.1:65616", "https://app.konecty.com:0"] {
        home.run(&["--host", host, "login-options"])
            .expect(USAGE)
            .says("is not a port number (1-65535)")
            .one_error_line();
    }
    let grant = konecty_session::Grant::new(home.dir(), Some("http://127.0.0.1:65616"));
    assert!(
        grant
            .as_ref()
            .is_err_and(|e| e.to_string().contains("is not a port number")),
        "Grant::new must refuse the port too, got {:?}",
        grant.map(|_| "a grant")
    );
}

#[test]
fn the_process_holding_the_secrets_is_not_dumpable() {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    // Seen from outside through /proc: a process that is not dumpable has its /proc files
    // owned by root, not by its user, so the test runs it as another user (nobody).
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: running the binary as another user needs root");
        return;
    }
    const NOBODY: u32 = 65534;
    // A copy nobody can reach: the build tree may sit in a directory only root can enter.
    let place = tempfile::tempdir().unwrap();
    let binary = place.path().join("konecty-session");
    std::fs::copy(env!("CARGO_BIN_EXE_konecty-session"), &binary).unwrap();
    for path in [place.path(), binary.as_path()] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut child = std::process::Command::new(&binary)
        .env_clear()
        .env("HOME", "/nonexistent")
        .args(["--host", "http://127.0.0.1:9", "mcp"])
        .uid(NOBODY)
        .gid(NOBODY)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary runs as nobody");
    // Once it has answered `initialize`, main's settings are in force.
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-06-18","capabilities":{{}},"clientInfo":{{"name":"e2e","version":"0"}}}}}}"#
    )
    .unwrap();
    let mut answer = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut answer)
        .unwrap();
    assert!(
        answer.contains("konecty-session"),
        "expected an initialize answer, got {answer:?}"
    );
    let proc_dir = format!("/proc/{}", child.id());
    let owner = std::fs::metadata(format!("{proc_dir}/environ"))
        .unwrap()
        .uid();
    let limits = std::fs::read_to_string(format!("{proc_dir}/limits")).unwrap();
    drop(stdin);
    let _ = child.wait();
    assert_eq!(
        owner, 0,
        "a dumpable process's /proc files belong to its user ({NOBODY})"
    );
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_default()
        .split_whitespace()
        .skip(4)
        .take(2)
        .collect::<Vec<_>>();
    assert_eq!(
        core,
        ["0", "0"],
        "expected core size limits 0 0, got {limits}"
    );
}

/// Characters a terminal acts on, or that disguise text, which nothing printed may carry.
const UNSAFE: [char; 9] = [
    '\u{1b}', '\r', '\u{7}', '\u{9b}', '\u{85}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{0}',
];

#[track_caller]
fn assert_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| UNSAFE.contains(c)) {
        panic!("{what} carries U+{:04X}: {text:?}", c as u32);
    }
}

#[test]
fn strings_from_a_component_or_a_server_reach_no_terminal_raw() {
    let granted = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    for json in [false, true] {
        let mut args = vec!["--component", HOSTILE_COMPONENT, "--host"];
        let url = granted.url();
        args.extend_from_slice(&[&url, "request-otp", "--email", "controls"]);
        if json {
            args.push("--json");
        }
        let outcome = home.run(&args);
        outcome.expect(OK);
        assert_safe("stdout", &outcome.stdout);
        assert_safe("stderr", &outcome.stderr);
        assert!(
            outcome.stdout.contains('\u{FFFD}'),
            "the replaced characters should show as U+FFFD: {:?}",
            outcome.stdout
        );
    }

    // A server whose user name hides a bidi override and a zero-width space.
    let server = konecty_with(konecty_session::dev_server::DevServerConfig {
        users: vec![konecty_session::dev_server::DevUser {
            id: "devUser0000000001".into(),
            name: "Ana\u{202e}moc.evil\u{200b}".into(),
            email: EMAIL.into(),
            phone: PHONE.into(),
        }],
        ..Default::default()
    });
    let home = Home::new();
    let code = home.request_code(&server);
    let verified = home.verify(&server.url(), &code, &[]);
    verified.expect(OK);
    assert_safe("verify-otp", &verified.stdout);
    for args in [&["status"][..], &["status", "--json"]] {
        let outcome = home.run(args);
        outcome.expect(OK);
        assert_safe("status", &outcome.stdout);
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn full_mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_directory_other_users_can_write_to_is_refused_and_left_as_it_was() {
    let home = Home::new();
    let shared = home.root().join("shared");
    std::fs::create_dir(&shared).unwrap();
    for mode in [0o1777, 0o777, 0o1700] {
        set_mode(&shared, mode);
        let dir = shared.display().to_string();
        for command in [
            &["status", "--offline"][..],
            &["request-otp", "--email", EMAIL],
        ] {
            let mut args = vec!["--dir", dir.as_str(), "--host", "http://127.0.0.1:9"];
            args.extend_from_slice(command);
            home.run(&args)
                .expect(STORAGE)
                .says("is open to other users")
                .says("--dir")
                .one_error_line();
        }
        assert_eq!(
            full_mode(&shared),
            mode,
            "the mode of a refused directory changed"
        );
    }
}

#[test]
fn read_only_commands_change_no_mode_and_writing_ones_tighten_only_our_own() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    set_mode(&home.dir(), 0o750);
    set_mode(&home.file(".env"), 0o644);
    for command in [
        &["status"][..],
        &["status", "--offline"],
        &["token"],
        &["env"],
        &["login-options"],
    ] {
        home.run(command).expect(OK);
        assert_eq!(
            full_mode(&home.dir()),
            0o750,
            "{command:?} changed the directory's mode"
        );
        assert_eq!(
            full_mode(&home.file(".env")),
            0o644,
            "{command:?} changed .env's mode"
        );
    }
    home.run(&["request-otp", "--email", EMAIL]).expect(OK);
    assert_eq!(full_mode(&home.dir()), 0o700);
    assert_eq!(full_mode(&home.file(".env")), 0o600);

    // Through a symlink, the target's mode is not ours to change.
    let target = home.root().join("target");
    std::fs::create_dir(&target).unwrap();
    set_mode(&target, 0o750);
    let link = home.root().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let link = link.display().to_string();
    home.run(&[
        "--dir",
        &link,
        "--host",
        &server.url(),
        "request-otp",
        "--email",
        EMAIL,
    ])
    .expect(OK);
    assert_eq!(
        full_mode(&target),
        0o750,
        "a symlinked --dir had its target's mode changed"
    );
}

/// Runs the binary with a standard input that stays open, as at a terminal; fails the test
/// if it has not ended within 20 s.
fn run_with_open_stdin(home: &Home, args: &[&str]) -> (i32, String) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_konecty-session"))
        .env_clear()
        .env("HOME", home.root())
        .env("XDG_CACHE_HOME", shared_cache())
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stdin = child.stdin.take();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still ran after 20 s: it waits on a file it should refuse");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_fifo_or_a_link_to_stdin_in_place_of_a_file_is_refused_not_waited_on() {
    let server = konecty();
    let home = Home::new();
    std::fs::create_dir_all(home.dir()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        home.file(".env"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let url = server.url();
    for args in [
        &["token"][..],
        &["status", "--offline"],
        &["--host", &url, "token"],
    ] {
        let (code, stderr) = run_with_open_stdin(&home, args);
        assert_eq!(code, STORAGE, "{args:?}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{args:?}: {stderr}");
    }
    std::fs::remove_file(home.file(".env")).unwrap();
    std::os::unix::fs::symlink("../../../../../../../../dev/stdin", home.file(".env")).unwrap();
    for args in [&["token"][..], &["--host", &url, "token"]] {
        let (code, stderr) = run_with_open_stdin(&home, args);
        assert_eq!(code, STORAGE, "{args:?}: {stderr}");
    }
}

#[test]
fn what_a_component_returns_and_the_component_file_itself_are_bounded() {
    let home = Home::new();
    std::fs::create_dir_all(home.dir()).unwrap();
    let run = |home: &Home| {
        home.run(&[
            "--component",
            HOSTILE_COMPONENT,
            "--host",
            "http://127.0.0.1:9",
            "status",
            "--offline",
        ])
    };
    // A 5 MB host name (the hostile component hands back what steer.txt says; larger ones
    // meet its 64 MiB memory limit first).
    home.write("steer.txt", &"h".repeat(5_000_000));
    let huge = run(&home);
    huge.expect(UNAVAILABLE)
        .says("the component returned a string of 5000000 (at most 16384 accepted)")
        .one_error_line();
    assert!(
        huge.stdout.len() + huge.stderr.len() < 4096,
        "printed {} bytes",
        huge.stderr.len()
    );
    // Ten thousand stored hosts.
    home.write("steer.txt", &"https://a.example\n".repeat(10_000));
    run(&home)
        .expect(UNAVAILABLE)
        .says("the component returned a list of 10000 (at most 1024 accepted)")
        .one_error_line();

    home.run(&["--component", "/dev/zero", "status", "--offline"])
        .expect(USAGE)
        .says("not a regular file")
        .one_error_line();
    let big = home.root().join("big.wasm");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    home.run(&[
        "--component",
        &big.display().to_string(),
        "status",
        "--offline",
    ])
    .expect(USAGE)
    .says("larger than 32 MiB")
    .one_error_line();
}

/// Runs the binary under python3's `resource` module; returns what it printed and the
/// child's peak resident memory in KiB (as `wait4` reports it), or None without python3.
fn run_measured(home: &Home, args: &[&str]) -> Option<(Outcome, u64)> {
    const MEASURE: &str = "import resource, subprocess, sys\n\
        done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n\
        sys.stderr.write(done.stderr)\n\
        sys.stdout.write(done.stdout)\n\
        print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n\
        sys.exit(done.returncode)";
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(MEASURE)
        .arg(env!("CARGO_BIN_EXE_konecty-session"))
        .args(args)
        .env_clear()
        .env("HOME", home.root())
        .env("XDG_CACHE_HOME", shared_cache())
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (printed, peak) = stdout
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", stdout.trim()));
    Some((
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: printed.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
        peak.trim().parse().expect("python printed the peak"),
    ))
}

/// The component's 64 MiB plus the host's own share (a plain `status --offline` of the debug
/// binary peaked at 20,820 KiB, bench/RESULTS.md).
const PEAK_LIMIT_KIB: u64 = 96 * 1024;

#[test]
fn a_component_cannot_make_the_host_hold_unbounded_memory_or_connections() {
    let granted = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let url = granted.url();
    let hostile = |probe: &str| {
        let args = [
            "--component",
            HOSTILE_COMPONENT,
            "--host",
            &url,
            "request-otp",
            "--email",
            probe,
        ];
        run_measured(&home, &args)
    };
    // python3 is part of the test setup (the reader tests need it too).
    let (huge, peak) = hostile("hold-fields=3000,100000").expect("python3 measures the peak");
    huge.expect(UNAVAILABLE)
        .says("it built HTTP headers larger than 16 KiB")
        .one_error_line();
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak {peak} KiB with 100 KB header sets"
    );

    let (many, peak) = hostile("hold-fields=3000,10000").unwrap();
    many.expect(UNAVAILABLE)
        .says("it held more than 256 host resources")
        .one_error_line();
    assert!(
        peak < PEAK_LIMIT_KIB,
        "peak {peak} KiB with 3,000 header sets"
    );

    let (flood, _) = hostile("requests=20").unwrap();
    flood
        .expect(UNAVAILABLE)
        .says("asked for more than 4 requests at once")
        .one_error_line();
    assert!(
        granted.hits() <= 4,
        "{} connections reached the server",
        granted.hits()
    );
    let (flood, _) = hostile("requests=3000").unwrap();
    flood.expect(UNAVAILABLE).never_says("BREACH");
    assert!(
        granted.hits() <= 8,
        "{} connections reached the server",
        granted.hits()
    );
}

/// The audit trail's events, parsed.
fn audit_events(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

#[test]
fn an_audit_that_cannot_be_complete_says_so_and_invents_nothing() {
    let home = Home::new();
    home.write(".env", "OTHER=1\n");
    home.write("credentials", "[other]\nx = 1\n");
    let trail = home.root().join("audit.jsonl");
    // Few descriptors, and a component that takes them all: the listing after the call fails.
    let script = format!(
        "ulimit -n 64 && exec '{}' --audit '{}' --component '{}' --host http://127.0.0.1:9 \
         request-otp --email exhaust-fds",
        env!("CARGO_BIN_EXE_konecty-session"),
        trail.display(),
        HOSTILE_COMPONENT
    );
    let ran = std::process::Command::new("sh")
        .args(["-c", &script])
        .env_clear()
        .env("HOME", home.root())
        .env("XDG_CACHE_HOME", shared_cache())
        .output()
        .unwrap();
    let events = audit_events(&trail);
    let files: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "file").collect();
    assert!(
        files.is_empty(),
        "no file change may be told from an incomplete listing, got {files:?}"
    );
    let incomplete = events.iter().find(|e| e["event"] == "incomplete");
    assert!(
        incomplete.is_some_and(|e| e["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot list"))),
        "expected an incomplete event, got {events:?}; stderr: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
}

#[test]
fn auditing_a_crowded_directory_is_linear() {
    let server = konecty();
    let home = Home::new();
    std::fs::create_dir_all(home.dir()).unwrap();
    for i in 0..20_000 {
        std::fs::write(home.dir().join(format!("other-{i}")), "").unwrap();
    }
    let trail = home.root().join("audit.jsonl");
    let started = std::time::Instant::now();
    home.run(&[
        "--audit",
        &trail.display().to_string(),
        "--host",
        &server.url(),
        "request-otp",
        "--email",
        EMAIL,
    ])
    .expect(OK);
    let took = started.elapsed();
    // Quadratic, this took about 30 s (2026-12-01 review); linear, well under a second.
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    let created: Vec<String> = audit_events(&trail)
        .iter()
        .filter(|e| e["event"] == "file")
        .map(|e| format!("{} {}", e["change"], e["path"]))
        .collect();
    assert_eq!(
        created.len(),
        1,
        "expected pending-otp created, got {created:?}"
    );
    assert!(created[0].contains("pending-otp"), "{created:?}");
}

#[test]
fn verify_otp_shows_whose_pending_request_it_used_and_only_for_its_host() {
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    // Someone rewrote the pending request's recipient: the attempt says whose code it tried.
    let pending = home.read("pending-otp");
    home.write(
        "pending-otp",
        &pending.replace(EMAIL, "mallory@example.com"),
    );
    home.run_with(
        &["--host", &server.url(), "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(REFUSED)
    .says("sent to m***@example.com")
    .one_error_line();
    // Untouched, it says so on success, in text and JSON.
    let home = Home::new();
    let code = home.request_code(&server);
    home.run_with(
        &["--host", &server.url(), "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(OK)
    .says("Verified the code sent to d***@example.com (the pending request).");
    let code = home.request_code(&server);
    let json = home.run_with(
        &[
            "--host",
            &server.url(),
            "verify-otp",
            "--otp-stdin",
            "--json",
        ],
        Some(&code),
        &[],
    );
    let value: serde_json::Value = serde_json::from_str(&json.expect(OK).stdout).unwrap();
    assert_eq!(value["verifiedFor"], "d***@example.com", "{value}");

    // A component that offers another host's request: refused before any code is sent.
    let home = Home::new();
    home.run(&[
        "--component",
        HOSTILE_COMPONENT,
        "--host",
        &server.url(),
        "verify-otp",
        "--otp",
        "123456",
    ])
    .expect(USAGE)
    .says("pending-otp is for https://elsewhere.example, not")
    .one_error_line();
    let verifies = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("verify"))
        .count();
    assert_eq!(
        verifies, 3,
        "only the three verifications above reached the server"
    );
}

#[test]
fn no_request_carries_a_token_to_a_host_that_did_not_issue_it() {
    let real = konecty();
    let attacker = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    home.login(&real);
    // Even a component run against the attacker's host, reading the real token itself.
    probe(&home, &attacker.url(), "send-token")
        .expect(UNAVAILABLE)
        .says("a token that")
        .never_says("BREACH");
    assert_eq!(attacker.hits(), 0, "the token reached the other host");
}

#[test]
fn an_unrecorded_token_is_bound_only_to_a_host_the_user_named() {
    let real = konecty();
    // An attacker's server that says yes to any token.
    let attacker = CannedServer::json(
        "200 OK",
        r#"{"logged":true,"user":{"_id":"devUser0000000001","name":"Dev","email":"dev@example.com"}}"#,
    );
    let home = Home::new();
    home.login(&real);
    // A token another tool wrote: not in the record.
    std::fs::remove_dir_all(home.root().join(".local/state")).unwrap();
    let steered = with_line(
        &home.read(".env"),
        "KONECTY_URL=",
        &format!("KONECTY_URL={}", attacker.url()),
    );
    home.write(".env", &steered);
    // The files name the attacker: the unrecorded token goes there (the documented limit),
    // but the attacker's yes does not make it the token's issuer.
    home.run(&["status"]).expect(OK);
    home.run(&["--host", &real.url(), "status"]).expect(OK);
}

#[test]
fn a_group_writable_or_foreign_directory_is_refused_where_it_is_not_ours_to_fix() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    set_mode(&home.dir(), 0o770);
    home.run(&["status", "--offline"])
        .expect(STORAGE)
        .says("is writable by its group (mode 770): make it private with chmod 700")
        .one_error_line();
    assert_eq!(
        full_mode(&home.dir()),
        0o770,
        "a read-only command changed the mode"
    );
    home.run(&["request-otp", "--email", EMAIL]).expect(OK);
    assert_eq!(
        full_mode(&home.dir()),
        0o700,
        "a writing command makes its own directory private"
    );

    if rustix::process::geteuid().is_root() {
        let foreign = home.root().join("foreign");
        std::fs::create_dir(&foreign).unwrap();
        set_mode(&foreign, 0o700);
        std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).unwrap();
        home.run(&[
            "--dir",
            &foreign.display().to_string(),
            "status",
            "--offline",
        ])
        .expect(STORAGE)
        .says("belongs to another user")
        .one_error_line();
    }
    // The record of issued tokens may not sit inside the directory a component is granted.
    home.run(&[
        "--dir",
        &home.root().display().to_string(),
        "status",
        "--offline",
    ])
    .expect(USAGE)
    .says("the record of which host issued each token")
    .one_error_line();
}
