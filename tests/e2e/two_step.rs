//! The agent's way: request-otp now, verify-otp in a later turn, the code never in argv.

use crate::support::*;

#[test]
fn verify_may_leave_out_the_recipient_while_the_request_is_fresh() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    home.run(&[
        "--host",
        &host,
        "request-otp",
        "--phone",
        "+55 (11) 99999-9999",
    ])
    .expect(OK)
    .says("+5511*****9999 via whatsapp")
    .says("verify-otp --otp-stdin");
    let pending = home.read("pending-otp");
    let code = server
        .code_for(PHONE)
        .expect("the code went to the E.164 number");
    assert!(
        pending.contains(&format!("[{host}]\nphone = {PHONE}\nrequestedAt = ")),
        "pending-otp: {pending}"
    );
    assert!(
        !pending.contains(&code),
        "the code must not be stored: {pending}"
    );
    assert_eq!(mode(&home.file("pending-otp")), 0o600);

    home.run_with(
        &["--host", &host, "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    )
    .expect(OK)
    .says("Logged in to");
    assert!(
        !home.file("pending-otp").exists(),
        "a spent request is forgotten"
    );
    let bodies: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("verify-otp"))
        .map(|r| r.body)
        .collect();
    assert!(
        bodies
            .iter()
            .all(|b| b.contains(&format!("\"phoneNumber\":\"{PHONE}\""))),
        "verify-otp must name the remembered phone: {bodies:?}"
    );
}

#[test]
fn a_stale_or_missing_request_is_refused_before_sending() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    home.run_with(
        &["--host", &host, "verify-otp", "--otp-stdin"],
        Some("123456"),
        &[],
    )
    .expect(USAGE)
    .says("no code was requested for")
    .says("--email or --phone")
    .one_error_line();
    home.write(
        "pending-otp",
        &format!("[{host}]\nemail = {EMAIL}\nrequestedAt = 2020-01-01T00:00:00Z\n"),
    );
    home.run_with(
        &["--host", &host, "verify-otp", "--otp-stdin"],
        Some("123456"),
        &[],
    )
    .expect(USAGE)
    .says("in the last hour");
    assert!(server.requests().is_empty(), "sent {:?}", server.requests());
}

#[test]
fn the_code_may_come_from_konecty_otp_or_with_separators() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(OK);
    let code = server.code_for(EMAIL).unwrap();
    home.run_with(
        &["--host", &host, "verify-otp"],
        None,
        &[("KONECTY_OTP", &code)],
    )
    .expect(OK);

    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(OK);
    let code = server.code_for(EMAIL).unwrap();
    let spaced = format!("{} {}\n", &code[..3], &code[3..]);
    home.run_with(
        &[
            "--host",
            &host,
            "verify-otp",
            "--email",
            EMAIL,
            "--otp-stdin",
        ],
        Some(&spaced),
        &[],
    )
    .expect(OK);

    home.run(&["--host", &host, "verify-otp"])
        .expect(USAGE)
        .says("KONECTY_OTP");
}

#[test]
fn verify_labels_the_session_with_source_and_a_stable_fingerprint() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    home.login(&server);
    let labels: Vec<serde_json::Value> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("verify-otp"))
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(labels.len(), 2);
    for body in &labels {
        let source = body["source"].as_str().unwrap_or_default();
        assert!(source.starts_with("konecty-session/"), "source: {body}");
        let fingerprint = body["fingerprint"].as_str().unwrap_or_default();
        assert!(
            fingerprint.len() == 32 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
            "fingerprint: {body}"
        );
    }
    assert_eq!(
        labels[0]["fingerprint"], labels[1]["fingerprint"],
        "not stable"
    );
    let request_bodies: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("request-otp"))
        .map(|r| r.body)
        .collect();
    assert!(
        request_bodies.iter().all(|b| !b.contains("fingerprint")),
        "only verify-otp carries the label: {request_bodies:?}"
    );
}

#[test]
fn verbose_logs_each_request_and_never_a_secret() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    let sent = home.run(&[
        "--host",
        &host,
        "--verbose",
        "request-otp",
        "--email",
        EMAIL,
    ]);
    sent.expect(OK);
    let code = server.code_for(EMAIL).unwrap();
    let verified = home.run_with(
        &["--host", &host, "-v", "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    );
    verified.expect(OK);
    let token = token_in(&home.read(".env"));
    let status = home.run_with(
        &["--host", &host, "status"],
        None,
        &[("KONECTY_LOG", "debug")],
    );
    status.expect(OK);
    let logout = home.run(&["--host", &host, "logout", "--verbose"]);
    logout.expect(OK);

    assert!(
        sent.stderr.contains("POST /api/auth/request-otp 200 ")
            && sent.stderr.contains("GET /api/auth/login-options 200 "),
        "request-otp log: {}",
        sent.stderr
    );
    assert!(
        verified.stderr.contains("POST /api/auth/verify-otp 200 "),
        "{}",
        verified.stderr
    );
    assert!(
        status.stderr.contains("GET /rest/auth/info 200 "),
        "{}",
        status.stderr
    );
    assert!(
        logout.stderr.contains("GET /rest/auth/logout 200 "),
        "{}",
        logout.stderr
    );
    for line in [
        &sent.stderr,
        &verified.stderr,
        &status.stderr,
        &logout.stderr,
    ]
    .iter()
    .flat_map(|s| s.lines())
    {
        assert!(
            line.ends_with(" ms"),
            "one line per request, ending in ms: {line:?}"
        );
    }
    for run in [&sent, &verified, &status, &logout] {
        for secret in [token.as_str(), code.as_str(), EMAIL] {
            assert!(
                !run.stderr.contains(secret),
                "a secret reached the log: {}",
                run.stderr
            );
        }
    }
    for run in [&sent, &verified, &logout] {
        for secret in [token.as_str(), code.as_str(), EMAIL] {
            assert!(
                !run.stdout.contains(secret),
                "a secret reached the output: {}",
                run.stdout
            );
        }
    }

    // The same for a phone, typed as people do.
    let by_phone = home.run(&[
        "--host",
        &host,
        "-v",
        "request-otp",
        "--phone",
        "(11) 99999-9999",
    ]);
    by_phone.expect(OK);
    let code = server.code_for(PHONE).unwrap();
    let verified = home.run_with(
        &["--host", &host, "-v", "--json", "verify-otp", "--otp-stdin"],
        Some(&code),
        &[],
    );
    verified.expect(OK);
    let token = token_in(&home.read(".env"));
    for run in [&by_phone, &verified] {
        assert!(
            run.stderr.contains("/api/auth/"),
            "no request logged: {}",
            run.stderr
        );
        for secret in [
            token.as_str(),
            code.as_str(),
            PHONE,
            "99999-9999",
            "11999999999",
        ] {
            assert!(
                !run.stderr.contains(secret) && !run.stdout.contains(secret),
                "{secret:?} was shown:\nstdout: {}\nstderr: {}",
                run.stdout,
                run.stderr
            );
        }
    }
}
