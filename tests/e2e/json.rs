//! `--json`: exactly one object on stdout per command, in documented shapes. The snapshots
//! below are the shapes (each value replaced by its type), so a renamed or dropped field
//! fails here before it breaks a script.

use serde_json::{Value, json};

use crate::support::*;

/// The value with every leaf replaced by its type name.
fn shape(value: &Value) -> Value {
    match value {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
    }
}

/// Runs with `--json`; asserts the exit code and that stdout is one JSON object, alone.
#[track_caller]
fn json_of(home: &Home, args: &[&str], stdin: Option<&str>, exit: i32) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let outcome = home.run_with(&all, stdin, &[]);
    outcome.expect(exit);
    assert_eq!(
        outcome.stdout.lines().count(),
        1,
        "expected one line of JSON, got {:?}",
        outcome.stdout
    );
    let value: Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", outcome.stdout));
    assert!(value.is_object(), "not an object: {value}");
    value
}

#[test]
fn every_command_prints_one_object_of_a_stable_shape() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    let h = host.as_str();

    let options = json_of(&home, &["--host", h, "login-options"], None, OK);
    assert_eq!(
        shape(&options),
        json!({"host": "string", "emailOtpEnabled": "bool", "whatsAppOtpEnabled": "bool",
               "passwordEnabled": "bool"})
    );

    let sent = json_of(
        &home,
        &["--host", h, "request-otp", "--email", EMAIL],
        None,
        OK,
    );
    assert_eq!(
        shape(&sent),
        json!({"host": "string", "channel": "string", "sentTo": "string",
               "likelyExpiresAt": "string", "remembered": "bool", "serverMessage": "string"})
    );
    assert_eq!(sent["sentTo"], "d***@example.com", "{sent}");

    let code = server.code_for(EMAIL).unwrap();
    let verified = json_of(
        &home,
        &["--host", h, "verify-otp", "--otp-stdin"],
        Some(&code),
        OK,
    );
    assert_eq!(
        shape(&verified),
        json!({"host": "string", "user": {"id": "string", "name": "string", "email": "string"},
               "saved": {"envFile": "bool", "credentialsFile": "bool"}, "dir": "string",
               "verifiedFor": "string"}),
        "without --email/--phone, verifiedFor names the pending request's recipient"
    );

    let status = json_of(&home, &["--host", h, "status"], None, OK);
    assert_eq!(
        shape(&status),
        json!({"host": "string", "hostSource": "string", "loggedIn": "bool", "verified": "bool",
               "user": {"id": "string", "name": "string", "email": "string"},
               "issuedAt": "string", "mayBeClosedByNextLogin": "bool", "tokenSource": "string",
               "overrides": [{"source": "string", "sameToken": "bool"}], "otherHosts": []})
    );

    let offline = json_of(&home, &["--host", h, "whoami", "--offline"], None, OK);
    assert_eq!(
        shape(&offline),
        json!({"host": "string", "hostSource": "string", "loggedIn": "bool", "verified": "bool",
               "user": {"id": "string", "name": "null", "email": "null"},
               "issuedAt": "string", "mayBeClosedByNextLogin": "bool", "tokenSource": "string",
               "overrides": [{"source": "string", "sameToken": "bool"}], "otherHosts": []})
    );
    assert_eq!(offline["verified"], false, "{offline}");

    let token = json_of(&home, &["--host", h, "token"], None, OK);
    assert_eq!(
        shape(&token),
        json!({"host": "string", "token": "string", "tokenSource": "string"})
    );
    let env = json_of(&home, &["--host", h, "env"], None, OK);
    assert_eq!(
        shape(&env),
        json!({"KONECTY_URL": "string", "KONECTY_TOKEN": "string", "KONECTY_USER_ID": "string"})
    );
    let used = json_of(&home, &["use", h], None, OK);
    assert_eq!(
        shape(&used),
        json!({"host": "string", "userId": "string", "default": "bool"})
    );
    let logout = json_of(&home, &["--host", h, "logout"], None, OK);
    assert_eq!(
        shape(&logout),
        json!({"host": "string", "revokedOnServer": "bool", "serverMessage": "null",
               "removedLocally": "bool"})
    );
    let after = json_of(&home, &["--host", h, "status"], None, REFUSED);
    assert_eq!(after["loggedIn"], false, "{after}");
    assert_eq!(after["tokenSource"], Value::Null, "{after}");
}

#[test]
fn errors_are_objects_with_the_wit_kind_and_the_same_exit_codes() {
    let server = konecty();
    let home = Home::new();
    let host = server.url();
    let h = host.as_str();
    let error = |args: &[&str], stdin: Option<&str>, exit: i32| {
        let value = json_of(&home, args, stdin, exit);
        assert_eq!(
            shape(&value)["error"]["kind"],
            "string",
            "not an error object: {value}"
        );
        value["error"].clone()
    };

    let refused = error(
        &["--host", h, "verify-otp", "--email", EMAIL, "--otp-stdin"],
        Some("123456"),
        REFUSED,
    );
    assert_eq!(refused["kind"], "rejected", "{refused}");
    assert_eq!(
        refused["serverMessage"], "OTP not found or expired. Please request a new OTP.",
        "{refused}"
    );

    let invalid = error(
        &["--host", h, "request-otp", "--email", "nope"],
        None,
        USAGE,
    );
    assert_eq!(invalid["kind"], "invalid-input", "{invalid}");
    assert_eq!(invalid["serverMessage"], Value::Null, "{invalid}");

    let usage = error(&["request-otp"], None, USAGE);
    assert_eq!(usage["kind"], "usage", "{usage}");

    let offline = format!("http://127.0.0.1:{}", closed_port());
    let network = error(&["--host", &offline, "login-options"], None, UNAVAILABLE);
    assert_eq!(network["kind"], "network", "{network}");

    let nobody = error(&["--host", h, "token"], None, REFUSED);
    assert_eq!(nobody["kind"], "not-logged-in", "{nobody}");
}

#[test]
fn a_429_with_retry_after_says_how_long_to_wait() {
    let body = r#"{"success":false,"errors":[{"message":"Slow down now"}]}"#;
    let server = CannedServer::start(format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 42\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    let home = Home::new();
    home.run(&["--host", &server.url(), "login-options"])
        .expect(REFUSED)
        .says("wait 42 s")
        .one_error_line();
    let error = json_of(
        &home,
        &["--host", &server.url(), "login-options"],
        None,
        REFUSED,
    );
    assert_eq!(error["error"]["kind"], "rate-limited", "{error}");
    assert_eq!(error["error"]["serverMessage"], "Slow down now", "{error}");
}
