//! Bad input is refused with exit 2 before anything is sent.

use crate::support::*;

/// Runs `args` against a fresh fake Konecty and asserts exit 2 and no request at all.
#[track_caller]
fn refused_before_sending(args: &[&str], stdin: Option<&str>, why: &str) {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    let mut all = vec!["--host", host.as_str()];
    all.extend_from_slice(args);
    home.run_with(&all, stdin, &[])
        .expect(USAGE)
        .says(why)
        .one_error_line();
    assert!(
        server.requests().is_empty(),
        "{args:?} sent {:?}",
        server.requests()
    );
    assert!(
        !home.file(".env").exists() && !home.file("credentials").exists(),
        "{args:?} wrote files"
    );
}

#[test]
fn malformed_emails_are_refused() {
    for email in [
        "",
        "dev",
        "dev@example",
        "dev@@example.com",
        "dev @example.com",
        "dev@example.com\n",
        "@example.com",
    ] {
        refused_before_sending(
            &["request-otp", "--email", email],
            None,
            "email must look like",
        );
        refused_before_sending(
            &["verify-otp", "--email", email, "--otp", "123456"],
            None,
            "email must look like",
        );
    }
}

#[test]
fn phones_that_cannot_be_made_e164_are_refused() {
    for phone in [
        "5511999999999",
        "999999999",
        "+0511999999999",
        "+1234567890123456",
        "+",
        "11 9999a-9999",
    ] {
        refused_before_sending(&["request-otp", "--phone", phone], None, "phone");
        refused_before_sending(
            &["verify-otp", "--phone", phone, "--otp", "123456"],
            None,
            "country code",
        );
    }
}

#[test]
fn codes_that_are_not_six_digits_are_refused() {
    for code in ["12345", "1234567", "12a456", "12 456", "１２３４５６"] {
        refused_before_sending(
            &["verify-otp", "--email", EMAIL, "--otp", code],
            None,
            "code must be 6 digits",
        );
    }
    refused_before_sending(
        &["verify-otp", "--email", EMAIL, "--otp-stdin"],
        Some(""),
        "nothing on standard input",
    );
    refused_before_sending(
        &["verify-otp", "--email", EMAIL, "--otp-stdin"],
        Some("12345\n"),
        "code must be 6 digits",
    );
}

#[test]
fn bad_hosts_are_refused() {
    let home = Home::new();
    for host in [
        "app.konecty.com",
        "ftp://app.konecty.com",
        "https://user:pw@app.konecty.com",
        "http://",
        "https://a.com/?x=1",
    ] {
        home.run(&["--host", host, "login-options"])
            .expect(USAGE)
            .says("invalid")
            .one_error_line();
    }
}

#[test]
fn usage_errors_exit_2() {
    let home = Home::new();
    for args in [
        &["request-otp"][..],
        &["request-otp", "--email", EMAIL, "--phone", PHONE],
        &["verify-otp", "--email", EMAIL],
        &[
            "verify-otp",
            "--email",
            EMAIL,
            "--otp",
            "123456",
            "--otp-stdin",
        ],
        &["no-such-command"],
    ] {
        home.run(args)
            .expect(USAGE)
            .says("see --help")
            .one_error_line();
    }
}

#[test]
fn help_teaches_every_command_and_the_exit_codes() {
    let home = Home::new();
    let help = home.run(&["--help"]);
    help.expect(OK);
    for text in [
        "login-options",
        "request-otp",
        "verify-otp",
        "status",
        "logout",
        "dev-server",
        "demo",
        "Exit codes",
        "--otp-stdin",
    ] {
        help.says(text);
    }
    home.run(&["verify-otp", "--help"])
        .expect(OK)
        .says("--no-credentials")
        .says("--host");
}
