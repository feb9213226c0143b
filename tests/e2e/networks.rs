//! Networks users actually sit on: a CONNECT proxy (agent sandboxes, companies), a private
//! CA (TLS inspection, self-hosted), a Konecty on a private network, and a loopback-only
//! network namespace with a proxy as the only way out. Every server is on 127.0.0.1:0; the
//! tests' name `konecty.test` resolves nowhere, so a run that reaches it went through the
//! proxy (or `--resolve`).

use konecty_session_test_components::HOSTILE_COMPONENT;

use crate::netfakes::{ConnectProxy, TestCa, TlsFront};
use crate::support::*;

const NAME: &str = "konecty.test";
/// Proxy credentials: they must reach the proxy and nothing else.
const PROXY_USER: &str = "agent";
const PROXY_PASSWORD: &str = "pr0xy-s3cret";

/// The fake Konecty behind TLS, with a certificate from a CA made for the test.
struct SecureKonecty {
    konecty: konecty_session::dev_server::DevServer,
    front: TlsFront,
    ca: TestCa,
}

impl SecureKonecty {
    fn start() -> SecureKonecty {
        let konecty = konecty();
        let ca = TestCa::new("konecty-session test CA");
        let front = TlsFront::start(konecty.addr(), ca.issue(&[NAME, "127.0.0.1"]));
        SecureKonecty { konecty, front, ca }
    }

    /// `https://konecty.test:PORT`: reachable only through the proxy or `--resolve`.
    fn named_url(&self) -> String {
        format!("https://{NAME}:{}", self.front.port())
    }

    /// `https://127.0.0.1:PORT`: reachable directly.
    fn literal_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.front.port())
    }

    fn ca_file(&self) -> String {
        self.ca.pem_file().display().to_string()
    }
}

fn credentials() -> String {
    format!("{PROXY_USER}:{PROXY_PASSWORD}")
}

/// Asserts that no text holds the proxy password, plain or base64-encoded.
#[track_caller]
fn assert_no_proxy_secret(what: &str, text: &str) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials());
    assert!(
        !text.contains(PROXY_PASSWORD) && !text.contains(&encoded),
        "the proxy credentials leaked into {what}: {text}"
    );
}

/// request-otp, verify-otp, status and logout against `host`, with `flags` before the
/// command and `env` set; every step must succeed. Returns everything printed.
fn whole_login(
    home: &Home,
    server: &SecureKonecty,
    host: &str,
    flags: &[&str],
    env: &[(&str, &str)],
) -> String {
    let run = |command: &[&str], stdin: Option<&str>| {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend_from_slice(&["--host", host]);
        args.extend_from_slice(command);
        let outcome = home.run_with(&args, stdin, env);
        outcome.expect(OK);
        format!("{}{}", outcome.stdout, outcome.stderr)
    };
    let mut printed = run(&["request-otp", "--email", EMAIL], None);
    let code = server
        .konecty
        .code_for(EMAIL)
        .expect("the server issued a code through the proxy");
    printed += &run(&["verify-otp", "--otp-stdin"], Some(&code));
    let token = token_in(&home.read(".env"));
    printed += &run(&["status"], None);
    printed += &run(&["logout"], None);
    assert!(
        !printed.contains(&token),
        "the token was printed: {printed}"
    );
    printed
}

#[test]
fn the_whole_login_goes_through_a_connect_proxy_trusting_the_ca_in_ssl_cert_file() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(Some(&credentials()));
    let home = Home::new();
    let audit = home.root().join("audit.jsonl");
    let audit_flag = audit.display().to_string();
    let proxy_url = proxy.url_with(&credentials());
    let printed = whole_login(
        &home,
        &server,
        &server.named_url(),
        &["--verbose", "--audit", &audit_flag],
        &[
            ("HTTPS_PROXY", &proxy_url),
            ("SSL_CERT_FILE", &server.ca_file()),
        ],
    );

    let requests = proxy.requests();
    let target = format!("CONNECT {NAME}:{} HTTP/1.1", server.front.port());
    assert!(
        requests.len() >= 4 && requests.iter().all(|r| r.line == target),
        "expected every request tunnelled as {target:?}, got {requests:?}"
    );
    assert!(
        requests.iter().all(|r| r
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))),
        "the credentials must reach the proxy on every CONNECT: {requests:?}"
    );
    // The proxy saw only the tunnel: the code and the token travelled inside TLS.
    let via = format!("via proxy {}", proxy.url());
    assert!(
        printed.contains(&via),
        "--verbose should say {via:?}: {printed}"
    );
    assert_no_proxy_secret("the output", &printed);
    let trail = std::fs::read_to_string(&audit).unwrap();
    assert!(
        trail.contains(&format!("\"proxy\":\"{}\"", proxy.url())),
        "the audit trail should name the proxy: {trail}"
    );
    assert_no_proxy_secret("the audit trail", &trail);
    assert_no_proxy_secret(".env", &home.read(".env"));
    assert_no_proxy_secret("credentials", &home.read("credentials"));
}

#[test]
fn the_whole_login_goes_through_a_lower_case_proxy_variable_trusting_cacert() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(None);
    let home = Home::new();
    let ca = server.ca_file();
    whole_login(
        &home,
        &server,
        &server.named_url(),
        &["--cacert", &ca],
        &[("https_proxy", &proxy.url())],
    );
    assert!(
        proxy.requests().len() >= 4,
        "expected the login tunnelled, got {:?}",
        proxy.requests()
    );
}

#[test]
fn the_proxy_flag_overrides_the_environment_and_no_proxy_flag_ignores_it() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(None);
    let home = Home::new();
    let ca = server.ca_file();
    let dead_proxy = format!("http://127.0.0.1:{}", closed_port());
    let env = [("HTTPS_PROXY", dead_proxy.as_str())];
    let options = |flags: &[&str], host: &str| {
        let mut args = vec!["--cacert", ca.as_str()];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--host", host, "login-options"]);
        home.run_with(&args, None, &env)
    };
    options(&["--proxy", &proxy.url()], &server.named_url()).expect(OK);
    assert_eq!(proxy.requests().len(), 1, "{:?}", proxy.requests());
    // --no-proxy: straight to the address, past the dead proxy of the environment.
    options(&["--no-proxy"], &server.literal_url()).expect(OK);
    // The environment's dead proxy, used: a clear line naming it.
    options(&[], &server.named_url())
        .expect(UNAVAILABLE)
        .says(&format!(
            "through the proxy {dead_proxy}: cannot connect to it"
        ))
        .one_error_line();
}

#[test]
fn no_proxy_sends_the_listed_hosts_direct() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(None);
    let home = Home::new();
    let ca = server.ca_file();
    for no_proxy in [
        ("no_proxy", "127.0.0.1"),
        ("NO_PROXY", "localhost,127.0.0.0/8"),
        ("no_proxy", "*"),
    ] {
        home.run_with(
            &[
                "--cacert",
                &ca,
                "--host",
                &server.literal_url(),
                "login-options",
            ],
            None,
            &[("https_proxy", &proxy.url()), no_proxy],
        )
        .expect(OK);
    }
    assert!(
        proxy.requests().is_empty(),
        "no_proxy hosts must not reach the proxy: {:?}",
        proxy.requests()
    );
}

#[test]
fn a_proxy_that_wants_credentials_is_told_plainly_and_the_password_is_never_shown() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(Some(&credentials()));
    let home = Home::new();
    let ca = server.ca_file();
    let host = server.named_url();
    let without = home.run(&[
        "--cacert",
        &ca,
        "--proxy",
        &proxy.url(),
        "--host",
        &host,
        "login-options",
    ]);
    without
        .expect(UNAVAILABLE)
        .says("asks for credentials (407)")
        .one_error_line();
    let wrong = proxy.url_with(&format!("{PROXY_USER}:wrong-{PROXY_PASSWORD}"));
    let refused = home.run(&[
        "--cacert",
        &ca,
        "--proxy",
        &wrong,
        "--host",
        &host,
        "login-options",
        "--json",
    ]);
    refused.expect(UNAVAILABLE);
    let error = json_error(&refused);
    assert_eq!(error["kind"], "network", "got {error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("refused the credentials")),
        "got {error}"
    );
    assert!(
        !refused.stdout.contains(PROXY_PASSWORD),
        "{}",
        refused.stdout
    );
}

#[test]
fn plain_http_goes_through_the_proxy_in_absolute_form_with_its_credentials() {
    let konecty = konecty();
    let proxy = ConnectProxy::start(Some(&credentials()));
    let home = Home::new();
    let host = format!("http://{NAME}:{}", konecty.addr().port());
    home.run_with(
        &["--allow-insecure-http", "--host", &host, "login-options"],
        None,
        &[("http_proxy", &proxy.url_with(&credentials()))],
    )
    .expect(OK);
    let requests = proxy.requests();
    let expected = format!("GET {host}/api/auth/login-options HTTP/1.1");
    assert!(
        requests.len() == 1 && requests[0].line == expected && requests[0].authorization.is_some(),
        "expected one {expected:?} with credentials, got {requests:?}"
    );
    // HTTP_PROXY is what a CGI server sets from a request header: never read (httpoxy).
    let upper = home.run_with(
        &[
            "--allow-insecure-http",
            "--timeout",
            "3",
            "--host",
            &host,
            "login-options",
        ],
        None,
        &[("HTTP_PROXY", &proxy.url_with(&credentials()))],
    );
    upper.expect(UNAVAILABLE);
    assert_eq!(proxy.requests().len(), 1, "HTTP_PROXY was used");
}

#[test]
fn an_untrusted_certificate_is_one_clear_line_and_nothing_is_written() {
    let server = SecureKonecty::start();
    let home = Home::new();
    let other_ca = TestCa::new("someone else's CA");
    let other = other_ca.pem_file().display().to_string();
    let host = server.literal_url();
    for flags in [vec![], vec!["--cacert", other.as_str()]] {
        let mut args = flags.clone();
        args.extend_from_slice(&["--host", &host, "request-otp", "--email", EMAIL]);
        home.run(&args)
            .expect(UNAVAILABLE)
            .says("the certificate of 127.0.0.1 is not trusted")
            .says("--cacert")
            .one_error_line();
    }
    let json = home.run(&[
        "--host",
        &server.literal_url(),
        "request-otp",
        "--email",
        EMAIL,
        "--json",
    ]);
    assert_eq!(json_error(json.expect(UNAVAILABLE))["kind"], "certificate");
    assert!(
        server.konecty.code_for(EMAIL).is_none(),
        "no request may reach the server over an untrusted connection"
    );
    let written: Vec<_> = std::fs::read_dir(home.dir())
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        written.iter().all(|name| name == ".lock"),
        "nothing may be written, found {written:?}"
    );
}

#[test]
fn unusable_network_settings_are_usage_errors_that_hide_credentials() {
    let home = Home::new();
    for (flags, env, expected) in [
        (
            vec!["--proxy", "socks5h://u:hidden-pw@127.0.0.1:1"],
            vec![],
            "--proxy: SOCKS",
        ),
        (
            vec![],
            vec![("HTTPS_PROXY", "https://u:hidden-pw@127.0.0.1:1")],
            "HTTPS_PROXY: https:// proxies",
        ),
        (
            vec!["--proxy", "http://u:hidden@pw@127.0.0.1:1"],
            vec![],
            "as %40",
        ),
        (
            vec!["--cacert", "/nonexistent/ca.pem"],
            vec![],
            "--cacert /nonexistent/ca.pem: cannot read it",
        ),
        (
            vec![],
            vec![("KONECTY_ALLOW_PRIVATE_NETWORK", "maybe")],
            "KONECTY_ALLOW_PRIVATE_NETWORK must be 1 or 0",
        ),
    ] {
        let mut args = flags.clone();
        args.extend_from_slice(&["--host", "https://app.konecty.com", "login-options"]);
        home.run_with(&args, None, &env)
            .expect(USAGE)
            .says(expected)
            .never_says("hidden-pw")
            .one_error_line();
    }
    home.run(&[
        "--proxy",
        "http://127.0.0.1:1",
        "--no-proxy",
        "status",
        "--offline",
    ])
    .expect(USAGE);
    // A variable is judged when a request would use it: commands that send nothing, and
    // hosts no_proxy exempts, are not stopped by it.
    let socks = [("ALL_PROXY", "socks5h://u:hidden-pw@127.0.0.1:1")];
    home.run_with(&["status", "--offline"], None, &socks)
        .expect(REFUSED)
        .never_says("SOCKS");
    let konecty = konecty();
    let mut exempt = socks.to_vec();
    exempt.push(("no_proxy", "127.0.0.1"));
    home.run_with(&["--host", &konecty.url(), "login-options"], None, &exempt)
        .expect(OK);
}

#[test]
fn ssl_cert_dir_and_no_proxy_domain_suffixes_work_as_in_curl() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(None);
    let home = Home::new();
    let certs = tempfile::tempdir().unwrap();
    std::fs::copy(server.ca.pem_file(), certs.path().join("test-ca.pem")).unwrap();
    let resolve = format!("{NAME}=127.0.0.1");
    let cert_dir = certs.path().display().to_string();
    // `.test` covers konecty.test: direct, to the address --resolve pins (a private one).
    home.run_with(
        &[
            "--resolve",
            &resolve,
            "--allow-private-network",
            "--host",
            &server.named_url(),
            "login-options",
        ],
        None,
        &[
            ("https_proxy", &proxy.url()),
            ("no_proxy", ".test"),
            ("SSL_CERT_DIR", &cert_dir),
        ],
    )
    .expect(OK);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    // An empty SSL_CERT_FILE is set: nothing is trusted, and the line says why.
    home.run_with(
        &["--host", &server.literal_url(), "login-options"],
        None,
        &[("SSL_CERT_FILE", "")],
    )
    .expect(UNAVAILABLE)
    .says("SSL_CERT_FILE / SSL_CERT_DIR: no certificate could be read from them")
    .one_error_line();
}

#[test]
fn a_hostile_component_cannot_use_the_proxy_to_reach_another_origin() {
    let server = SecureKonecty::start();
    let proxy = ConnectProxy::start(None);
    let home = Home::new();
    for target in [
        "https://evil.test/steal".to_string(),
        format!("http://{NAME}:{}/other-scheme", server.front.port()),
        format!("https://{NAME}:1/other-port"),
    ] {
        home.run_with(
            &[
                "--component",
                HOSTILE_COMPONENT,
                "--host",
                &server.named_url(),
                "request-otp",
                "--email",
                &format!("other-origin={target}"),
            ],
            None,
            &[("https_proxy", &proxy.url()), ("http_proxy", &proxy.url())],
        )
        .expect(UNAVAILABLE)
        .says("is not the granted origin")
        .never_says("BREACH");
    }
    assert!(
        proxy.requests().is_empty(),
        "the proxy must see nothing of a refused request: {:?}",
        proxy.requests()
    );
}

/// `login-options` for `https://konecty.test` pinned to `address`, trusting the test CA.
fn pinned_options(
    home: &Home,
    server: &SecureKonecty,
    address: &str,
    flags: &[&str],
    env: &[(&str, &str)],
) -> Outcome {
    let resolve = format!("{NAME}={address}");
    let (host, ca) = (server.named_url(), server.ca_file());
    let mut args = vec!["--timeout", "2", "--cacert", &ca, "--resolve", &resolve];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--host", &host, "login-options"]);
    home.run_with(&args, None, env)
}

#[test]
fn a_private_network_is_reached_only_with_the_flag_and_metadata_never() {
    // A self-hosted Konecty with a private CA, its name on a private network (here loopback).
    let server = SecureKonecty::start();
    let home = Home::new();
    pinned_options(&home, &server, "127.0.0.1", &[], &[])
        .expect(UNAVAILABLE)
        .says("konecty.test resolves to 127.0.0.1, a loopback address")
        .says("pass --allow-private-network")
        .one_error_line();
    assert!(
        server.konecty.requests().is_empty(),
        "refused before connecting"
    );
    pinned_options(
        &home,
        &server,
        "127.0.0.1",
        &["--allow-private-network"],
        &[],
    )
    .expect(OK);
    pinned_options(
        &home,
        &server,
        "127.0.0.1",
        &[],
        &[("KONECTY_ALLOW_PRIVATE_NETWORK", "1")],
    )
    .expect(OK);
    assert_eq!(server.konecty.requests().len(), 2);
    for metadata in [
        "169.254.169.254",
        "169.254.170.2",
        "100.100.100.200",
        "fd00:ec2::254",
    ] {
        pinned_options(&home, &server, metadata, &["--allow-private-network"], &[])
            .expect(UNAVAILABLE)
            .says("a cloud metadata address")
            .never_says("pass --allow-private-network")
            .one_error_line();
    }
}

#[test]
fn inside_a_loopback_only_namespace_the_proxy_is_the_way_out() {
    // Outside the namespace: a server the run inside must not be able to reach.
    let outside = CannedServer::json("200 OK", "{}");
    let outside_url = outside.url();
    let inside = std::thread::spawn(move || {
        // A network namespace of this thread only, as agent sandboxes make (`unshare -n`).
        // SAFETY: only this thread's network namespace changes; no other state is shared.
        if let Err(e) =
            unsafe { rustix::thread::unshare_unsafe(rustix::thread::UnshareFlags::NEWNET) }
        {
            return Err(format!("cannot unshare the network namespace ({e})"));
        }
        let up = std::process::Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status();
        if !up.is_ok_and(|s| s.success()) {
            return Err("cannot bring up loopback with `ip` (iproute2)".into());
        }
        // Servers and runs started from this thread live in the namespace.
        let server = SecureKonecty::start();
        let proxy = ConnectProxy::start(None);
        let home = Home::new();
        let ca = server.ca_file();
        let through = home.run_with(
            &[
                "--cacert",
                &ca,
                "--host",
                &server.named_url(),
                "login-options",
                "--json",
            ],
            None,
            &[("HTTPS_PROXY", &proxy.url())],
        );
        through.expect(OK);
        assert!(
            through.stdout.contains("emailOtp"),
            "expected the login options, got {}",
            through.stdout
        );
        assert_eq!(proxy.requests().len(), 1, "{:?}", proxy.requests());
        // Without the proxy, the loopback outside is out of reach.
        home.run_with(&["--host", &outside_url, "login-options"], None, &[])
            .expect(UNAVAILABLE);
        Ok(())
    });
    match inside.join().expect("the namespace thread") {
        Ok(()) => assert_eq!(
            outside.hits(),
            0,
            "the namespace reached the outside loopback"
        ),
        Err(why) => eprintln!("skipped: {why}"),
    }
}
