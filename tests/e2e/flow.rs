//! The OTP flow through the real binary: happy paths, every answer the server can give,
//! status and logout.

use std::time::Duration;

use konecty_session::dev_server::DevServerConfig;

use crate::support::*;

#[test]
fn email_login_saves_a_session_that_status_confirms() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();

    home.run(&["--host", &host, "login-options"])
        .expect(OK)
        .says("email code:    enabled");
    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(OK)
        .says("via email")
        .never_says(EMAIL);
    let code = server.code_for(EMAIL).unwrap();
    let verified = home.verify_from_stdin(&host, &format!("{code}\n"));
    verified
        .expect(OK)
        .says("Logged in to")
        .says("Dev User")
        .never_says(&code)
        .never_says(EMAIL);

    let token = token_in(&home.read(".env"));
    assert_eq!(
        token.len(),
        44,
        "expected a 44-character token, got {token:?}"
    );
    verified.never_says(&token);
    home.run(&["--host", &host, "status"])
        .expect(OK)
        .says("Dev User")
        .never_says(&token);

    let seen = server.requests();
    let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/api/auth/login-options",
            "/api/auth/login-options",
            "/api/auth/request-otp",
            "/api/auth/verify-otp",
            "/rest/auth/info"
        ],
        "unexpected request sequence"
    );
    assert_eq!(seen[2].body, format!(r#"{{"email":"{EMAIL}"}}"#));
    assert!(
        seen[3].body.starts_with(&format!(
            r#"{{"email":"{EMAIL}","otpCode":"{code}","source":"#
        )),
        "verify-otp body: {}",
        seen[3].body
    );
    assert_eq!(
        seen[4].authorization.as_deref(),
        Some(token.as_str()),
        "status sends the raw token"
    );
}

#[test]
fn phone_login_uses_whatsapp_and_the_otp_flag() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    home.run(&["request-otp", "--phone", PHONE, "--host", &host])
        .expect(OK)
        .says("via whatsapp")
        .never_says(PHONE);
    let code = server.code_for(PHONE).unwrap();
    home.run(&[
        "verify-otp",
        "--phone",
        PHONE,
        "--otp",
        &code,
        "--host",
        &host,
    ])
    .expect(OK)
    .never_says(PHONE);
    let seen = server.requests();
    assert!(
        seen.last()
            .unwrap()
            .body
            .starts_with(&format!(r#"{{"phoneNumber":"{PHONE}","otpCode":"{code}","#)),
        "verify-otp body: {}",
        seen.last().unwrap().body
    );
    assert!(
        home.read("credentials").contains("authId = "),
        "credentials has the token"
    );
}

#[test]
fn host_comes_from_konecty_url_when_not_given() {
    let server = konecty();
    let home = Home::new();
    home.run_with(&["login-options"], None, &[("KONECTY_URL", &server.url())])
        .expect(OK);
    assert_eq!(
        server.requests().len(),
        1,
        "the request went to KONECTY_URL"
    );
}

#[test]
fn otp_disabled_stops_before_asking_for_a_code() {
    let server = konecty_with(DevServerConfig {
        email_otp: false,
        whatsapp_otp: false,
        ..Default::default()
    });
    let home = Home::new();
    let host = server.url();
    home.run(&["--host", &host, "login-options"])
        .expect(REFUSED)
        .says("no OTP login enabled");
    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(REFUSED)
        .says("no OTP login enabled")
        .one_error_line();
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.path == "/api/auth/login-options"),
        "no code may be requested when OTP is off: {:?}",
        server.requests()
    );
}

#[test]
fn a_disabled_channel_points_to_the_other_one() {
    let server = konecty_with(DevServerConfig {
        email_otp: false,
        ..Default::default()
    });
    let home = Home::new();
    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(REFUSED)
        .says("WhatsApp only");
}

#[test]
fn wrong_code_is_refused_and_the_right_one_still_works() {
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    home.verify(&server.url(), wrong, &[])
        .expect(REFUSED)
        .says("Invalid OTP code")
        .one_error_line();
    assert!(!home.file(".env").exists(), "a refused code writes nothing");
    home.verify(&server.url(), &code, &[]).expect(OK);
}

#[test]
fn an_expired_code_is_refused() {
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    server.advance_clock(Duration::from_secs(5 * 60 + 1));
    home.verify(&server.url(), &code, &[])
        .expect(REFUSED)
        .says("OTP not found or expired");
}

#[test]
fn three_wrong_tries_lock_the_code() {
    let server = konecty();
    let home = Home::new();
    let code = home.request_code(&server);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        home.verify(&server.url(), wrong, &[])
            .expect(REFUSED)
            .says("Invalid OTP code");
    }
    home.verify(&server.url(), &code, &[])
        .expect(REFUSED)
        .says("Maximum verification attempts exceeded");
}

#[test]
fn the_sixth_request_in_a_minute_is_rate_limited() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    for _ in 0..5 {
        home.run(&["--host", &host, "request-otp", "--email", EMAIL])
            .expect(OK);
    }
    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(REFUSED)
        .says("Too many requests. Please try again later. (HTTP 429)")
        .one_error_line();
}

#[test]
fn an_unknown_user_gets_the_servers_portuguese_message() {
    let server = konecty();
    let home = Home::new();
    home.run(&[
        "--host",
        &server.url(),
        "request-otp",
        "--email",
        "nobody@example.com",
    ])
    .expect(REFUSED)
    .says("Não foi possível enviar o código de verificação")
    .says("HTTP 404")
    .never_says("nobody@example.com");
}

#[test]
fn an_html_502_is_a_server_fault() {
    let proxy = CannedServer::answer(
        "502 Bad Gateway",
        "text/html",
        "<html><h1>502 Bad Gateway</h1></html>",
    );
    let home = Home::new();
    home.run(&["--host", &proxy.url(), "login-options"])
        .expect(UNAVAILABLE)
        .says("HTTP 502")
        .one_error_line();
    home.verify(&proxy.url(), "123456", &[])
        .expect(UNAVAILABLE)
        .says("HTTP 502");
}

#[test]
fn truncated_json_is_a_bad_response() {
    let server = CannedServer::json("200 OK", r#"{"success": true, "authId": "abc"#);
    let home = Home::new();
    home.verify(&server.url(), "123456", &[])
        .expect(UNAVAILABLE)
        .says("cut short")
        .one_error_line();
    home.run(&["--host", &server.url(), "login-options"])
        .expect(UNAVAILABLE)
        .says("cut short");
    assert!(
        !home.file(".env").exists(),
        "nothing is written after a bad response"
    );
}

#[test]
fn an_empty_body_is_a_bad_response() {
    let server = CannedServer::json("200 OK", "");
    let home = Home::new();
    home.run(&["--host", &server.url(), "login-options"])
        .expect(UNAVAILABLE)
        .says("empty")
        .one_error_line();
    home.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
        .expect(UNAVAILABLE)
        .says("empty");
}

#[test]
fn a_token_that_could_inject_shell_code_is_refused() {
    let body =
        r#"{"success":true,"logged":true,"authId":"$(touch /tmp/pwned)","user":{"_id":"u1"}}"#;
    let server = CannedServer::json("200 OK", body);
    let home = Home::new();
    home.verify(&server.url(), "123456", &[])
        .expect(UNAVAILABLE)
        .says("unexpected shape");
    assert!(!home.file(".env").exists(), "nothing is written");
}

#[test]
fn an_unreachable_server_is_a_network_fault() {
    let home = Home::new();
    let host = format!("http://127.0.0.1:{}", closed_port());
    home.run(&["--host", &host, "login-options"])
        .expect(UNAVAILABLE)
        .says("could not reach")
        .one_error_line();
}

#[test]
fn a_redirect_is_not_followed() {
    let elsewhere = CannedServer::json("200 OK", r#"{"emailOtpEnabled":true}"#);
    let redirect = CannedServer::start(format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/api/auth/login-options\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        elsewhere.url()
    ));
    let home = Home::new();
    home.run(&["--host", &redirect.url(), "login-options"])
        .expect(UNAVAILABLE)
        .says("redirects are not followed");
    assert_eq!(
        elsewhere.hits(),
        0,
        "the redirect target must receive nothing"
    );
}

#[test]
fn status_says_when_the_server_forgot_the_session() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    server.expire_sessions();
    home.run(&["--host", &server.url(), "status"])
        .expect(REFUSED)
        .says("no longer accepts");
}

#[test]
fn status_without_a_session_exits_1_and_sends_nothing() {
    let server = konecty();
    let home = Home::new();
    home.run(&["--host", &server.url(), "status"])
        .expect(REFUSED)
        .says("Not logged in");
    assert!(
        server.requests().is_empty(),
        "nothing to check, nothing sent"
    );
}

#[test]
fn status_and_logout_find_the_default_host_on_their_own() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    home.run(&["status"]).expect(OK).says(&server.url());
    home.run(&["logout"])
        .expect(OK)
        .says("revoked on the server");
}

#[test]
fn logout_revokes_and_removes_only_the_token() {
    let server = konecty();
    let home = Home::new();
    let token = home.login(&server);
    let host = server.url();
    home.run(&["--host", &host, "logout"])
        .expect(OK)
        .says("revoked on the server")
        .never_says(&token);
    let last = server.requests().pop().unwrap();
    assert_eq!(
        (last.path.as_str(), last.authorization.as_deref()),
        ("/rest/auth/logout", Some(token.as_str()))
    );

    let env = home.read(".env");
    let credentials = home.read("credentials");
    assert!(
        !env.contains("KONECTY_TOKEN") && !credentials.contains("authId"),
        "token left behind:\n{env}\n{credentials}"
    );
    assert!(
        env.contains(&format!("KONECTY_URL={host}")) && credentials.contains("userId = "),
        "other keys kept"
    );
    home.run(&["--host", &host, "status"]).expect(REFUSED);
    home.run(&["--host", &host, "logout"])
        .expect(OK)
        .says("nothing to log out");
}

#[test]
fn logout_still_clears_a_token_the_server_no_longer_knows() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    server.expire_sessions();
    home.run(&["--host", &server.url(), "logout"])
        .expect(OK)
        .says("User not found");
    assert!(
        !home.read(".env").contains("KONECTY_TOKEN"),
        "the stale token is removed"
    );
}

#[test]
fn the_demo_runs_the_whole_flow_and_hides_secrets() {
    let home = Home::new();
    let demo = home.run(&["demo"]);
    demo.expect(OK)
        .says("KONECTY_TOKEN=<hidden>")
        .says("authId = <hidden>")
        .says("Done");
    for line in demo.stdout.lines().filter(|l| {
        let key = l.trim_start_matches("export ");
        key.starts_with("KONECTY_TOKEN") || key.starts_with("authId")
    }) {
        assert!(
            line.ends_with("=<hidden>") || line.ends_with("= <hidden>"),
            "the demo showed a token: {line:?}"
        );
    }
    assert!(!home.dir().exists(), "the demo leaves ~/.konecty alone");
}

#[test]
fn an_empty_konecty_url_counts_as_unset() {
    let home = Home::new();
    home.run_with(&["status"], None, &[("KONECTY_URL", "")])
        .expect(REFUSED)
        .says("http://localhost:3000");
}
