//! Real readers of the files our binary writes: the Konecty Node SDK and the `ini` package it
//! uses, Python's configparser and python-dotenv, and `sh`. Each logs in through the real
//! binary against the dev server, with HOME a temporary directory, then runs the reader.

use std::process::Command;

use serde_json::{Value, json};

use crate::external::{self, run};
use crate::support::*;

const USER_ID: &str = "devUser0000000001";

/// Two hosts logged in, in this order: the second is the default.
struct TwoLogins {
    home: Home,
    _servers: [konecty_session::dev_server::DevServer; 2],
    /// (host, token) per login.
    logins: [(String, String); 2],
}

fn two_logins() -> TwoLogins {
    let home = Home::new();
    let (first, second) = (konecty(), konecty());
    let first_token = home.login(&first);
    let second_token = home.login(&second);
    assert_ne!(first_token, second_token, "two logins, two tokens");
    TwoLogins {
        logins: [(first.url(), first_token), (second.url(), second_token)],
        home,
        _servers: [first, second],
    }
}

/// The `issuedAt` value of section `[name]` in a credentials text.
fn issued_at(credentials: &str, name: &str) -> String {
    let header = format!("[{name}]");
    credentials
        .lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| line.strip_prefix("issuedAt = "))
        .unwrap_or_else(|| panic!("no issuedAt in [{name}] of {credentials:?}"))
        .to_string()
}

#[test]
fn the_node_sdk_and_its_ini_package_read_each_host_and_the_default() {
    let logged_in = two_logins();
    let TwoLogins { home, logins, .. } = &logged_in;
    let [(first, first_token), (second, second_token)] = logins;
    let dir = external::node_packages();
    let out = run(Command::new("node")
        .arg(dir.join("sdk.mjs"))
        .args([first, second])
        .current_dir(dir)
        .env_clear()
        .env("HOME", home.root())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()))
    .json();
    let credentials = home.read("credentials");

    assert_eq!(
        out["versions"],
        json!({"sdk": "1.24.1", "ini": "3.0.1"}),
        "the pinned versions"
    );
    for (host, token) in logins {
        assert_eq!(
            out["sdk"][host],
            json!({
                "endpoint": host,
                "accessKey": token,
                "info": {"logged": true, "userId": USER_ID},
            }),
            "createClientFromCredentialFile({{endpoint: {host:?}}}) should give back that host \
             and its token, which the server accepts; the file was:\n{credentials}"
        );
    }

    assert_eq!(
        out["ini"]["default"],
        json!({
            "host": second,
            "userId": USER_ID,
            "authId": second_token,
            "issuedAt": issued_at(&credentials, "default"),
        }),
        "ini should read [default] as the last login; the file was:\n{credentials}"
    );
    // npm's ini splits section names on dots: `[http://127.0.0.1:PORT]` becomes
    // {"http://127": {"0": {"0": {"1:PORT": {…}}}}}, so no top-level key is named after a host.
    // The SDK still finds each section because lodash.get, which it looks sections up with,
    // splits the endpoint on the same dots.
    assert_eq!(
        out["ini"]["topLevelKeys"],
        json!(["default", "http://127"]),
        "ini's top-level keys; the file was:\n{credentials}"
    );
    for (host, token) in [(first, first_token), (second, second_token)] {
        let section = &out["ini"]["sections"][host];
        assert_eq!(
            section["atHostKey"],
            Value::Null,
            "ini splits [{host}] on its dots, so parse(text)[{host:?}] is undefined"
        );
        assert_eq!(
            section["atDottedHost"]["authId"],
            token.as_str(),
            "[{host}] read by ini and looked up by its dotted path, as the SDK does; got {section}"
        );
    }
}

#[test]
fn python_configparser_and_dotenv_read_the_same_values() {
    let logged_in = two_logins();
    let TwoLogins { home, logins, .. } = &logged_in;
    let [(first, _), (second, second_token)] = logins;
    let out = run(Command::new(external::python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/e2e/readers.py"
        ))
        .arg(home.dir())
        .args([first, second])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()))
    .json();
    let credentials = home.read("credentials");
    let env = home.read(".env");

    assert_eq!(
        out["configparser"]["sections"],
        json!(["default", first, second]),
        "configparser's sections; the file was:\n{credentials}"
    );
    let expected = |section: &str, host: &str, token: &str| {
        let issued = issued_at(&credentials, section);
        json!({
            // configparser lower-cases the names it lists (and would write them so).
            "items": {"host": host, "userid": USER_ID, "authid": token, "issuedat": issued},
            "lookups": {"host": host, "userId": USER_ID, "authId": token, "issuedAt": issued},
        })
    };
    assert_eq!(
        out["configparser"]["default"],
        expected("default", second, second_token),
        "configparser's [default]; the file was:\n{credentials}"
    );
    for (host, token) in logins {
        assert_eq!(
            out["configparser"]["hosts"][host],
            expected(host, host, token),
            "configparser's [{host}]; the file was:\n{credentials}"
        );
    }

    let values = json!({
        "KONECTY_URL": second,
        "KONECTY_TOKEN": second_token,
        "KONECTY_USER_ID": USER_ID,
    });
    assert_eq!(
        out["dotenv"]["values"], values,
        "python-dotenv's dotenv_values; the file was:\n{env}"
    );
    assert_eq!(
        out["dotenv"]["loaded"],
        json!(true),
        "load_dotenv found variables"
    );
    assert_eq!(
        out["dotenv"]["environ"], values,
        "os.environ after load_dotenv; the file was:\n{env}"
    );
}

#[test]
fn sh_sources_the_env_file_and_gets_the_token_exactly() {
    let server = konecty();
    let home = Home::new();
    let token = home.login(&server);
    let out = run(Command::new("sh")
        .args(["-c", ". ~/.konecty/.env; echo \"$KONECTY_TOKEN\""])
        .env_clear()
        .env("HOME", home.root())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(0), format!("{token}\n").as_str(), ""),
        "expected sh to print the token and nothing else; .env was:\n{}",
        home.read(".env")
    );
}

#[test]
fn an_ipv6_literal_host_cannot_garble_the_default_the_node_sdk_reads() {
    let home = Home::new();
    let literal = konecty_with(konecty_session::dev_server::DevServerConfig {
        listen: "[::1]:0".parse().unwrap(),
        ..Default::default()
    });
    let named = konecty();
    home.login(&literal);
    let named_token = home.login(&named);
    let credentials = home.read("credentials");
    assert!(
        !credentials.contains(&format!("[{}]", literal.url())),
        "expected no section named by the IPv6 literal (npm's ini cannot parse it), got:\n\
         {credentials}"
    );

    let dir = external::node_packages();
    let out = run(Command::new("node")
        .arg(dir.join("sdk.mjs"))
        .arg(named.url())
        .current_dir(dir)
        .env_clear()
        .env("HOME", home.root())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()))
    .json();
    assert_eq!(
        out["ini"]["default"]["authId"],
        json!(named_token),
        "ini should read [default] as the last login; the file was:\n{credentials}"
    );
    assert_eq!(
        out["sdk"][named.url()]["accessKey"],
        json!(named_token),
        "the SDK should find the named host's token; the file was:\n{credentials}"
    );
}
