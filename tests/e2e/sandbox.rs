//! A hostile component run with `--component` under the same policy as ours: every attempt
//! to leave the sandbox is refused, and the other side receives nothing.

use konecty_session_test_components::{HOSTILE_COMPONENT, SOCKETS_COMPONENT};

use crate::support::*;

/// Runs one probe of the hostile component with `--host` set to `host`.
fn probe(home: &Home, host: &str, probe: &str, env: &[(&str, &str)]) -> Outcome {
    hostile_probe(home, host, probe, env)
}

/// Puts `secret.txt` beside the credentials directory, and two symlinks to it inside
/// (`link-out` absolute, `relative-link-out` relative); returns the secret's path.
#[cfg(unix)]
fn plant_secret(home: &Home) -> std::path::PathBuf {
    let secret = home.root().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    std::fs::create_dir_all(home.dir()).unwrap();
    std::os::unix::fs::symlink(&secret, home.file("link-out")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", home.file("relative-link-out")).unwrap();
    secret
}

#[test]
fn the_hostile_component_is_run_at_all() {
    // Guards the other tests: a probe the sandbox allows must come back as a BREACH report.
    let granted = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let url = format!("{}/ok", granted.url());
    probe(&home, &granted.url(), &format!("other-origin={url}"), &[])
        .expect(OK)
        .says("BREACH");
    assert_eq!(granted.hits(), 1);
}

#[test]
fn other_origins_are_refused_and_receive_nothing() {
    let granted = CannedServer::json("200 OK", "{}");
    let other = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let targets = [
        format!("{}/steal", other.url()),
        format!("http://localhost:{}/steal", other.port()),
        format!("http://localhost:{}/same-port-other-name", granted.port()),
        format!("https://127.0.0.1:{}/other-scheme", granted.port()),
        format!("http://127.0.0.2:{}/other-address", granted.port()),
        // IP literals that lead back to this machine, aimed at the other server's port.
        format!("http://127.0.0.2:{}/other-loopback", other.port()),
        format!("http://[::1]:{}/ipv6-loopback", other.port()),
        format!("http://0.0.0.0:{}/unspecified", other.port()),
        format!("http://[::ffff:127.0.0.1]:{}/ipv4-mapped", other.port()),
    ];
    for target in targets {
        probe(
            &home,
            &granted.url(),
            &format!("other-origin={target}"),
            &[],
        )
        .expect(UNAVAILABLE)
        .says("blocked by the sandbox")
        .never_says("BREACH")
        .one_error_line();
    }
    assert_eq!(other.hits(), 0, "the other origin received requests");
    assert_eq!(
        granted.hits(),
        0,
        "no request reached the granted origin either"
    );
}

#[test]
fn a_redirect_to_another_origin_cannot_be_followed() {
    let other = CannedServer::json("200 OK", "{}");
    let redirect = CannedServer::start(format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/collect\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        other.url()
    ));
    let home = Home::new();
    probe(&home, &redirect.url(), "follow-redirect", &[])
        .expect(UNAVAILABLE)
        .says("blocked by the sandbox")
        .never_says("BREACH");
    assert_eq!(
        redirect.hits(),
        1,
        "the granted origin answered the first request"
    );
    assert_eq!(other.hits(), 0, "the redirect target received a request");
}

#[cfg(unix)]
#[test]
fn files_outside_the_directory_cannot_be_read_or_written() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let secret = plant_secret(&home);
    let absolute = format!("read={}", secret.display());
    for attempt in [
        "read=../secret.txt",
        absolute.as_str(),
        "read=link-out",
        "read=relative-link-out",
        "read=/etc/passwd",
        "read=../../../../etc/passwd",
    ] {
        probe(&home, &server.url(), attempt, &[])
            .expect(STORAGE)
            .never_says("BREACH")
            .never_says("TOP-SECRET-CONTENT")
            .never_says("root:");
    }
    let escaped = home.root().join("escaped.txt");
    probe(&home, &server.url(), "write=../escaped.txt", &[])
        .expect(STORAGE)
        .never_says("BREACH");
    assert!(
        !escaped.exists(),
        "the component wrote outside its directory"
    );
    probe(
        &home,
        &server.url(),
        &format!("write={}", escaped.display()),
        &[],
    )
    .expect(STORAGE);
    assert!(
        !escaped.exists(),
        "the component wrote outside its directory"
    );
    assert_eq!(server.hits(), 0);
}

#[cfg(unix)]
#[test]
fn raw_filesystem_calls_cannot_leave_the_directory() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let secret = plant_secret(&home);
    let absolute = format!("open-at={}", secret.display());
    for attempt in [
        "open-at=../secret.txt",
        absolute.as_str(),
        "open-at=/etc/passwd",
        "open-at=link-out",
        "open-at=relative-link-out",
    ] {
        probe(&home, &server.url(), attempt, &[])
            .expect(STORAGE)
            .says("not-permitted")
            .never_says("BREACH")
            .never_says("TOP-SECRET-CONTENT");
    }
    home.write("inside.txt", "visible");
    probe(&home, &server.url(), "open-at=inside.txt", &[])
        .expect(OK)
        .says("BREACH: opened inside.txt: visible");
}

#[test]
fn stdin_is_closed_to_the_component() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    home.run_with(
        &[
            "--component",
            HOSTILE_COMPONENT,
            "--host",
            &server.url(),
            "request-otp",
            "--email",
            "stdin",
        ],
        Some("CANARY-STDIN\n"),
        &[],
    )
    .expect(UNAVAILABLE)
    .says("stdin is empty")
    .never_says("CANARY");
}

#[test]
fn status_grants_the_hosts_origin_not_the_one_the_component_names() {
    let granted = konecty();
    let other = CannedServer::json("200 OK", r#"{"logged":true}"#);
    let home = Home::new();
    home.write("steer.txt", &format!("{}/rest/auth/info", other.url()));
    home.run(&[
        "--component",
        HOSTILE_COMPONENT,
        "--host",
        &granted.url(),
        "status",
    ])
    .expect(UNAVAILABLE)
    .says("blocked by the sandbox")
    .never_says("BREACH");
    // Without --host, the host reads the default host from the files itself.
    home.write(".env", &format!("KONECTY_URL={}\n", granted.url()));
    home.run(&["--component", HOSTILE_COMPONENT, "status"])
        .expect(UNAVAILABLE)
        .never_says("BREACH");
    assert_eq!(
        other.hits(),
        0,
        "the origin named by the component received requests"
    );
}

#[test]
fn a_component_that_imports_sockets_is_refused_before_it_runs() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    home.run(&[
        "--component",
        SOCKETS_COMPONENT,
        "--host",
        &server.url(),
        "login-options",
    ])
    .expect(UNAVAILABLE)
    .says("refusing the component: it imports wasi:sockets/")
    .one_error_line();
    assert_eq!(server.hits(), 0);
}

#[test]
fn files_inside_the_directory_are_reachable() {
    // Guards the test above: the same probe succeeds inside the grant.
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    home.write("inside.txt", "visible");
    probe(&home, &server.url(), "read=inside.txt", &[])
        .expect(OK)
        .says("BREACH: read inside.txt: visible");
}

#[test]
fn the_environment_is_empty() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    probe(
        &home,
        &server.url(),
        "env",
        &[
            ("KONECTY_TOKEN", "CANARY-TOKEN"),
            ("AWS_SECRET_ACCESS_KEY", "CANARY-AWS"),
        ],
    )
    .expect(UNAVAILABLE)
    .says("no environment variables and no arguments")
    .never_says("CANARY");
}

#[test]
fn a_file_that_is_not_a_component_is_refused_clearly() {
    let home = Home::new();
    let bogus = home.root().join("bogus.wasm");
    std::fs::write(&bogus, b"not wasm at all").unwrap();
    home.run(&["--component", bogus.to_str().unwrap(), "login-options"])
        .expect(USAGE)
        .says("cannot load component")
        .one_error_line();
    home.run(&["--component", "/no/such/file.wasm", "login-options"])
        .expect(USAGE)
        .says("cannot load component");
}

#[test]
fn a_component_that_grows_past_the_memory_cap_is_stopped() {
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let one_gibibyte = format!("allocate={}", 1u64 << 30);
    probe(&home, &server.url(), &one_gibibyte, &[])
        .expect(UNAVAILABLE)
        .says("memory limit")
        .never_says("BREACH")
        .one_error_line();
    let json = home.run(&[
        "--json",
        "--component",
        HOSTILE_COMPONENT,
        "--host",
        &server.url(),
        "request-otp",
        "--email",
        &one_gibibyte,
    ]);
    json.expect(UNAVAILABLE);
    let error: serde_json::Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("expected a JSON error object ({e}), got {:?}", json.stdout));
    assert_eq!(
        error["error"]["kind"], "fault",
        "expected kind \"fault\", got {error}"
    );
    assert_eq!(server.hits(), 0, "the probe sends no request");
}

#[test]
fn a_component_may_use_memory_below_the_cap() {
    // Guards the test above: the probe itself works, and the cap (64 MiB) leaves room.
    let server = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    for bytes in [1usize << 20, 16 << 20] {
        probe(&home, &server.url(), &format!("allocate={bytes}"), &[])
            .expect(OK)
            .says(&format!("BREACH: allocated {bytes} bytes (last byte 1)"));
    }
}

/// `spin` runs wasm forever (the epoch deadline stops it); `block` waits in a host call that
/// never returns (the watchdog ends the process). Both end with the same one line, and the
/// directory lock is free afterwards.
#[test]
fn a_component_that_never_returns_is_stopped() {
    let server = CannedServer::json("200 OK", "{}");
    for probe in ["spin", "block"] {
        let home = Home::new();
        let started = std::time::Instant::now();
        let stuck = home.run(&[
            "--component",
            HOSTILE_COMPONENT,
            "--timeout",
            "1",
            "--host",
            &server.url(),
            "request-otp",
            "--email",
            probe,
        ]);
        let took = started.elapsed();
        stuck
            .expect(UNAVAILABLE)
            .says("was stopped after")
            .never_says("BREACH")
            .one_error_line();
        // --timeout 1 gives the whole call 3 x 1 s + 5 s (+ 2 s before the watchdog acts);
        // 30 s leaves room for a slow machine.
        assert!(
            took < std::time::Duration::from_secs(30),
            "expected `{probe}` to be stopped within 30 s, it ran for {took:?}"
        );
        // The lock died with the process: the next run gets the directory at once.
        home.run(&["--host", &server.url(), "status", "--offline"])
            .expect(REFUSED);
    }
}
