//! Several hosts, `use`, and which host and token win: flags, then environment, then
//! `.env`, then credentials `[default]`, then the built-in default.

use serde_json::Value;

use crate::support::*;

fn status_json(home: &Home, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let outcome = home.run_with(&all, stdin, env);
    serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {outcome:?}"))
}

#[test]
fn two_hosts_keep_their_own_sections_and_use_switches_the_default() {
    let (a, b) = (konecty(), konecty());
    let home = Home::new();
    let token_a = home.login(&a);
    let token_b = home.login(&b);
    assert_ne!(token_a, token_b);
    let credentials = home.read("credentials");
    for (server, token) in [(&a, &token_a), (&b, &token_b)] {
        assert!(
            credentials.contains(&format!(
                "[{}]\nhost = {}\nuserId = devUser0000000001\nauthId = {token}\n",
                server.url(),
                server.url()
            )),
            "no section of its own for {}:\n{credentials}",
            server.url()
        );
    }

    // The last login is the default; status says so and names the other host.
    let status = status_json(&home, &["status"], None, &[]);
    assert_eq!(status["host"], b.url(), "{status}");
    assert_eq!(status["hostSource"], "env-file", "{status}");
    assert_eq!(
        status["otherHosts"],
        serde_json::json!([a.url()]),
        "{status}"
    );

    home.run(&["use", &a.url()])
        .expect(OK)
        .says("is now the default");
    let status = status_json(&home, &["status"], None, &[]);
    assert_eq!(status["host"], a.url(), "{status}");
    assert_eq!(status["loggedIn"], true, "{status}");
    assert_eq!(token_in(&home.read(".env")), token_a);
    let token = home.run(&["token"]);
    assert_eq!(token.expect(OK).stdout, format!("{token_a}\n"));
    // --host still picks the other one, whatever the default.
    let token = home.run(&["--host", &b.url(), "token"]);
    assert_eq!(token.expect(OK).stdout, format!("{token_b}\n"));
    // B's section is untouched by the switch.
    assert!(
        home.read("credentials")
            .contains(&format!("authId = {token_b}"))
    );
}

#[test]
fn use_of_a_host_without_a_session_changes_nothing() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let (env, credentials) = (home.read(".env"), home.read("credentials"));
    home.run(&["use", "https://never.example.com"])
        .expect(REFUSED)
        .says("no session stored for https://never.example.com")
        .one_error_line();
    assert_eq!(
        (home.read(".env"), home.read("credentials")),
        (env, credentials)
    );
}

#[test]
fn the_host_comes_from_flag_then_environment_then_env_file_then_credentials_then_default() {
    let home = Home::new();
    let source = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["status", "--offline"];
        all.extend_from_slice(args);
        let status = status_json(&home, &all, None, env);
        (
            status["host"].as_str().unwrap_or("").to_string(),
            status["hostSource"].as_str().unwrap_or("").to_string(),
        )
    };
    let pair = |h: &str, s: &str| (h.to_string(), s.to_string());
    assert_eq!(source(&[], &[]), pair("http://localhost:3000", "default"));
    home.write("credentials", "[default]\nhost = https://c.example.com\n");
    assert_eq!(
        source(&[], &[]),
        pair("https://c.example.com", "credentials")
    );
    home.write(".env", "KONECTY_URL=https://e.example.com\n");
    assert_eq!(source(&[], &[]), pair("https://e.example.com", "env-file"));
    let env = [("KONECTY_URL", "https://v.example.com")];
    assert_eq!(
        source(&[], &env),
        pair("https://v.example.com", "environment")
    );
    assert_eq!(
        source(&["--host", "https://f.example.com"], &env),
        pair("https://f.example.com", "flag")
    );
}

#[test]
fn an_environment_token_wins_and_status_says_what_it_overrode() {
    let server = konecty();
    let home = Home::new();
    let stored = home.login(&server);
    let url = server.url();

    // A stale KONECTY_TOKEN for KONECTY_URL's host beats the stored one: status shows it,
    // and that it is invalid.
    let env = [
        ("KONECTY_TOKEN", "stale-token"),
        ("KONECTY_URL", url.as_str()),
    ];
    let status = status_json(&home, &["status"], None, &env);
    assert_eq!(status["tokenSource"], "environment", "{status}");
    assert_eq!(status["loggedIn"], false, "{status}");
    assert_eq!(
        status["overrides"],
        serde_json::json!([{"source": "env-file", "sameToken": false},
                           {"source": "credentials", "sameToken": false}]),
        "{status}"
    );
    assert_eq!(
        status["storedSession"],
        serde_json::json!({"source": "env-file", "valid": true}),
        "the stored session behind the refused KONECTY_TOKEN: {status}"
    );
    home.run_with(&["status"], None, &env)
        .expect(REFUSED)
        .says("the server refuses the token in KONECTY_TOKEN")
        .says("unset KONECTY_TOKEN")
        .says("/.konecty/.env is valid")
        .says("overrides");

    // The environment token is for KONECTY_URL's host only.
    let elsewhere = [
        ("KONECTY_TOKEN", "stale-token"),
        ("KONECTY_URL", "https://other.example.com"),
    ];
    let status = status_json(&home, &["--host", &url, "status"], None, &elsewhere);
    assert_eq!(status["tokenSource"], "env-file", "{status}");
    assert_eq!(status["loggedIn"], true, "{status}");

    // --token-stdin beats them all.
    let status = status_json(&home, &["status", "--token-stdin"], Some(&stored), &env);
    assert_eq!(status["tokenSource"], "flag", "{status}");
    assert_eq!(status["loggedIn"], true, "{status}");

    // Without KONECTY_URL, a token this program never saw issued goes nowhere.
    let status = status_json(
        &home,
        &["status"],
        None,
        &[("KONECTY_TOKEN", "stale-token")],
    );
    assert_eq!(status["tokenSource"], "env-file", "{status}");
    // One it saw issued by this host goes with it.
    let status = status_json(
        &home,
        &["status"],
        None,
        &[("KONECTY_TOKEN", stored.as_str())],
    );
    assert_eq!(status["tokenSource"], "environment", "{status}");
    assert_eq!(status["loggedIn"], true, "{status}");
}

#[test]
fn env_prints_assignments_a_shell_reads_back_exactly() {
    let server = konecty();
    let home = Home::new();
    let token = home.login(&server);
    let script = format!(
        "eval \"$('{}' env)\"; printf '%s|%s|%s' \"$KONECTY_URL\" \"$KONECTY_TOKEN\" \"$KONECTY_USER_ID\"",
        env!("CARGO_BIN_EXE_konecty-session")
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .env_clear()
        .env("HOME", home.root())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}|{token}|devUser0000000001", server.url()),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fish = home.run(&["env", "--shell", "fish"]);
    assert_eq!(
        fish.expect(OK).stdout,
        format!(
            "set -gx KONECTY_URL '{}';\nset -gx KONECTY_TOKEN '{token}';\nset -gx KONECTY_USER_ID 'devUser0000000001';\n",
            server.url()
        )
    );
    // Windows shells (no PowerShell or cmd here: the lines are what they would run).
    let powershell = home.run(&["env", "--shell", "powershell"]);
    assert_eq!(
        powershell.expect(OK).stdout,
        format!(
            "$env:KONECTY_URL = '{}'\n$env:KONECTY_TOKEN = '{token}'\n$env:KONECTY_USER_ID = 'devUser0000000001'\n",
            server.url()
        )
    );
    let cmd = home.run(&["env", "--shell", "cmd"]);
    assert_eq!(
        cmd.expect(OK).stdout,
        format!(
            "set \"KONECTY_URL={}\"\nset \"KONECTY_TOKEN={token}\"\nset \"KONECTY_USER_ID=devUser0000000001\"\n",
            server.url()
        )
    );
}

#[test]
fn token_without_a_session_exits_1_on_stderr_only() {
    let home = Home::new();
    let outcome = home.run(&["token"]);
    outcome.expect(REFUSED).says("no session").one_error_line();
    assert_eq!(outcome.stdout, "", "nothing for $(…) to capture");
}

#[test]
fn an_environment_token_is_never_sent_to_a_host_named_only_by_the_flag() {
    let server = konecty();
    let home = Home::new();
    let status = status_json(
        &home,
        &["--host", &server.url(), "status"],
        None,
        &[("KONECTY_TOKEN", "meant-for-another-server")],
    );
    assert_eq!(status["tokenSource"], serde_json::Value::Null, "{status}");
    assert!(
        server.requests().iter().all(|r| r.authorization.is_none()),
        "a token was sent: {:?}",
        server.requests()
    );
}

#[test]
fn a_broken_stored_url_is_named_not_replaced() {
    let home = Home::new();
    home.write(".env", "KONECTY_URL=not a url\n");
    home.run(&["status"])
        .expect(USAGE)
        .says("KONECTY_URL in .env")
        .one_error_line();
}

#[test]
fn status_that_cannot_ask_the_server_exits_3() {
    let server = CannedServer::json("500 Internal Server Error", r#"{"success":false}"#);
    let home = Home::new();
    home.write(
        ".env",
        &format!("KONECTY_URL={}\nKONECTY_TOKEN=abc\n", server.url()),
    );
    home.run(&["status"])
        .expect(UNAVAILABLE)
        .says("could not check the session")
        .one_error_line();
}
