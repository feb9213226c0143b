//! Which addresses the binary will talk to: plain http only to loopback unless the user
//! says `--allow-insecure-http`, and a name never leads to an internal address (loopback,
//! private, link-local, metadata …), whether it came from DNS or `--resolve`. Addresses the
//! user typed as IP literals, and `localhost`, are the user's own choice.
//!
//! Only 127.0.0.1 is ever listened on; the other addresses must be refused before any
//! connection, and `--timeout 2` bounds the damage if one is not.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use crate::support::*;

/// The name the tests give the server; `--resolve` decides where it points.
const NAME: &str = "konecty.test";

fn options_server() -> CannedServer {
    CannedServer::json(
        "200 OK",
        r#"{"passwordEnabled":true,"emailOtpEnabled":true,"whatsAppOtpEnabled":false}"#,
    )
}

/// `login-options` against `host` with `NAME` resolved to `address`, after `flags`.
fn login_options(home: &Home, host: &str, address: &str, flags: &[&str]) -> Outcome {
    let resolve = format!("{NAME}={address}");
    let mut args = vec!["--timeout", "2", "--resolve", &resolve];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--host", host, "login-options"]);
    home.run(&args)
}

/// Asserts a `--json` run was refused as `denied`, naming `address` and `class`.
#[track_caller]
fn assert_denied(outcome: &Outcome, address: &str, class: &str) {
    outcome.expect(UNAVAILABLE);
    let error = json_error(outcome);
    let message = error["message"].as_str().unwrap_or_default();
    assert_eq!(
        error["kind"], "denied",
        "expected kind \"denied\" for {address}, got {error}"
    );
    assert!(
        message.contains(address) && message.contains(class),
        "expected the message to name {address} and \"{class}\", got {message:?}"
    );
}

#[track_caller]
fn assert_warned_unencrypted(outcome: &Outcome) {
    assert!(
        outcome
            .stderr
            .lines()
            .any(|l| l.contains("warning:") && l.contains("not encrypted")),
        "expected a \"warning: … not encrypted\" line on stderr, got {:?}",
        outcome.stderr
    );
}

#[test]
fn plain_http_to_a_host_that_is_not_loopback_needs_the_flag() {
    let server = options_server();
    let home = Home::new();
    let named = format!("http://{NAME}:{}", server.port());
    login_options(&home, &named, "127.0.0.1", &[])
        .expect(USAGE)
        .says("--allow-insecure-http")
        .one_error_line();
    let usage = json_error(login_options(&home, &named, "127.0.0.1", &["--json"]).expect(USAGE));
    assert_eq!(
        usage["kind"], "usage",
        "expected kind \"usage\", got {usage}"
    );
    // An IP literal is no exemption from encryption: only loopback is. 192.0.2.1 is
    // TEST-NET-1, which leads nowhere should the binary try.
    let literal = format!("http://192.0.2.1:{}", server.port());
    login_options(&home, &literal, "127.0.0.1", &[])
        .expect(USAGE)
        .says("--allow-insecure-http")
        .one_error_line();
    assert_eq!(server.hits(), 0, "a refused request reached the server");
}

#[test]
fn with_the_flag_a_name_resolving_to_loopback_is_still_denied() {
    let server = options_server();
    let home = Home::new();
    let named = format!("http://{NAME}:{}", server.port());

    let text = login_options(&home, &named, "127.0.0.1", &["--allow-insecure-http"]);
    text.expect(UNAVAILABLE);
    assert_warned_unencrypted(&text);
    let errors: Vec<&str> = text
        .stderr
        .lines()
        .filter(|l| !l.contains("warning:"))
        .collect();
    assert!(
        errors.len() == 1 && errors[0].contains("127.0.0.1") && errors[0].contains("loopback"),
        "expected one error line naming 127.0.0.1 and \"loopback\" besides the warning, got {:?}",
        text.stderr
    );

    let json = login_options(
        &home,
        &named,
        "127.0.0.1",
        &["--allow-insecure-http", "--json"],
    );
    assert_denied(&json, "127.0.0.1", "loopback");
    assert_warned_unencrypted(&json);
    assert_eq!(
        server.hits(),
        0,
        "the server behind the denied address received a connection"
    );
}

#[test]
fn names_resolving_to_internal_addresses_are_denied_with_their_class() {
    // The server listens on the loopback entries' port, to prove they never connect.
    let server = options_server();
    let home = Home::new();
    let named = format!("http://{NAME}:{}", server.port());
    // (what --resolve says, the address the message names, its class)
    let internal = [
        ("127.0.0.1", "127.0.0.1", "loopback"),
        ("127.8.9.10", "127.8.9.10", "loopback"),
        ("::1", "::1", "loopback"),
        ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),
        ("10.1.2.3", "10.1.2.3", "private"),
        ("172.16.5.4", "172.16.5.4", "private"),
        ("192.168.0.1", "192.168.0.1", "private"),
        ("::ffff:192.168.0.1", "192.168.0.1", "private"),
        ("169.254.169.254", "169.254.169.254", "metadata"),
        ("fd00:ec2::254", "fd00:ec2::254", "metadata"),
        ("169.254.1.1", "169.254.1.1", "link-local"),
        ("fe80::1", "fe80::1", "link-local"),
        ("100.64.0.1", "100.64.0.1", "shared"),
        ("fd00::1", "fd00::1", "unique-local"),
        ("0.0.0.0", "0.0.0.0", "unspecified"),
    ];
    for (resolved, address, class) in internal {
        let outcome = login_options(
            &home,
            &named,
            resolved,
            &["--allow-insecure-http", "--json"],
        );
        assert_denied(&outcome, address, class);
    }
    assert_eq!(
        server.hits(),
        0,
        "the server behind a denied address received a connection"
    );
}

#[test]
fn https_names_are_checked_the_same_way() {
    let server = options_server();
    let home = Home::new();
    let private = login_options(&home, &format!("https://{NAME}"), "10.0.0.1", &["--json"]);
    assert_denied(&private, "10.0.0.1", "private");
    let loopback = login_options(
        &home,
        &format!("https://{NAME}:{}", server.port()),
        "127.0.0.1",
        &["--json"],
    );
    assert_denied(&loopback, "127.0.0.1", "loopback");
    for outcome in [&private, &loopback] {
        outcome.never_says("not encrypted");
    }
    assert_eq!(
        server.hits(),
        0,
        "the server behind the denied address received a connection"
    );
}

#[test]
fn a_loopback_literal_needs_no_flag_and_gets_no_warning() {
    let server = konecty();
    let home = Home::new();
    let outcome = home.run(&["--host", &server.url(), "login-options"]);
    outcome
        .expect(OK)
        .says("email code:")
        .never_says("warning:")
        .never_says("not encrypted");
    assert_eq!(
        server.requests().len(),
        1,
        "expected one request to reach the dev server"
    );
}

#[test]
fn localhost_is_exempt_while_it_is_loopback() {
    let server = konecty();
    let port = server.addr().port();
    // The dev server listens on 127.0.0.1 only: the test means something only where
    // localhost resolves there.
    let local = ("localhost", port)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect::<Vec<_>>())
        .unwrap_or_default();
    if !local.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)) {
        eprintln!("skipped: localhost does not resolve to 127.0.0.1 here (it gives {local:?})");
        return;
    }
    let home = Home::new();
    home.run(&[
        "--host",
        &format!("http://localhost:{port}"),
        "login-options",
    ])
    .expect(OK)
    .says("email code:")
    .never_says("warning:")
    .never_says("not encrypted");
    assert_eq!(
        server.requests().len(),
        1,
        "expected one request to reach the dev server through localhost"
    );

    // Pointed elsewhere, localhost is refused: it means this machine, whatever the flags.
    let resolve = "localhost=10.1.2.3";
    let elsewhere = home.run(&[
        "--json",
        "--timeout",
        "2",
        "--allow-insecure-http",
        "--resolve",
        resolve,
        "--host",
        &format!("http://localhost:{port}"),
        "login-options",
    ]);
    assert_denied(&elsewhere, "10.1.2.3", "which is not this machine");

    // Nor may it lead off this machine, where plain http would need the flag.
    let public = home.run(&[
        "--json",
        "--resolve",
        "localhost=8.8.8.8",
        "--host",
        &format!("http://localhost:{port}"),
        "login-options",
    ]);
    assert_denied(&public, "8.8.8.8", "not this machine");
}

#[test]
fn a_host_url_with_a_password_is_refused_without_echoing_it() {
    let home = Home::new();
    home.run(&[
        "--host",
        "https://ana:s3cret-pass@app.konecty.com",
        "login-options",
    ])
    .expect(USAGE)
    .says("user name or password")
    .never_says("s3cret-pass")
    .one_error_line();
}

#[test]
fn commands_that_send_nothing_need_no_encryption() {
    let home = Home::new();
    home.write(
        ".env",
        "KONECTY_URL=http://konecty.test\nKONECTY_TOKEN=dG9rZW4tZm9yLXRlc3Rz\n",
    );
    home.run(&["token"])
        .expect(OK)
        .says("dG9rZW4tZm9yLXRlc3Rz")
        .never_says("not encrypted");
    home.run(&["status", "--offline"])
        .expect(OK)
        .never_says("not encrypted");
    // Asking the server is another matter.
    home.run(&["status"])
        .expect(USAGE)
        .says("--allow-insecure-http");
}
