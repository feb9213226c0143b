//! The npm package (`npm/`): built from the component the binary embeds, packed with
//! `npm pack`, installed from its tarball into a new project, and run there against the dev
//! server. Under Node it must keep the Rust host's grant: one origin (refused before any
//! request), one directory seen at a path of the package's own (not `.`, as Wassette and other
//! hosts do), no environment, files 0600 and the directory 0700; the hostile component,
//! transpiled the same way, is refused everything else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use konecty_session_test_components::HOSTILE_COMPONENT;
use serde_json::{Value, json};

use crate::external::{API_FUNCTIONS, NodeSession, names, node_packages, run};
use crate::support::*;

/// What the package holds besides its build output (package.json's `files`, plus the build).
const PACKAGE_SOURCES: [&str; 6] = [
    "package.json",
    "index.js",
    "index.d.ts",
    "grant.js",
    "build.mjs",
    "README.md",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[track_caller]
fn succeeds(what: &str, command: &mut Command) -> String {
    let ran = run(command);
    assert_eq!(
        ran.code,
        Some(0),
        "expected {what} to succeed, got {:?}\nstdout: {}\nstderr: {}",
        ran.code,
        ran.stdout,
        ran.stderr
    );
    ran.stdout
}

/// The package's source beside the tests' node_modules (so that its build finds jco there),
/// built from the embedded component; built once per test run.
fn package_source() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let source = node_packages().join("package");
        let _ = std::fs::remove_dir_all(&source);
        std::fs::create_dir_all(source.join("test")).unwrap();
        for name in PACKAGE_SOURCES.iter().chain(&["test/grant.test.mjs"]) {
            std::fs::copy(repo().join("npm").join(name), source.join(name))
                .unwrap_or_else(|e| panic!("cannot copy npm/{name}: {e}"));
        }
        let wasm = tmp("npm-component").join("konecty_session_guest.wasm");
        std::fs::write(&wasm, konecty_session::sandbox::bindings::GUEST_COMPONENT).unwrap();
        succeeds(
            "the package's build",
            Command::new("node")
                .arg("build.mjs")
                .arg(&wasm)
                .current_dir(&source),
        );
        source
    })
}

/// A new project with the package installed from the tarball `npm pack` made, and the
/// driver (tests/node/package-driver.mjs) beside it; made once per test run.
fn installed_project() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let packs = tmp("npm-pack");
        let packed = succeeds(
            "npm pack",
            Command::new("npm")
                .args(["pack", "--silent", "--pack-destination"])
                .arg(&packs)
                .current_dir(package_source()),
        );
        let tarball = packs.join(packed.lines().last().unwrap_or_default().trim());
        assert!(
            tarball.is_file(),
            "npm pack printed {packed:?}, no such file"
        );
        let project = tmp("npm-project");
        std::fs::write(
            project.join("package.json"),
            r#"{"name": "uses-konecty-session", "private": true, "type": "module"}"#,
        )
        .unwrap();
        succeeds(
            "npm install of the tarball",
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefer-offline"])
                .arg(&tarball)
                .current_dir(&project),
        );
        std::fs::copy(
            repo().join("tests/node/package-driver.mjs"),
            project.join("package-driver.mjs"),
        )
        .unwrap();
        project
    })
}

/// The hostile component in jco's output, as the package's build makes it.
fn transpiled_hostile() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = tmp("npm-hostile");
        succeeds(
            "transpiling the hostile component",
            Command::new("node")
                .arg(node_packages().join("transpile.mjs"))
                .arg(HOSTILE_COMPONENT)
                .arg(&out)
                .current_dir(node_packages()),
        );
        out
    })
}

fn driver(host: &str, dir: &Path, transpiled: Option<&Path>) -> NodeSession {
    let mut args = vec![host.as_ref(), dir.as_os_str()];
    args.extend(transpiled.map(Path::as_os_str));
    let mut node = NodeSession::start_in(installed_project(), "package-driver.mjs", &args);
    let ready = node.next();
    assert_eq!(
        ready["ready"],
        json!(true),
        "expected the ready line, got {ready}"
    );
    node
}

#[track_caller]
fn ok(function: &str, answer: Value) -> Value {
    match answer.get("ok") {
        Some(value) if answer.as_object().map(|o| o.len()) == Some(1) => value.clone(),
        _ => panic!("expected {function} to succeed under the npm package, got {answer}"),
    }
}

fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn the_grants_rules_hold_in_node_unit_tests() {
    // npm/test/grant.test.mjs: each origin and path rule on its own, with node's runner.
    let out = succeeds(
        "node --test",
        Command::new("node")
            .args(["--test", "test/"])
            .current_dir(package_source()),
    );
    assert!(
        out.contains("# fail 0"),
        "expected no failing rule, got\n{out}"
    );
}

#[test]
fn the_npm_package_logs_in_with_the_component_the_binary_embeds() {
    let server = konecty();
    let host = server.url();
    let home = Home::new();
    let dir = home.dir();
    let mut node = driver(&host, &dir, None);

    assert_eq!(
        node.call("grant", json!([{"host": host, "dir": dir}])),
        json!({"ok": std::fs::canonicalize(&dir).unwrap()}),
        "the grant of an existing directory"
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir), 0o700, "the directory the package created");

    for bad in [
        "ftp://example.com",
        "not a url",
        "https://user:secret@example.com",
    ] {
        let answer = node.call("grant", json!([{"host": bad, "dir": dir}]));
        assert_eq!(
            answer["err"]["name"],
            json!("GrantError"),
            "expected {bad:?} to be refused with a GrantError, got {answer}"
        );
        assert!(
            !answer.to_string().contains("secret"),
            "the refusal repeats the credentials: {answer}"
        );
    }

    assert_eq!(
        ok("loginOptions", node.call("loginOptions", json!([]))),
        json!({"passwordEnabled": true, "emailOtpEnabled": true, "whatsappOtpEnabled": true})
    );
    let sent = ok(
        "requestOtp",
        node.call("requestOtp", json!([{"tag": "email", "val": EMAIL}])),
    );
    assert_eq!(sent["remembered"], json!(true), "{sent}");
    assert_eq!(names(&dir), ["pending-otp"], "the remembered request");
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("pending-otp")), 0o600, "pending-otp's mode");

    let code = server.code_for(EMAIL).expect("the server issued a code");
    let session = ok(
        "verifyOtp",
        node.call(
            "verifyOtp",
            json!([{"tag": "email", "val": EMAIL}, code, null, null]),
        ),
    );
    let token = session["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 44, "a 44-character token, got {token:?}");
    ok(
        "saveSession",
        node.call(
            "saveSession",
            json!([session, {"envFile": true, "credentialsFile": true}]),
        ),
    );
    assert_eq!(names(&dir), [".env", "credentials"]);
    #[cfg(unix)]
    for name in [".env", "credentials"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}'s mode");
    }
    assert_eq!(
        ok("checkSession", node.call("checkSession", json!([token])))["loggedIn"],
        json!(true)
    );

    // The binary reads what the package wrote.
    home.run(&["--host", &host, "status"])
        .expect(OK)
        .says("Dev User");

    let out = ok("logout", node.call("logout", json!([])));
    assert_eq!(
        (&out["revokedOnServer"], &out["removedLocally"]),
        (&json!(true), &json!(true)),
        "{out}"
    );
    assert!(
        !read_or_empty(&dir.join(".env")).contains(&token),
        "the token is still in .env after logout"
    );
    let stderr = node.finish();
    assert!(
        !stderr.contains(&token) && !stderr.contains(&code),
        "the package printed a secret on stderr: {stderr}"
    );
}

#[test]
fn the_package_records_the_sha256_of_the_embedded_component() {
    let home = Home::new();
    let mut node = NodeSession::start_in(
        installed_project(),
        "package-driver.mjs",
        &["http://127.0.0.1:9".as_ref(), home.dir().as_os_str()],
    );
    let ready = node.next();
    let expected: String = konecty_session::sandbox::bindings::GUEST_COMPONENT_SHA256
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ready["componentSha256"], json!(expected), "{ready}");
    assert_eq!(ready["functions"], json!(API_FUNCTIONS));
}

#[test]
fn under_the_npm_package_the_hostile_component_is_refused_what_our_host_refuses() {
    let granted = CannedServer::json("200 OK", "{}");
    let other = CannedServer::json("200 OK", "{}");
    let home = Home::new();
    let dir = home.dir();
    std::fs::create_dir_all(&dir).unwrap();
    let secret = home.root().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, dir.join("link-out")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", dir.join("relative-link-out")).unwrap();
    }
    let mut node = driver(&granted.url(), &dir, Some(transpiled_hostile()));
    let mut probe = |probe: &str| node.call("requestOtp", json!([{"tag": "email", "val": probe}]));

    // The probes work: what the grant allows comes back as a BREACH report.
    let allowed = probe(&format!("other-origin={}/ok", granted.url()));
    assert!(
        allowed.to_string().contains("BREACH"),
        "expected the granted origin to be reachable, got {allowed}"
    );
    assert_eq!(granted.hits(), 1);

    let secret_path = secret.display().to_string();
    let refused = [
        format!("other-origin={}/steal", other.url()),
        format!(
            "other-origin=http://localhost:{}/other-name",
            granted.port()
        ),
        format!(
            "other-origin=https://127.0.0.1:{}/other-scheme",
            granted.port()
        ),
        "open-at=../secret.txt".to_string(),
        format!("open-at={secret_path}"),
        "open-at=link-out".to_string(),
        "open-at=relative-link-out".to_string(),
        format!("read={secret_path}"),
        "read=../secret.txt".to_string(),
        "write=../written.txt".to_string(),
        "env".to_string(),
        "stdin".to_string(),
    ];
    for what in refused {
        let answer = probe(&what);
        assert!(
            answer.get("ok").is_none() && !answer.to_string().contains("BREACH"),
            "expected {what} to be refused under Node, got {answer}"
        );
        assert!(
            !answer.to_string().contains("TOP-SECRET"),
            "{what} read the secret: {answer}"
        );
    }
    assert_eq!(other.hits(), 0, "the other origin received requests");
    assert_eq!(
        granted.hits(),
        1,
        "refused requests reached the granted origin"
    );
    assert!(
        !home.root().join("written.txt").exists(),
        "the hostile component wrote outside its directory"
    );
    drop(node);

    // A redirect to another origin: the shim does not follow it, and the component's own
    // request to the Location is refused like any other.
    let redirect = CannedServer::start(format!(
        "HTTP/1.1 302 Found\r\nlocation: {}/collect\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        other.url()
    ));
    let mut node = driver(&redirect.url(), &dir, Some(transpiled_hostile()));
    let answer = node.call(
        "requestOtp",
        json!([{"tag": "email", "val": "follow-redirect"}]),
    );
    assert!(
        answer.get("ok").is_none() && !answer.to_string().contains("BREACH"),
        "expected the redirect not to be followed, got {answer}"
    );
    assert_eq!(
        redirect.hits(),
        1,
        "the granted origin answered the first request"
    );
    assert_eq!(other.hits(), 0, "the redirect's target received a request");
}
