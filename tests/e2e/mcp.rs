//! `konecty-session mcp`: a real MCP session over the binary's stdin and stdout
//! (initialize, tools/list, tools/call), the OTP flow through the tools, and the token kept
//! out of the conversation.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// An MCP client speaking newline-delimited JSON-RPC to the binary.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// Every line the server wrote on stdout, to check what the model could have seen.
    transcript: Vec<String>,
    /// Everything it wrote on stderr, collected until it exits (a client may log it).
    stderr: Option<JoinHandle<String>>,
}

impl Client {
    fn start(home: &Home, args: &[&str]) -> Client {
        Client::start_with(home, args, "2025-06-18", json!({}))
    }

    /// A client of protocol revision `protocol` that declares `capabilities`.
    fn start_with(home: &Home, args: &[&str], protocol: &str, capabilities: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_konecty-session"))
            .env_clear()
            .env("HOME", home.root())
            .env("XDG_CACHE_HOME", shared_cache())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the konecty-session binary runs");
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut client = Client {
            child,
            stdin,
            lines,
            next_id: 1,
            transcript: Vec::new(),
            stderr: Some(stderr),
        };
        let init = client.request(
            "initialize",
            json!({
                "protocolVersion": protocol,
                "capabilities": capabilities,
                "clientInfo": {"name": "e2e", "version": "0"}
            }),
        );
        assert_eq!(
            init["result"]["serverInfo"]["name"], "konecty-session",
            "expected our server to introduce itself, got {init}"
        );
        assert!(
            init["result"]["capabilities"]["tools"].is_object(),
            "expected the tools capability, got {init}"
        );
        client.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        client
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").expect("the server reads its stdin");
        stdin.flush().unwrap();
    }

    /// Sends a request and returns the response with its id (skipping notifications).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_answering(method, params, |_, _| panic!("unexpected server request"))
    }

    /// Sends a request and returns its response; each request the server sends meanwhile
    /// (its own id, a method) goes to `answer`, whose value is the client's result for it.
    fn request_answering(
        &mut self,
        method: &str,
        params: Value,
        mut answer: impl FnMut(&str, &Value) -> Value,
    ) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next_message(method);
            match message.get("method").and_then(Value::as_str) {
                Some(asked) if message.get("id").is_some() => {
                    let result = answer(asked, &message["params"]);
                    self.send(&json!({"jsonrpc": "2.0", "id": message["id"], "result": result}));
                }
                Some(_) => {} // a notification
                None if message["id"] == json!(id) => return message,
                None => {}
            }
        }
    }

    fn next_message(&mut self, waiting_for: &str) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("no answer to {waiting_for} within 60 s"));
        self.transcript.push(line.clone());
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the server wrote a line that is not JSON ({e}): {line}"))
    }

    fn tool_names(&mut self) -> Vec<String> {
        let listed = self.request("tools/list", json!({}));
        let mut names: Vec<String> = listed["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("expected a tool list, got {listed}"))
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// Calls a tool; returns (is it an error, its structured content).
    fn call(&mut self, name: &str, arguments: Value) -> (bool, Value) {
        let answer = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        let result = &answer["result"];
        assert!(
            result.is_object(),
            "expected a result from {name}, got {answer}"
        );
        let structured = result["structuredContent"].clone();
        assert!(
            structured.is_object(),
            "expected structured content from {name}, got {answer}"
        );
        (result["isError"] == json!(true), structured)
    }

    /// Closes stdin, as a client does when it is done; the server must then exit 0.
    /// Returns what the server wrote: its stdout lines, and its stderr.
    fn finish(mut self) -> (String, String) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.take().unwrap().join().unwrap();
        assert!(
            status.success(),
            "expected the server to exit 0 at EOF, got {status}; stderr: {stderr}"
        );
        (self.transcript.join("\n"), stderr)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_otp_flow_runs_through_mcp_tools_and_the_token_stays_in_the_files() {
    let server = konecty();
    let home = Home::new();
    // --verbose: the server logs each request on stderr, which must still hold no secret.
    let mut client = Client::start(&home, &["--verbose", "--host", &server.url(), "mcp"]);

    assert_eq!(
        client.tool_names(),
        [
            "login",
            "login_options",
            "logout",
            "request_otp",
            "status",
            "verify_otp"
        ],
        "expected the six tools, without `token`"
    );

    let (failed, options) = client.call("login_options", json!({}));
    assert!(!failed, "login_options failed: {options}");
    assert_eq!(options["emailOtpEnabled"], true, "got {options}");

    let (failed, sent) = client.call("request_otp", json!({"email": EMAIL}));
    assert!(!failed, "request_otp failed: {sent}");
    assert_eq!(sent["channel"], "email", "got {sent}");
    let code = server.code_for(EMAIL).expect("the server issued a code");

    let (failed, saved) = client.call("verify_otp", json!({"code": code}));
    assert!(!failed, "verify_otp failed: {saved}");
    assert_eq!(
        saved["saved"],
        json!({"envFile": true, "credentialsFile": true}),
        "got {saved}"
    );
    let token = token_in(&home.read(".env"));

    let (failed, status) = client.call("status", json!({}));
    assert!(!failed, "status failed: {status}");
    assert_eq!(status["loggedIn"], true, "got {status}");

    let (failed, logout) = client.call("logout", json!({}));
    assert!(!failed, "logout failed: {logout}");
    assert_eq!(logout["revokedOnServer"], true, "got {logout}");

    let (conversation, log) = client.finish();
    no_secret_in(&conversation, &log, &[(&token, "token"), (&code, "code")]);
    assert!(
        log.contains("/api/auth/verify-otp"),
        "expected --verbose to log the requests on stderr, got: {log}"
    );
    // The conversation may hold the email (the model gave it, status names the user); the
    // log may not.
    assert!(
        !log.contains(EMAIL),
        "the email reached the server's stderr: {log}"
    );
}

#[test]
fn failures_are_tool_errors_with_the_cli_error_object() {
    let server = konecty();
    let home = Home::new();
    let mut client = Client::start(&home, &["--host", &server.url(), "mcp"]);

    let (failed, error) = client.call("request_otp", json!({"email": "not-an-email"}));
    assert!(failed, "expected an error for a bad email, got {error}");
    assert_eq!(error["error"]["kind"], "invalid-input", "got {error}");

    let (failed, error) = client.call("request_otp", json!({}));
    assert!(failed, "expected an error without a recipient, got {error}");
    assert_eq!(error["error"]["kind"], "usage", "got {error}");

    // Started with --host: the model cannot send the sandbox elsewhere.
    let other = konecty();
    let (failed, error) = client.call("login_options", json!({"host": other.url()}));
    assert!(failed, "expected the other host to be refused, got {error}");
    assert_eq!(error["error"]["kind"], "usage", "got {error}");
    assert_eq!(other.requests().len(), 0, "the other host was contacted");

    let (failed, status) = client.call("status", json!({"offline": true}));
    assert!(!failed, "status failed: {status}");
    assert_eq!(status["loggedIn"], false, "got {status}");

    // Arguments of the wrong type: rmcp answers with a tool error naming the problem.
    let answer = client.request(
        "tools/call",
        json!({"name": "verify_otp", "arguments": {"code": 123456}}),
    );
    assert!(
        answer["result"]["isError"] == json!(true)
            && answer.to_string().contains("expected a string"),
        "expected a tool error saying the code must be a string, got {answer}"
    );
    let sent = server.requests();
    assert!(
        sent.is_empty(),
        "expected every call here to be refused before sending, the server saw {sent:?}"
    );
    client.finish();
}

#[test]
fn a_server_that_cannot_start_says_so_on_stderr_and_keeps_stdout_for_the_protocol() {
    let home = Home::new();
    // No client at all: stdin is empty (/dev/null) before the handshake.
    let outcome = home.run(&["--json", "mcp"]);
    assert_ne!(outcome.code, OK, "expected a failure, got {outcome:?}");
    assert!(
        outcome.stdout.is_empty(),
        "expected nothing on stdout (it carries the protocol), got {outcome:?}"
    );
    assert!(
        outcome.stderr.contains("did not initialize") && outcome.stderr.lines().count() == 1,
        "expected one line saying the client did not initialize, got {outcome:?}"
    );
}

#[test]
fn the_token_tool_exists_only_when_exposed() {
    let server = konecty();
    let home = Home::new();
    home.login(&server);
    let token = token_in(&home.read(".env"));

    let mut client = Client::start(&home, &["--host", &server.url(), "mcp", "--expose-token"]);
    assert!(
        client.tool_names().contains(&"token".to_string()),
        "expected a token tool with --expose-token"
    );
    let (failed, answer) = client.call("token", json!({}));
    assert!(!failed, "token failed: {answer}");
    assert_eq!(answer["token"], json!(token), "got {answer}");
    client.finish();

    let mut client = Client::start(&home, &["--host", &server.url(), "mcp"]);
    let answer = client.request("tools/call", json!({"name": "token", "arguments": {}}));
    assert!(
        answer["error"].is_object() || answer["result"]["isError"] == json!(true),
        "expected calling the hidden token tool to fail, got {answer}"
    );
    assert!(
        !answer.to_string().contains(&token),
        "the token leaked: {answer}"
    );
    client.finish();
}

#[test]
fn no_tool_call_can_allow_a_private_network() {
    let server = CannedServer::json(
        "200 OK",
        r#"{"passwordEnabled":true,"emailOtpEnabled":true,"whatsAppOtpEnabled":false}"#,
    );
    let home = Home::new();
    let mut client = Client::start(
        &home,
        &[
            "--allow-insecure-http",
            "--resolve",
            "konecty.test=127.0.0.1",
            "mcp",
        ],
    );
    let host = format!("http://konecty.test:{}", server.port());
    // Whatever the arguments say, the network settings are the ones the server started with.
    let (is_error, content) = client.call(
        "login_options",
        json!({"host": host, "allowPrivateNetwork": true, "allow_private_network": true}),
    );
    assert!(is_error, "expected a refusal, got {content}");
    let message = content["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("--allow-private-network"),
        "expected the refusal to name the start flag, got {content}"
    );
    assert_eq!(server.hits(), 0, "the private address was reached");
    client.finish();
}

#[test]
fn the_verify_tool_sends_a_location_and_explains_when_one_was_missing() {
    let server = konecty_with(konecty_session::dev_server::DevServerConfig {
        require_geolocation: true,
        ..konecty_session::dev_server::DevServerConfig::default()
    });
    let home = Home::new();
    let mut client = Client::start(&home, &["--host", &server.url(), "mcp"]);

    let (failed, sent) = client.call("request_otp", json!({"email": EMAIL}));
    assert!(!failed, "request_otp failed: {sent}");
    let code = server.code_for(EMAIL).expect("the server issued a code");
    let (failed, error) = client.call("verify_otp", json!({"code": code}));
    assert!(
        failed,
        "expected a tool error without a location, got {error}"
    );
    assert_eq!(error["error"]["kind"], "rejected", "got {error}");
    let message = error["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("used the code up") && message.contains("--geolocation"),
        "expected the error to say the code is spent and how to send a location, got {message}"
    );

    // Out of range: refused before anything is sent.
    let before = server.requests().len();
    let (failed, error) = client.call(
        "verify_otp",
        json!({"code": "123456", "geolocation": {"latitude": 91.0, "longitude": 0.0}}),
    );
    assert!(
        failed,
        "expected a latitude of 91 to be refused, got {error}"
    );
    assert_eq!(error["error"]["kind"], "invalid-input", "got {error}");
    assert_eq!(server.requests().len(), before, "nothing may be sent");

    let (failed, sent) = client.call("request_otp", json!({"email": EMAIL}));
    assert!(!failed, "request_otp failed: {sent}");
    let code = server.code_for(EMAIL).expect("the server issued a code");
    let (failed, saved) = client.call(
        "verify_otp",
        json!({"code": code, "geolocation": {"latitude": -23.55, "longitude": -46.63}}),
    );
    assert!(!failed, "verify_otp with a location failed: {saved}");
    let verify = server
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/api/auth/verify-otp")
        .expect("a verify-otp request");
    let body: Value = serde_json::from_str(&verify.body).unwrap();
    assert_eq!(
        body["geolocation"],
        json!({"longitude": -46.63, "latitude": -23.55}),
        "{body}"
    );
    client.finish();
}

/// A client of MCP 2025-11-25 with these elicitation modes, on a server pinned to `server`.
fn elicitation_client(
    home: &Home,
    server: &konecty_session::dev_server::DevServer,
    verbose: bool,
    modes: Value,
) -> Client {
    let url = server.url();
    let mut args = vec!["--host", url.as_str(), "mcp"];
    if verbose {
        args.insert(0, "--verbose");
    }
    Client::start_with(home, &args, "2025-11-25", json!({ "elicitation": modes }))
}

/// Neither the client (`conversation`) nor the server's stderr (`log`) saw any secret.
#[track_caller]
fn no_secret_in(conversation: &str, log: &str, secrets: &[(&str, &str)]) {
    for (secret, what) in secrets {
        assert!(
            !conversation.contains(secret),
            "the {what} reached the client: {conversation}"
        );
        assert!(
            !log.contains(secret),
            "the {what} reached the server's stderr: {log}"
        );
    }
}

/// One HTTP/1.1 exchange with the code page: (status, body).
fn page_request(url: &str, method: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let rest = url
        .strip_prefix("http://")
        .expect("the page is plain http on loopback");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n");
    if !headers.iter().any(|(name, _)| *name == "host") {
        request.push_str(&format!("host: {authority}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("expected an HTTP answer from the code page, got {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
    (status, body.unwrap_or_default())
}

/// The form's token in the page.
fn form_token(page: &str) -> String {
    let start = page
        .find("name=token value=\"")
        .unwrap_or_else(|| panic!("expected the form's token in the page, got {page}"))
        + "name=token value=\"".len();
    page[start..].split('"').next().unwrap().to_string()
}

fn post_code(url: &str, origin: &str, token: &str, code: &str) -> (u16, String) {
    page_request(
        url,
        "POST",
        &[
            ("origin", origin),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        &format!("token={token}&code={code}"),
    )
}

#[test]
fn login_takes_the_code_on_a_loopback_page_and_the_client_never_sees_it() {
    let server = konecty();
    let home = Home::new();
    let mut client = elicitation_client(&home, &server, true, json!({"url": {}}));
    let mut elicited = Vec::new();
    let mut code = String::new();
    let answer = client.request_answering(
        "tools/call",
        json!({"name": "login", "arguments": {"email": EMAIL}}),
        |method, params| {
            assert_eq!(method, "elicitation/create", "expected only an elicitation");
            assert_eq!(params["mode"], json!("url"), "{params}");
            let url = params["url"].as_str().expect("a URL").to_string();
            elicited.push(params.clone());
            let origin = url[..url[7..].find('/').unwrap() + 7].to_string();
            assert!(
                origin.starts_with("http://127.0.0.1:"),
                "expected a page on 127.0.0.1, got {url}"
            );

            // The person opens the page: it says where the code went, masked.
            let (status, page) = page_request(&url, "GET", &[], "");
            assert_eq!(status, 200, "{page}");
            assert!(
                page.contains("d***@example.com"),
                "expected the masked email: {page}"
            );
            assert!(
                !page.contains(EMAIL),
                "the page shows the whole email: {page}"
            );
            let token = form_token(&page);

            // What is not the person at this page gets nothing.
            let elsewhere = format!("{origin}/not-the-page");
            assert_eq!(page_request(&elsewhere, "GET", &[], "").0, 404);
            let rebound = page_request(&url, "GET", &[("host", "attacker.example:80")], "");
            assert_eq!(rebound.0, 421, "a foreign Host: {rebound:?}");
            let forged = post_code(&url, "http://attacker.example", &token, "123456");
            assert_eq!(forged.0, 403, "a post from another origin: {forged:?}");
            let tokenless = post_code(&url, &origin, "wrong-token", "123456");
            assert_eq!(
                tokenless.0, 403,
                "a post without the form's token: {tokenless:?}"
            );

            code = server.code_for(EMAIL).expect("the server issued a code");
            let wrong = if code == "000000" { "111111" } else { "000000" };
            let (status, again) = post_code(&url, &origin, &token, wrong);
            assert_eq!(status, 200);
            assert!(
                again.contains("class=problem") && again.contains("name=code"),
                "expected the form again with the server's refusal, got {again}"
            );
            let (status, done) = post_code(&url, &origin, &token, &code);
            assert_eq!(status, 200);
            assert!(done.contains("Dev User is logged in"), "got {done}");
            assert_eq!(
                page_request(&url, "GET", &[], "").0,
                410,
                "the page must be single use"
            );
            json!({"action": "accept"})
        },
    );
    assert_eq!(
        elicited.len(),
        1,
        "expected one elicitation, got {elicited:?}"
    );
    let result = &answer["result"];
    assert_ne!(result["isError"], json!(true), "login failed: {answer}");
    assert_eq!(
        result["structuredContent"]["user"]["name"],
        json!("Dev User"),
        "{answer}"
    );
    let token = token_in(&home.read(".env"));
    assert!(home.read("credentials").contains(&token));

    let (conversation, log) = client.finish();
    no_secret_in(&conversation, &log, &[(&token, "token"), (&code, "code")]);
}

#[test]
fn login_without_url_elicitation_says_to_use_the_two_step_tools_and_sends_nothing() {
    let server = konecty();
    let home = Home::new();
    // Form mode only: not enough, the code is a secret.
    let mut client = elicitation_client(&home, &server, false, json!({"form": {}}));
    let (failed, answer) = client.call("login", json!({"email": EMAIL}));
    assert!(failed, "expected login to fail, got {answer}");
    assert_eq!(answer["error"]["kind"], json!("usage"), "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("request_otp") && message.contains("passes through the conversation"),
        "expected the two-step tools to be named, got {message}"
    );
    assert_eq!(server.code_for(EMAIL), None, "a code was sent anyway");
    client.finish();
}

#[test]
fn login_without_a_recipient_asks_for_it_in_a_form_then_takes_the_code_on_the_page() {
    let server = konecty();
    let home = Home::new();
    let mut client = elicitation_client(&home, &server, false, json!({"form": {}, "url": {}}));
    let mut modes = Vec::new();
    let answer = client.request_answering(
        "tools/call",
        json!({"name": "login", "arguments": {}}),
        |method, params| {
            assert_eq!(method, "elicitation/create");
            modes.push(params["mode"].as_str().unwrap_or_default().to_string());
            if params["mode"] == "form" {
                assert!(
                    params["requestedSchema"]["properties"]["recipient"].is_object(),
                    "expected the form to ask for the recipient, got {params}"
                );
                return json!({"action": "accept", "content": {"recipient": EMAIL}});
            }
            let url = params["url"].as_str().unwrap().to_string();
            let origin = url[..url[7..].find('/').unwrap() + 7].to_string();
            let (_, page) = page_request(&url, "GET", &[], "");
            assert!(page.contains("d***@example.com"), "{page}");
            let code = server
                .code_for(EMAIL)
                .expect("the code went to the form's address");
            let (status, done) = post_code(&url, &origin, &form_token(&page), &code);
            assert_eq!(status, 200, "{done}");
            json!({"action": "accept"})
        },
    );
    assert_eq!(modes, ["form", "url"], "the address first, then the page");
    assert_eq!(
        answer["result"]["structuredContent"]["user"]["name"],
        json!("Dev User"),
        "{answer}"
    );
    client.finish();
}
