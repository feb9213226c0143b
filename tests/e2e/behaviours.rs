//! Konecty's real behaviours the tool follows: a code lifetime the namespace may change, old
//! sessions closed by the user's next login, `login` as "make sure I am logged in", and the
//! User-Agent every request carries.

use std::time::{Duration, SystemTime};

use konecty_session::dev_server::DevServerConfig;

use crate::support::*;

/// Moves the pending request for `EMAIL` back by `by`, as if it had been made earlier.
fn age_pending_request(home: &Home, by: Duration) {
    let earlier = humantime::format_rfc3339_seconds(SystemTime::now() - by).to_string();
    let text = with_line(
        &home.read("pending-otp"),
        "requestedAt",
        &format!("requestedAt = {earlier}"),
    );
    home.write("pending-otp", &text);
}

#[test]
fn the_code_lifetime_is_never_stated_as_fact_and_the_server_decides_when_it_ended() {
    // A namespace whose codes live 10 minutes.
    let server = konecty_with(DevServerConfig {
        code_lifetime: Duration::from_secs(10 * 60),
        ..DevServerConfig::default()
    });
    let home = Home::new();
    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(OK)
        .says("It expires in about 5 minutes unless the namespace set otherwise (around ");
    let code = server.code_for(EMAIL).unwrap();
    // Six minutes later the code still lives there, and the remembered request still names
    // its recipient.
    server.advance_clock(Duration::from_secs(6 * 60));
    age_pending_request(&home, Duration::from_secs(6 * 60));
    home.run_with(
        &["--host", &server.url(), "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(OK)
    .says("Verified the code sent to d***@example.com");

    // With the default five minutes, the server says the code expired; the tool relays it.
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    server.advance_clock(Duration::from_secs(6 * 60));
    age_pending_request(&home, Duration::from_secs(6 * 60));
    home.run_with(
        &["--host", &server.url(), "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(REFUSED)
    .says("OTP not found or expired");
}

#[test]
fn a_session_older_than_a_day_is_said_to_be_closable_by_the_next_login() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let status: serde_json::Value =
        serde_json::from_str(&home.run(&["status", "--offline", "--json"]).stdout).unwrap();
    assert_eq!(status["mayBeClosedByNextLogin"], false, "{status}");

    let two_days_ago = humantime::format_rfc3339_seconds(
        SystemTime::now() - Duration::from_secs(2 * 24 * 60 * 60),
    )
    .to_string();
    let credentials = with_line(
        &home.read("credentials"),
        "issuedAt",
        &format!("issuedAt = {two_days_ago}"),
    );
    home.write("credentials", &credentials);
    home.write(".env", ""); // the token from credentials, which carries issuedAt
    home.run(&["--host", &server.url(), "status"])
        .expect(OK)
        .says("this user's next login anywhere (a browser included) may close it");
    let status: serde_json::Value = serde_json::from_str(
        &home
            .run(&["--host", &server.url(), "status", "--json"])
            .stdout,
    )
    .unwrap();
    assert_eq!(status["mayBeClosedByNextLogin"], true, "{status}");
}

#[test]
fn login_without_a_terminal_answers_when_a_valid_session_exists() {
    let server = konecty();
    let home = Home::new();
    let url = server.url();
    home.run(&["--host", &url, "login"])
        .expect(USAGE)
        .says("use the two steps")
        .one_error_line();
    home.login(&server);
    home.run(&["--host", &url, "login"])
        .expect(OK)
        .says("Already logged in");
    let json: serde_json::Value =
        serde_json::from_str(&home.run(&["--host", &url, "login", "--json"]).stdout).unwrap();
    assert_eq!(json["alreadyLoggedIn"], true, "{json}");
    // Once the server forgets the session, it is the two steps again.
    server.expire_sessions();
    home.run(&["--host", &url, "login"]).expect(USAGE);
}

#[test]
fn every_request_says_which_program_sends_it() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    home.run(&["status"]).expect(OK);
    // A component's own requests carry it too: the host sets it.
    hostile_probe(
        &home,
        &server.url(),
        &format!("other-origin={}/x", server.url()),
        &[],
    );
    let expected = concat!("konecty-session/", env!("CARGO_PKG_VERSION"));
    let seen = server.requests();
    assert!(seen.len() >= 4, "{seen:?}");
    for request in seen {
        assert_eq!(
            request.user_agent.as_deref(),
            Some(expected),
            "{} {}",
            request.method,
            request.path
        );
    }
}

#[test]
fn a_namespace_that_wants_the_location_gets_it_and_is_explained_when_it_was_missing() {
    let server = konecty_with(DevServerConfig {
        require_geolocation: true,
        ..DevServerConfig::default()
    });
    let home = Home::new();
    let url = server.url();
    // Without it: the server used the code up, and the line says so and what to do.
    let code = home.request_code(&server);
    home.run_with(
        &["--host", &url, "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(REFUSED)
    .says("the server has used the code up: request a new code, then verify with --geolocation")
    .one_error_line();
    assert!(
        server.code_for(EMAIL).is_none(),
        "the fake server consumed the code, as Konecty does"
    );
    // Out of range: refused before anything is sent.
    let sent = server.requests().len();
    for bad in ["91,0", "0,-181", "north,east", "1"] {
        home.run_with(
            &[
                "--host",
                &url,
                "verify-otp",
                "--otp-stdin",
                &format!("--geolocation={bad}"),
            ],
            Some("123456"),
            &[],
        )
        .expect(USAGE)
        .says("LAT,LON");
    }
    assert_eq!(
        server.requests().len(),
        sent,
        "nothing may be sent for a bad location"
    );
    // With it, sent as {"longitude", "latitude"}.
    let code = home.request_code(&server);
    home.run_with(
        &[
            "--host",
            &url,
            "verify-otp",
            "--otp-stdin",
            "--geolocation",
            "-23.55,-46.63",
        ],
        Some(&code),
        &[],
    )
    .expect(OK);
    let verify = server
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/api/auth/verify-otp")
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&verify.body).unwrap();
    assert_eq!(
        body["geolocation"],
        serde_json::json!({"longitude": -46.63, "latitude": -23.55}),
        "{body}"
    );
}
