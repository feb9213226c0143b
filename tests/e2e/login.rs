//! `login` at a real pseudo-terminal, as a person runs it.

use crate::support::*;

/// A 6-digit code that is not `code`.
fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[test]
fn a_wrong_code_says_the_tries_left_then_the_right_one_logs_in() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Sent a 6-digit code to d***@example.com via email");
    pty.expect("It expires in about 5 minutes unless the namespace set otherwise");
    pty.expect("Code (r to resend): ");
    let code = server.code_for(EMAIL).expect("a code was issued");
    pty.send(wrong(&code));
    pty.expect("Wrong code: 2 tries left.");
    pty.expect("Code (r to resend): ");
    // As people copy it from a message: with a space in the middle.
    pty.send(&format!("{} {}", &code[..3], &code[3..]));
    pty.expect("Logged in to");
    let (exit, transcript) = pty.finish();
    assert_eq!(exit, OK, "login exited {exit}:\n{transcript}");
    let token = token_in(&home.read(".env"));
    assert!(
        !transcript.contains(&token) && !transcript.contains(EMAIL),
        "the terminal showed the token or the full email:\n{transcript}"
    );
    assert!(home.read("credentials").contains(&token));
}

#[test]
fn r_resends_and_a_rate_limit_says_how_long_to_wait() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Code (r to resend): ");
    let first = server.code_for(EMAIL).unwrap();
    // The server allows 5 requests a minute: the first one and four resends.
    for _ in 0..4 {
        pty.send("r");
        pty.expect("Sent a 6-digit code to d***@example.com");
        pty.expect("Code (r to resend): ");
    }
    pty.send("R");
    pty.expect("Too many codes requested: wait a minute and try again, then type r again.");
    pty.expect("Code (r to resend): ");
    let latest = server.code_for(EMAIL).unwrap();
    if latest != first {
        // A resend replaces the code: the first one no longer works.
        pty.send(&first);
        pty.expect("Wrong code: 2 tries left.");
    }
    pty.send(&format!("{}-{}", &latest[..3], &latest[3..]));
    pty.expect("Logged in to");
    let (exit, transcript) = pty.finish();
    assert_eq!(exit, OK, "login exited {exit}:\n{transcript}");
}

#[test]
fn three_wrong_codes_use_up_the_tries() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Code (r to resend): ");
    let code = server.code_for(EMAIL).unwrap();
    for left in [
        "2 tries left",
        "1 try left",
        "no tries left: type r for a new code",
    ] {
        pty.send(wrong(&code));
        pty.expect(left);
    }
    pty.send(&code);
    pty.expect("No tries left for this code: type r for a new one.");
    pty.send("r");
    pty.expect("Sent a 6-digit code");
    pty.expect("Code (r to resend): ");
    pty.send(&server.code_for(EMAIL).unwrap());
    pty.expect("Logged in to");
    assert_eq!(pty.finish().0, OK);
}

#[test]
fn without_a_recipient_it_asks_and_normalizes_a_typed_phone() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login"]);
    pty.expect("Email, or phone for WhatsApp: ");
    pty.send("not-an-email");
    pty.expect("That is neither an email nor a phone");
    pty.send("12ab34");
    pty.expect("That is neither an email nor a phone");
    pty.send("123");
    pty.expect("write it with its country code");
    pty.expect("Email, or phone for WhatsApp: ");
    pty.send("(11) 99999-9999");
    pty.expect("Sent a 6-digit code to +5511*****9999 via whatsapp");
    pty.expect("Code (r to resend): ");
    pty.send(
        &server
            .code_for(PHONE)
            .expect("the code went to the E.164 number"),
    );
    pty.expect("Logged in to");
    assert_eq!(pty.finish().0, OK);
}

#[test]
fn a_valid_stored_session_is_reported_not_repeated_unless_forced() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let sent_before = server.requests().len();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Already logged in to");
    // The hint keeps the --host this run was given.
    pty.expect(&format!(
        "konecty-session --host {} login --force",
        server.url()
    ));
    let (exit, transcript) = pty.finish();
    assert_eq!(exit, OK, "{transcript}");
    let asked: Vec<_> = server.requests()[sent_before..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert!(
        !asked.iter().any(|p| p.contains("request-otp")),
        "no code may be requested: {asked:?}"
    );

    let mut pty = home.run_in_pty(&[
        "--host",
        &server.url(),
        "login",
        "--force",
        "--email",
        EMAIL,
    ]);
    pty.expect("Code (r to resend): ");
    pty.send(&server.code_for(EMAIL).unwrap());
    pty.expect("Logged in to");
    assert_eq!(pty.finish().0, OK);
}

#[test]
fn without_a_terminal_it_exits_2_and_points_to_the_two_steps() {
    let server = konecty();
    let home = Home::new();
    home.run(&["--host", &server.url(), "login", "--email", EMAIL])
        .expect(USAGE)
        .says("request-otp")
        .says("verify-otp --otp-stdin")
        .one_error_line();
    assert!(
        server.requests().is_empty(),
        "nothing may be sent: {:?}",
        server.requests()
    );
}

#[test]
fn login_json_is_one_object_after_the_questions() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--json", "--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Code (r to resend): ");
    pty.send(&server.code_for(EMAIL).unwrap());
    let (exit, transcript) = pty.finish();
    assert_eq!(exit, OK, "{transcript}");
    let last = transcript.lines().last().unwrap_or_default();
    let result: serde_json::Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {transcript}"));
    assert_eq!(result["user"]["id"], "devUser0000000001", "{result}");
    assert_eq!(result["saved"]["credentialsFile"], true, "{result}");

    let mut pty = home.run_in_pty(&["--json", "--host", &server.url(), "login"]);
    pty.expect("alreadyLoggedIn");
    let (exit, transcript) = pty.finish();
    assert_eq!(exit, OK, "{transcript}");
    let result: serde_json::Value =
        serde_json::from_str(transcript.trim()).unwrap_or_else(|e| panic!("{e}: {transcript}"));
    assert_eq!(result["alreadyLoggedIn"], true, "{result}");
}
