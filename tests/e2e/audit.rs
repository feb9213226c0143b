//! `--audit FILE`: one JSON line per request and per file change, appended, private, and
//! free of the secrets that travel in headers, bodies and queries.

use std::path::{Path, PathBuf};

use konecty_session_test_components::HOSTILE_COMPONENT;
use serde_json::Value;

use crate::support::*;

/// Where the tests keep the audit file: beside the credentials directory, not in it.
fn audit_path(home: &Home) -> PathBuf {
    home.root().join("audit.jsonl")
}

fn audit_flag(home: &Home) -> String {
    audit_path(home).to_str().unwrap().to_string()
}

/// Every line of the audit file, each parsed as a JSON object.
fn events(home: &Home) -> Vec<Value> {
    let text = std::fs::read_to_string(audit_path(home))
        .unwrap_or_else(|e| panic!("cannot read the audit file: {e}"));
    text.lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {line:?}"));
            assert!(event.is_object(), "audit line is not an object: {line:?}");
            assert!(
                event["time"].as_str().is_some_and(|t| t.ends_with('Z')),
                "expected a UTC time in {line}"
            );
            event
        })
        .collect()
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// Whether an audited path is `expected`, allowing the host to have resolved symlinks.
fn names_file(audited: &Value, expected: &Path) -> bool {
    let Some(audited) = audited.as_str() else {
        return false;
    };
    let resolved = expected
        .parent()
        .and_then(|dir| std::fs::canonicalize(dir).ok())
        .map(|dir| dir.join(expected.file_name().unwrap()));
    Path::new(audited) == expected || resolved.as_deref() == Some(Path::new(audited))
}

/// The file events for `name` in the credentials directory, as (change, bytes).
fn changes_to(events: &[Value], home: &Home, name: &str) -> Vec<(String, u64)> {
    of_kind(events, "file")
        .into_iter()
        .filter(|e| names_file(&e["path"], &home.file(name)))
        .map(|e| {
            (
                e["change"].as_str().unwrap_or("").to_string(),
                e["bytes"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("no byte count in {e}")),
            )
        })
        .collect()
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn a_login_is_audited_without_its_secrets() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    let audit = audit_flag(&home);
    // A phone request too, so that the phone number travels and can be looked for.
    home.run(&[
        "--audit",
        &audit,
        "--host",
        &host,
        "request-otp",
        "--phone",
        PHONE,
    ])
    .expect(OK);
    home.run(&[
        "--audit",
        &audit,
        "--host",
        &host,
        "request-otp",
        "--email",
        EMAIL,
    ])
    .expect(OK);
    let code = server.code_for(EMAIL).expect("the server issued a code");
    home.run(&[
        "--audit",
        &audit,
        "--host",
        &host,
        "verify-otp",
        "--email",
        EMAIL,
        "--otp",
        &code,
    ])
    .expect(OK);
    let token = token_in(&home.read(".env"));
    let events = events(&home);

    // One request line per request the server saw, in order, each allowed and measured.
    let requests = of_kind(&events, "request");
    let audited: Vec<(String, String)> = requests
        .iter()
        .map(|e| {
            assert_eq!(e["origin"], host.as_str(), "origin in {e}");
            assert_eq!(e["decision"], "allowed", "decision in {e}");
            for field in ["status", "bytes", "ms"] {
                assert!(e[field].is_u64(), "expected a number as {field} in {e}");
            }
            (
                e["method"].as_str().unwrap_or("").to_string(),
                e["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let received: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| {
            let path = r.path.split('?').next().unwrap().to_string();
            (r.method, path)
        })
        .collect();
    assert_eq!(audited, received, "audited requests vs received requests");
    assert!(
        audited
            .iter()
            .any(|(_, path)| path == "/api/auth/verify-otp"),
        "no verify-otp request in {audited:?}"
    );

    // The files: created, with their size after the change.
    for name in ["credentials", ".env"] {
        let changes = changes_to(&events, &home, name);
        assert_eq!(
            changes,
            [("created".to_string(), size(&home.file(name)))],
            "file events for {name} in {events:#?}"
        );
    }
    let pending = changes_to(&events, &home, "pending-otp");
    assert_eq!(
        pending.first().map(|(change, _)| change.as_str()),
        Some("created"),
        "pending-otp events: {pending:?}"
    );
    assert_eq!(
        pending.last(),
        Some(&("removed".to_string(), 0)),
        "pending-otp goes once verified: {pending:?}"
    );

    let text = std::fs::read_to_string(audit_path(&home)).unwrap();
    for (what, secret) in [
        ("the token", token.as_str()),
        ("the code", code.as_str()),
        ("the email", EMAIL),
        ("the escaped email", "dev%40example.com"),
        ("the phone", PHONE),
        ("the phone's digits", &PHONE[1..]),
        ("a query", "?"),
    ] {
        assert!(
            !text.contains(secret),
            "the audit file holds {what} ({secret:?}):\n{text}"
        );
    }
    assert_eq!(mode(&audit_path(&home)), 0o600);
}

#[test]
fn a_denied_request_is_audited_with_its_reason_and_without_its_query() {
    let granted = CannedServer::json("200 OK", "{}");
    let other = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let target = format!("{}/steal?leak=CANARY-QUERY", other.url());
    home.run(&[
        "--audit",
        &audit_flag(&home),
        "--component",
        HOSTILE_COMPONENT,
        "--host",
        &granted.url(),
        "request-otp",
        "--email",
        &format!("other-origin={target}"),
    ])
    .expect(UNAVAILABLE)
    .never_says("BREACH");
    assert_eq!(other.hits(), 0, "the other origin received a request");

    let events = events(&home);
    let denied: Vec<&Value> = of_kind(&events, "request")
        .into_iter()
        .filter(|e| e["decision"] == "denied")
        .collect();
    assert_eq!(
        denied.len(),
        1,
        "expected one denied request in {events:#?}"
    );
    let line = denied[0];
    assert_eq!(line["origin"], other.url().as_str(), "origin in {line}");
    assert_eq!(line["method"], "GET", "method in {line}");
    assert_eq!(line["path"], "/steal", "path in {line}");
    assert!(
        line["reason"]
            .as_str()
            .is_some_and(|r| !r.trim().is_empty()),
        "expected a reason in {line}"
    );
    let text = std::fs::read_to_string(audit_path(&home)).unwrap();
    assert!(
        !text.contains("CANARY-QUERY") && !text.contains("?leak"),
        "the query reached the audit file:\n{text}"
    );
}

#[test]
fn a_request_that_fails_is_audited_with_its_error() {
    let home = Home::new();
    let host = format!("http://127.0.0.1:{}", closed_port());
    home.run(&[
        "--audit",
        &audit_flag(&home),
        "--host",
        &host,
        "login-options",
    ])
    .expect(UNAVAILABLE);
    let events = events(&home);
    let requests = of_kind(&events, "request");
    assert_eq!(requests.len(), 1, "expected one request in {events:#?}");
    let line = requests[0];
    assert_eq!(line["origin"], host.as_str(), "origin in {line}");
    assert_eq!(line["path"], "/api/auth/login-options", "path in {line}");
    assert_eq!(line["decision"], "allowed", "decision in {line}");
    assert!(line["status"].is_null(), "expected status null in {line}");
    assert!(
        line["error"].as_str().is_some_and(|e| !e.trim().is_empty()),
        "expected an error text in {line}"
    );
}

#[test]
fn runs_append_to_the_same_audit_file() {
    let server = konecty();
    let home = Home::new();
    let audit = audit_flag(&home);
    let login = || {
        let code = home.request_code(&server);
        home.run(&[
            "--audit",
            &audit,
            "--host",
            &server.url(),
            "verify-otp",
            "--email",
            EMAIL,
            "--otp",
            &code,
        ])
        .expect(OK);
    };
    login();
    let first = std::fs::read_to_string(audit_path(&home)).unwrap();
    assert!(!first.is_empty(), "the first run wrote nothing");
    login();
    let both = std::fs::read_to_string(audit_path(&home)).unwrap();
    assert!(
        both.starts_with(&first) && both.len() > first.len(),
        "expected the first run's lines followed by the second's\nfirst:\n{first}\nafter both:\n{both}"
    );

    // The second login rewrote the files the first created.
    let events = events(&home);
    for name in ["credentials", ".env"] {
        let changes: Vec<String> = changes_to(&events, &home, name)
            .into_iter()
            .map(|(change, _)| change)
            .collect();
        assert_eq!(changes, ["created", "replaced"], "file events for {name}");
    }
    let verifies = of_kind(&events, "request")
        .into_iter()
        .filter(|e| e["path"] == "/api/auth/verify-otp")
        .count();
    assert_eq!(verifies, 2, "one verify-otp line per run in {events:#?}");
}
