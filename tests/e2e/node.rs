//! The component under Node: transpiled by jco, run with @bytecodealliance/preview2-shim
//! (one directory preopened as `.`, outgoing HTTP), against the dev server. It must do what
//! it does under our host: the same answers, and the same files as our binary writes.

use serde_json::{Value, json};

use crate::external::{API_FUNCTIONS, NodeSession, names};
use crate::support::*;

const USER_ID: &str = "devUser0000000001";

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("cannot read {name} in {}: {e}", dir.display()))
}

/// The `ok` value of an answer, failing with the whole answer when it is not one.
#[track_caller]
fn ok(function: &str, answer: Value) -> Value {
    match answer.get("ok") {
        Some(value) if answer.as_object().map(|o| o.len()) == Some(1) => value.clone(),
        _ => panic!("expected {function} to succeed under Node, got {answer}"),
    }
}

#[test]
fn under_node_with_jco_the_component_logs_in_and_writes_what_our_binary_writes() {
    let server = konecty();
    let host = server.url();
    let work = tempfile::tempdir().unwrap();
    let wasm = work.path().join("konecty_session_guest.wasm");
    std::fs::write(&wasm, konecty_session::sandbox::bindings::GUEST_COMPONENT).unwrap();
    let transpiled = work.path().join("transpiled");
    let dir = work.path().join("konecty");
    std::fs::create_dir(&dir).unwrap();
    let mut node = NodeSession::start(
        "component.mjs",
        &[wasm.as_os_str(), transpiled.as_os_str(), dir.as_os_str()],
    );

    let ready = node.next();
    assert_eq!(
        ready["ready"],
        json!(true),
        "expected the ready line, got {ready}"
    );
    let imports = ready["imports"].as_array().unwrap();
    assert!(
        !imports.is_empty()
            && imports
                .iter()
                .all(|i| i.as_str().unwrap().starts_with("wasi:")),
        "expected only standard WASI imports, got {imports:?}"
    );
    // The README's jco example takes the interface by this key.
    assert!(
        ready["exports"]
            .as_array()
            .is_some_and(|keys| keys.contains(&json!("konecty:session/api@0.4.0"))),
        "expected jco to export konecty:session/api@0.4.0, got {}",
        ready["exports"]
    );
    assert_eq!(
        ready["functions"],
        json!(API_FUNCTIONS),
        "the api interface, as jco exports it"
    );

    assert_eq!(
        ok("loginOptions", node.call("loginOptions", json!([host]))),
        json!({"passwordEnabled": true, "emailOtpEnabled": true, "whatsappOtpEnabled": true})
    );
    assert_eq!(
        node.call(
            "requestOtp",
            json!([host, {"tag": "email", "val": "not-an-email"}])
        ),
        json!({"err": {"tag": "invalid-input", "val": "email must look like name@example.com"}}),
        "errors cross to JavaScript as the WIT variant"
    );

    let sent = ok(
        "requestOtp",
        node.call("requestOtp", json!([host, {"tag": "email", "val": EMAIL}])),
    );
    assert_eq!(
        sent,
        json!({
            "channel": "email",
            "sentTo": {"tag": "email", "val": EMAIL},
            "serverMessage": "OTP sent via email",
            "remembered": true,
        }),
        "request-otp under Node. `remembered: false` means pending-otp could not be written: \
         preview2-shim's Descriptor.openAt throws `unsupported` for descriptor-flags \
         `mutate-directory`, which wasi-libc's open() sets on every write; files in {}: {:?}",
        dir.display(),
        names(&dir)
    );
    assert_eq!(names(&dir), ["pending-otp"], "the remembered request");

    let code = server.code_for(EMAIL).expect("the server issued a code");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        node.call(
            "verifyOtp",
            json!([host, {"tag": "email", "val": EMAIL}, wrong, null, null])
        ),
        json!({"err": {"tag": "rejected", "val": {
            "reason": "wrong-code",
            "reply": {"status": 400, "message": "Invalid OTP code", "retryAfter": null}
        }}}),
        "a wrong code"
    );
    let label = json!({"source": "konecty-session-jco-test", "fingerprint": null});
    // The recipient of the request it remembered, as the binary does it.
    let pending = ok("pendingRequest", node.call("pendingRequest", json!([host])));
    assert_eq!(
        pending["recipient"],
        json!({"tag": "email", "val": EMAIL}),
        "{pending}"
    );
    let session = ok(
        "verifyOtp",
        node.call(
            "verifyOtp",
            json!([host, pending["recipient"], code, label, null]),
        ),
    );
    let token = session["token"].as_str().unwrap().to_string();
    assert_eq!(
        session,
        json!({"host": host, "token": token, "userId": USER_ID, "name": "Dev User", "email": EMAIL})
    );
    assert_eq!(token.len(), 44, "a 44-character token, got {token:?}");
    assert_eq!(
        names(&dir),
        Vec::<String>::new(),
        "verify-otp forgets the request"
    );

    assert_eq!(
        ok(
            "saveSession",
            node.call(
                "saveSession",
                json!([session, {"envFile": true, "credentialsFile": true}])
            )
        ),
        Value::Null
    );
    let stored = ok("readSessions", node.call("readSessions", json!([host])));
    let issued = stored[1]["issuedAt"].as_u64().unwrap_or_else(|| {
        panic!("expected issuedAt from credentials, got {stored}");
    });
    assert_eq!(
        stored,
        json!([
            {"host": host, "token": token, "userId": USER_ID, "issuedAt": issued, "file": "env-file"},
            {"host": host, "token": token, "userId": USER_ID, "issuedAt": issued, "file": "credentials-file"},
        ])
    );
    assert_eq!(
        ok("storedHosts", node.call("storedHosts", json!([]))),
        json!([host])
    );
    assert_eq!(
        ok(
            "checkSession",
            node.call("checkSession", json!([host, token]))
        ),
        json!({"loggedIn": true, "userId": USER_ID, "name": "Dev User", "email": EMAIL})
    );

    // Our binary, the same server and user: the same files but for the token and the time.
    let home = Home::new();
    let ours = home.login(&server);
    assert_eq!(
        names(&dir),
        [".env", "credentials"],
        "only the two files (no temporary files)"
    );
    assert_eq!(
        read(&dir, ".env"),
        home.read(".env").replace(&ours, &token),
        ".env written under Node (left) and by our binary (right, its token replaced)"
    );
    assert_eq!(
        times_hidden(&read(&dir, "credentials")),
        times_hidden(&home.read("credentials")).replace(&ours, &token),
        "credentials written under Node (left) and by our binary (right, its token replaced)"
    );

    // Our binary reads what Node wrote.
    let dir_arg = dir.to_str().unwrap();
    home.run(&["--dir", dir_arg, "--host", &host, "status"])
        .expect(OK)
        .says("Dev User");

    // Logout under Node leaves what logout by our binary leaves.
    assert_eq!(
        ok("logout", node.call("logout", json!([host]))),
        json!({"revokedOnServer": true, "serverMessage": null, "removedLocally": true})
    );
    home.run(&["--host", &host, "logout"]).expect(OK);
    assert_eq!(
        read(&dir, ".env"),
        home.read(".env"),
        ".env after logout: under Node (left), our binary (right)"
    );
    assert_eq!(
        times_hidden(&read(&dir, "credentials")),
        times_hidden(&home.read("credentials")),
        "credentials after logout: under Node (left), our binary (right)"
    );

    let stderr = node.finish();
    assert!(
        stderr.trim().is_empty(),
        "expected nothing on node's stderr, got {stderr}"
    );
}
