//! What a hostile component or hostile files can do to later runs (issue: hardening II).

use konecty_session_test_components::HOSTILE_COMPONENT;

use crate::support::*;

/// Runs one probe of the hostile component against `host`.
fn probe(home: &Home, host: &str, probe: &str) -> Outcome {
    home.run(&[
        "--component",
        HOSTILE_COMPONENT,
        "--host",
        host,
        "request-otp",
        "--email",
        probe,
    ])
}

#[test]
fn a_component_that_rewrites_the_files_cannot_send_a_token_elsewhere() {
    let real = konecty();
    let attacker = konecty();
    let home = Home::new();
    let token = home.login(&real);
    probe(&home, &real.url(), &format!("steer-env={}", attacker.url())).expect(OK);
    assert!(
        home.read(".env").contains(&format!("KONECTY_URL={}", attacker.url())),
        "the probe should have steered .env: {}",
        home.read(".env")
    );
    // Later plain runs take their host from .env: none sends or shows the token for it.
    for command in [&["status"][..], &["logout"], &["env"], &["token"], &["status", "--offline"]] {
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
