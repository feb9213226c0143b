//! A local Konecty-compatible auth server: `konecty-session dev-server`, `demo`, and the
//! end-to-end tests. It follows the behaviour described in konecty-auth-api.md (status
//! codes, messages, 5-minute codes, 3 tries, 5 requests a minute, 44-character tokens) but
//! prints codes instead of mailing them. Plain HTTP on loopback; not for production.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const NOT_REGISTERED: &str = "Não foi possível enviar o código de verificação. Verifique seus dados de cadastro com o administrador.";
const MAX_TRIES: u32 = 3;
const REQUESTS_PER_MINUTE: usize = 5;
const MAX_REQUEST: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct DevUser {
    pub id: String,
    pub name: String,
    pub email: String,
    /// E.164, such as `+5511999999999`.
    pub phone: String,
}

#[derive(Debug, Clone)]
pub struct DevServerConfig {
    pub listen: SocketAddr,
    pub email_otp: bool,
    pub whatsapp_otp: bool,
    pub users: Vec<DevUser>,
    pub code_lifetime: Duration,
    /// As a namespace with `trackUserGeolocation`: verify-otp without a location fails
    /// with `Geolocation required`, after the code was used up.
    pub require_geolocation: bool,
    /// Print each code on stderr (the dev-server command); tests read them through
    /// [`DevServer::code_for`] instead.
    pub announce_codes: bool,
}

impl Default for DevServerConfig {
    fn default() -> Self {
        DevServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            email_otp: true,
            whatsapp_otp: true,
            users: vec![DevUser {
                id: "devUser0000000001".into(),
                name: "Dev User".into(),
                email: "dev@example.com".into(),
                phone: "+5511999999999".into(),
            }],
            code_lifetime: Duration::from_secs(5 * 60),
            require_geolocation: false,
            announce_codes: false,
        }
    }
}

/// One request as the server saw it, for tests.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub body: String,
}

struct Pending {
    code: String,
    issued: Instant,
    tries: u32,
}

#[derive(Default)]
struct State {
    clock_offset: Duration,
    pending: HashMap<String, Pending>,
    recent_requests: HashMap<String, Vec<Instant>>,
    sessions: HashMap<String, usize>,
    seen: Vec<SeenRequest>,
}

struct Shared {
    config: DevServerConfig,
    state: Mutex<State>,
    stop: AtomicBool,
}

/// A running server; stops when dropped.
pub struct DevServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl DevServer {
    pub fn start(config: DevServerConfig) -> io::Result<DevServer> {
        let listener = TcpListener::bind(config.listen)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            state: Mutex::default(),
            stop: AtomicBool::new(false),
        });
        let serving = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if serving.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve(&serving, stream);
                }
            }
        });
        Ok(DevServer {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, such as `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The pending code for an email or phone, if one was requested.
    pub fn code_for(&self, identifier: &str) -> Option<String> {
        self.state()
            .pending
            .get(&identifier.to_ascii_lowercase())
            .map(|p| p.code.clone())
    }

    /// Moves the server's clock forward, to expire codes without waiting.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock_offset += by;
    }

    /// Forgets every session, as if they had all expired.
    pub fn expire_sessions(&self) {
        self.state().sessions.clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state().seen.clone()
    }

    /// Blocks until the process is stopped (the dev-server command).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Ok(());
    };
    let (mut length, mut authorization, mut chunked) = (0usize, None, false);
    let mut user_agent = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0).min(MAX_REQUEST),
                "authorization" => authorization = Some(value.trim().to_string()),
                "user-agent" => user_agent = Some(value.trim().to_string()),
                "transfer-encoding" => chunked = true,
                _ => {}
            }
        }
    }
    let mut stream = stream;
    if chunked {
        let text = r#"{"success":false,"errors":[{"message":"send a content-length"}]}"#;
        return write!(
            stream,
            "HTTP/1.1 411 Length Required\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            text.len()
        );
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let (status, answer) = {
        let mut state = lock(shared);
        state.seen.push(SeenRequest {
            method: method.to_string(),
            path: path.to_string(),
            authorization: authorization.clone(),
            user_agent: user_agent.clone(),
            body: body.clone(),
        });
        route(
            &shared.config,
            &mut state,
            method,
            path,
            authorization.as_deref(),
            &body,
        )
    };
    let text = answer.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    stream.flush()
}

fn failure(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "success": false, "errors": [{ "message": message }] }),
    )
}

fn route(
    config: &DevServerConfig,
    state: &mut State,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let token = authorization.map(|a| a.strip_prefix("Bearer ").unwrap_or(a));
    match (method, path) {
        ("GET", "/api/auth/login-options") => (
            200,
            json!({
                "passwordEnabled": true,
                "emailOtpEnabled": config.email_otp,
                "whatsAppOtpEnabled": config.whatsapp_otp,
            }),
        ),
        ("POST", "/api/auth/request-otp") => request_otp(config, state, body),
        ("POST", "/api/auth/verify-otp") => verify_otp(config, state, body),
        ("GET", "/rest/auth/info") => match token.and_then(|t| state.sessions.get(t)) {
            Some(&user) => (
                200,
                json!({ "logged": true, "user": user_json(&config.users[user]) }),
            ),
            None => (200, json!({ "logged": false, "user": null })),
        },
        ("GET", "/rest/auth/logout") => match token.and_then(|t| state.sessions.remove(t)) {
            Some(_) => (200, json!({ "success": true })),
            None => failure(200, "User not found"),
        },
        _ => failure(404, "Not found"),
    }
}

/// The identifier, lower-cased, and the user it names; or the server's error answer.
fn identify(config: &DevServerConfig, body: &Value) -> Result<(String, bool, usize), (u16, Value)> {
    let email = body.get("email").and_then(Value::as_str);
    let phone = body.get("phoneNumber").and_then(Value::as_str);
    let (identifier, is_email) = match (email, phone) {
        (Some(e), None) => (e, true),
        (None, Some(p)) => (p, false),
        _ => {
            return Err(failure(
                400,
                "Either phoneNumber or email must be provided (but not both)",
            ));
        }
    };
    if is_email && !looks_like_email(identifier) {
        return Err(failure(400, "Invalid email format"));
    }
    if !is_email && !is_e164(identifier) {
        return Err(failure(
            400,
            "Invalid phone number format. Must be in E.164 format (e.g., +5511999999999)",
        ));
    }
    let user = config.users.iter().position(|u| {
        if is_email {
            u.email.eq_ignore_ascii_case(identifier)
        } else {
            u.phone == identifier
        }
    });
    match user {
        Some(user) => Ok((identifier.to_ascii_lowercase(), is_email, user)),
        None => Err(failure(404, NOT_REGISTERED)),
    }
}

fn request_otp(config: &DevServerConfig, state: &mut State, body: &str) -> (u16, Value) {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return failure(400, "Invalid JSON body");
    };
    let (identifier, is_email, _) = match identify(config, &body) {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let now = Instant::now() + state.clock_offset;
    let recent = state.recent_requests.entry(identifier.clone()).or_default();
    recent.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
    if recent.len() >= REQUESTS_PER_MINUTE {
        return failure(429, "Too many requests. Please try again later.");
    }
    recent.push(now);
    let channel_on = if is_email {
        config.email_otp
    } else {
        config.whatsapp_otp
    };
    if !channel_on {
        return failure(400, "OTP login is not enabled for this channel");
    }
    let code = format!("{:06}", random_u32() % 1_000_000);
    if config.announce_codes {
        let channel = if is_email { "email" } else { "whatsapp" };
        // A closed stderr is no reason to fail the request (eprintln! would panic).
        let _ = writeln!(
            io::stderr(),
            "dev-server: code for {identifier} via {channel}: {code}"
        );
    }
    state.pending.insert(
        identifier,
        Pending {
            code,
            issued: now,
            tries: 0,
        },
    );
    let via = if is_email { "email" } else { "whatsapp" };
    (
        200,
        json!({ "success": true, "message": format!("OTP sent via {via}") }),
    )
}

fn verify_otp(config: &DevServerConfig, state: &mut State, body: &str) -> (u16, Value) {
    let Ok(body) = serde_json::from_str::<Value>(body) else {
        return failure(400, "Invalid JSON body");
    };
    let (identifier, _, user) = match identify(config, &body) {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let code = body.get("otpCode").and_then(Value::as_str).unwrap_or("");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return failure(400, "Invalid OTP code format. Must be 6 digits");
    }
    let now = Instant::now() + state.clock_offset;
    let expired = state
        .pending
        .get(&identifier)
        .is_none_or(|p| now.duration_since(p.issued) > config.code_lifetime);
    if expired {
        state.pending.remove(&identifier);
        return failure(400, "OTP not found or expired. Please request a new OTP.");
    }
    let Some(pending) = state.pending.get_mut(&identifier) else {
        return failure(400, "OTP not found or expired. Please request a new OTP.");
    };
    if pending.tries >= MAX_TRIES {
        return failure(
            400,
            "Maximum verification attempts exceeded. Please request a new OTP.",
        );
    }
    if pending.code != code {
        pending.tries += 1;
        return failure(400, "Invalid OTP code");
    }
    state.pending.remove(&identifier);
    let token = new_token();
    state.sessions.insert(token.clone(), user);
    // As Konecty: the code is used up and a session made before the location is checked.
    let located = body.get("geolocation").is_some_and(|g| {
        g.get("longitude").is_some_and(Value::is_number)
            && g.get("latitude").is_some_and(Value::is_number)
    });
    if config.require_geolocation && !located {
        return failure(400, "Geolocation required");
    }
    (
        200,
        json!({ "success": true, "logged": true, "authId": token, "user": user_json(&config.users[user]) }),
    )
}

fn user_json(user: &DevUser) -> Value {
    json!({
        "_id": user.id,
        "access": {},
        "admin": false,
        "email": user.email,
        "group": { "_id": "devGroup", "name": "Dev" },
        "locale": "pt_BR",
        "login": user.email,
        "name": user.name,
        "namespace": { "_id": "dev" },
        "role": { "_id": "devRole", "name": "User" },
    })
}

fn looks_like_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let word = |s: &str| !s.is_empty() && !s.contains('@') && !s.chars().any(char::is_whitespace);
    let dotted = domain
        .char_indices()
        .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len());
    word(local) && word(domain) && dotted
}

fn is_e164(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or("");
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    u32::from_le_bytes(bytes)
}

/// 32 random bytes in standard base64: 44 characters with `+`, `/` and `=`, like Konecty's.
fn new_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
