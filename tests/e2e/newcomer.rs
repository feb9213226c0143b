//! What a newcomer tripped on (issue 18), each through the real binary: a closed pipe, usage
//! errors that keep their point, bash completion below the top level, a stale
//! KONECTY_TOKEN, options a command would ignore, hints that keep the user's flags, the
//! login prompt, `--json --version`.

use std::process::{Command, Stdio};

use crate::support::*;

/// Runs the binary with stdout a pipe whose reader is already gone; returns (exit code,
/// stderr).
fn with_closed_stdout(home: &Home, args: &[&str], stdin: &str) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_konecty-session"))
        .env_clear()
        .env("HOME", home.root())
        .env("XDG_CACHE_HOME", shared_cache())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn no_command_panics_when_stdout_is_closed() {
    let server = konecty();
    let url = server.url();
    let home = Home::new();
    home.login(&server);
    let dir = home.dir().display().to_string();
    // (arguments, stdin, the exit code the command has anyway)
    let commands: Vec<(Vec<&str>, &str, i32)> = vec![
        (vec!["demo"], "", OK),
        (vec!["demo", "--json"], "", OK),
        (vec!["--help"], "", OK),
        (vec!["status", "--help"], "", OK),
        (vec!["--version"], "", OK),
        (vec!["--json", "--version"], "", OK),
        (vec!["--host", &url, "status"], "", OK),
        (vec!["--host", &url, "status", "--json"], "", OK),
        (vec!["--host", &url, "token"], "", OK),
        (vec!["--host", &url, "env"], "", OK),
        (vec!["--host", &url, "login-options"], "", OK),
        (vec!["--host", &url, "login"], "", OK),
        (vec!["use", &url], "", OK),
        (vec!["completions", "bash"], "", OK),
        (
            vec!["dev-server", "--json", "--listen", "127.0.0.1:0"],
            "",
            OK,
        ),
        (
            vec!["--host", &url, "request-otp", "--email", EMAIL],
            "",
            OK,
        ),
        (
            vec!["--host", &url, "verify-otp", "--otp-stdin"],
            "000000\n",
            REFUSED,
        ),
        (vec!["--host", &url, "logout"], "", OK),
        (vec!["--dir", &dir, "--host", &url, "status"], "", REFUSED),
    ];
    for (args, stdin, expected) in commands {
        let (code, stderr) = with_closed_stdout(&home, &args, stdin);
        assert_eq!(
            code, expected,
            "{args:?} with stdout closed: expected exit {expected}, got {code}; stderr: {stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?} with stdout closed said on stderr: {stderr}"
        );
    }
}

#[test]
fn usage_errors_say_which_arguments_and_which_values() {
    let home = Home::new();
    for (args, expected) in [
        (
            &["--host", "http://127.0.0.1:3000", "request-otp"][..],
            "not provided: <--email <EMAIL>|--phone <PHONE>>",
        ),
        (&["use"], "not provided: <HOST>"),
        (&["completions"], "not provided: <SHELL>"),
        (
            &["completions", "tcsh"],
            "[possible values: bash, elvish, fish, powershell, zsh]",
        ),
        (&["logn"], "'login'"),
    ] {
        home.run(args)
            .expect(USAGE)
            .says(expected)
            .says("see --help")
            .one_error_line();
    }
}

#[test]
fn a_value_typed_in_the_wrong_place_is_not_repeated() {
    // A code or an address given as a bare argument: refused, and not echoed back.
    let home = Home::new();
    for (args, secret) in [
        (&["verify-otp", "123456"][..], "123456"),
        (&["request-otp", "ana@example.com"], "ana@example.com"),
    ] {
        home.run(args)
            .expect(USAGE)
            .says("unexpected argument")
            .never_says(secret)
            .one_error_line();
    }
}

#[test]
fn no_command_shows_the_command_list() {
    let home = Home::new();
    let bare = home.run(&[]);
    bare.expect(USAGE)
        .says("a command is needed")
        .says("login-options")
        .says("verify-otp");
    let json = home.run(&["--json"]);
    assert_eq!(
        json_error(&json)["kind"],
        "usage",
        "expected a usage error object, got {}",
        json.stdout
    );
}

#[test]
fn json_version_is_an_object() {
    let out = Home::new().run(&["--json", "--version"]);
    out.expect(OK);
    let version: serde_json::Value = serde_json::from_str(out.stdout.trim())
        .unwrap_or_else(|e| panic!("expected JSON, got {:?} ({e})", out.stdout));
    assert_eq!(
        version,
        serde_json::json!({"version": env!("CARGO_PKG_VERSION")})
    );
}

#[test]
fn options_a_command_would_ignore_are_refused_and_hidden_from_its_help() {
    let home = Home::new();
    home.run(&["--host", "https://app.konecty.com", "demo"])
        .expect(USAGE)
        .says("--host does not apply to `demo`")
        .one_error_line();
    home.run(&[
        "--host",
        "https://a.konecty.com",
        "use",
        "https://b.konecty.com",
    ])
    .expect(USAGE)
    .says("--host does not apply to `use`: it takes the host as its argument")
    .one_error_line();
    home.run(&["--proxy", "http://127.0.0.1:9", "token"])
        .expect(USAGE)
        .says("--proxy does not apply to `token`")
        .one_error_line();
    let demo_help = home.run(&["demo", "--help"]);
    demo_help.expect(OK).says("--dir").never_says("--host");
    home.run(&["status", "--help"])
        .expect(OK)
        .says("--host")
        .says("--proxy");
}

#[test]
fn hints_keep_the_flags_the_user_gave() {
    let server = konecty();
    let home = Home::new();
    let elsewhere = home.root().join("elsewhere");
    let dir = elsewhere.display().to_string();
    home.run(&["--dir", &dir, "--host", &server.url(), "status"])
        .expect(REFUSED)
        .says(&format!(
            "log in with: konecty-session --host {} --dir {dir} login",
            server.url()
        ));
    home.run(&["--dir", &dir, "--host", &server.url(), "token"])
        .expect(REFUSED)
        .says(&format!(
            "konecty-session --host {} --dir {dir} login",
            server.url()
        ));
}

#[test]
fn login_says_when_a_refused_konecty_token_hides_the_valid_session() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let url = server.url();
    let env = [
        ("KONECTY_TOKEN", "stale-token"),
        ("KONECTY_URL", url.as_str()),
    ];
    home.run_with(&["login"], None, &env)
        .expect(OK)
        .says("Already logged in")
        .says("KONECTY_TOKEN holds another token, which the server refuses")
        .says("unset KONECTY_TOKEN");
    let json = home.run_with(&["login", "--json"], None, &env);
    let answer: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(answer["environmentTokenRefused"], true, "{answer}");
    // Without the stale variable, nothing is said about it.
    home.run_with(&["login"], None, &[("KONECTY_URL", url.as_str())])
        .expect(OK)
        .never_says("KONECTY_TOKEN");
}

#[test]
fn an_unknown_email_at_the_prompt_asks_again() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login"]);
    pty.expect("Email, or phone for WhatsApp: ");
    pty.send("nobody@example.com");
    pty.expect("type another email or phone");
    pty.expect("Email, or phone for WhatsApp: ");
    pty.send(EMAIL);
    pty.expect("Code (r to resend): ");
    pty.send(&server.code_for(EMAIL).expect("a code for the known user"));
    pty.expect("Logged in to");
    assert_eq!(pty.finish().0, OK);
}

#[test]
fn end_of_input_at_the_code_prompt_exits_1_and_says_the_code_still_works() {
    let server = konecty();
    let home = Home::new();
    let mut pty = home.run_in_pty(&["--host", &server.url(), "login", "--email", EMAIL]);
    pty.expect("Code (r to resend): ");
    pty.send_eof();
    pty.expect("stays valid");
    let (code, transcript) = pty.finish();
    assert_eq!(
        code, REFUSED,
        "expected exit 1 (a code was sent), got {code}: {transcript}"
    );
    assert!(
        transcript.contains(&format!(
            "konecty-session --host {} verify-otp --otp-stdin",
            server.url()
        )),
        "expected the two-step command with the host: {transcript}"
    );
    // The two-step command takes it from there, with the code that was sent.
    let code = server.code_for(EMAIL).expect("the code is still pending");
    home.run_with(
        &["--host", &server.url(), "verify-otp", "--otp-stdin"],
        Some(&format!("{code}\n")),
        &[],
    )
    .expect(OK);
}

#[test]
fn bash_completes_options_and_values_below_the_top_level() {
    let Ok(bash) = which_bash() else {
        eprintln!("skipped: no bash on this machine");
        return;
    };
    let script = Home::new().run(&["completions", "bash"]);
    script.expect(OK);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &script.stdout).unwrap();
    for (words, expected) in [
        ("konecty-session status --off", "--offline"),
        ("konecty-session env --shell ''", "sh fish powershell cmd"),
        ("konecty-session verify-otp --otp-s", "--otp-stdin"),
        ("konecty-session login-o", "login-options"),
    ] {
        // As bash calls the function at <TAB>: the words, the index of the current one, and
        // the command, current and previous words as arguments.
        let program = format!(
            "source {}\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
             _konecty__session konecty-session \"${{COMP_WORDS[COMP_CWORD]}}\" \
             \"${{COMP_WORDS[COMP_CWORD-1]}}\"\necho \"${{COMPREPLY[*]}}\"",
            file.path().display()
        );
        let out = Command::new(&bash)
            .arg("-c")
            .arg(&program)
            .output()
            .unwrap();
        let completed = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert_eq!(
            completed,
            expected,
            "completing {words:?}: stderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn which_bash() -> Result<std::path::PathBuf, ()> {
    ["/bin/bash", "/usr/bin/bash"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|path| path.exists())
        .ok_or(())
}
