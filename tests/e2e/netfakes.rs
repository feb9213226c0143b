//! Network fakes for the networks tests: a test CA made on the spot, a TLS front for the fake
//! Konecty, and a CONNECT proxy that logs what it was asked. All bind 127.0.0.1:0, stop on
//! drop, and map every host name they are asked for to 127.0.0.1, as the tests' names
//! (konecty.test) point nowhere else.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;

/// A certificate authority that exists for one test, its certificate in a PEM file.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: TempDir,
}

/// A server certificate and its key.
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).unwrap();
        TestCa { issuer, dir }
    }

    /// The CA's certificate, PEM.
    pub fn pem_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate for `names` (host names or IP addresses).
    pub fn issue(&self, names: &[&str]) -> ServerIdentity {
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        ServerIdentity {
            chain: vec![certificate.der().clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// Accepts connections on 127.0.0.1:0 until dropped, each handled on its own thread.
struct Acceptor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Acceptor {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let handle = Arc::new(handle);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                let handle = Arc::clone(&handle);
                std::thread::spawn(move || handle(stream));
            }
        });
        Acceptor {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// TLS in front of a plain-HTTP server (the fake Konecty): each request is read whole,
/// passed on, and the answer sent back.
pub struct TlsFront {
    acceptor: Acceptor,
}

impl TlsFront {
    pub fn start(backend: SocketAddr, identity: ServerIdentity) -> TlsFront {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .unwrap();
        let config = Arc::new(config);
        let acceptor = Acceptor::start(move |tcp| {
            let Ok(connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(connection, tcp);
            // A client that does not trust the certificate ends here, during the handshake.
            let Some(request) = read_request(&mut tls) else {
                return;
            };
            let Ok(mut upstream) = TcpStream::connect(backend) else {
                return;
            };
            let mut answer = Vec::new();
            if upstream.write_all(&request).is_ok() && upstream.read_to_end(&mut answer).is_ok() {
                let _ = tls.write_all(&answer);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        TlsFront { acceptor }
    }

    pub fn port(&self) -> u16 {
        self.acceptor.addr.port()
    }
}

/// One request a proxy received.
#[derive(Debug, Clone)]
pub struct ProxiedRequest {
    /// The request line: `CONNECT konecty.test:443 HTTP/1.1`, or an absolute-form one.
    pub line: String,
    /// Its Proxy-Authorization header, if any.
    pub authorization: Option<String>,
}

/// An HTTP proxy: CONNECT tunnels, and absolute-form requests for plain http. With
/// credentials set it answers 407 to requests without them.
pub struct ConnectProxy {
    acceptor: Acceptor,
    log: Arc<Mutex<Vec<ProxiedRequest>>>,
}

impl ConnectProxy {
    /// `credentials`: `user:password` it requires, if any.
    pub fn start(credentials: Option<&str>) -> ConnectProxy {
        use base64::Engine;
        let expected = credentials.map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let acceptor = Acceptor::start(move |client| {
            proxy_one(client, expected.as_deref(), &seen);
        });
        ConnectProxy { acceptor, log }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.acceptor.addr)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`.
    pub fn url_with(&self, credentials: &str) -> String {
        format!("http://{credentials}@{}", self.acceptor.addr)
    }

    pub fn requests(&self) -> Vec<ProxiedRequest> {
        self.log.lock().unwrap().clone()
    }
}

fn proxy_one(mut client: TcpStream, expected: Option<&str>, log: &Mutex<Vec<ProxiedRequest>>) {
    let Some((head, rest)) = read_head(&mut client) else {
        return;
    };
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let authorization = headers.iter().find_map(|h| {
        let (name, value) = h.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_string())
    });
    log.lock().unwrap().push(ProxiedRequest {
        line: line.clone(),
        authorization: authorization.clone(),
    });
    if expected.is_some() && authorization.as_deref() != expected {
        let _ = client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        return;
    }
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        let Some(upstream) = connect_to(target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .is_ok()
        {
            pipe(client, upstream, &rest);
        }
        return;
    }
    // Absolute form: `GET http://name:port/path HTTP/1.1`, passed on in origin form.
    let Some(after_scheme) = target.strip_prefix("http://") else {
        return;
    };
    let (authority, path) = after_scheme.find('/').map_or((after_scheme, "/"), |i| {
        (&after_scheme[..i], &after_scheme[i..])
    });
    let Some(mut upstream) = connect_to(authority) else {
        return;
    };
    let mut forwarded = format!("{method} {path} HTTP/1.1\r\n");
    for header in headers {
        if !header.to_ascii_lowercase().starts_with("proxy-") {
            forwarded.push_str(header);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("\r\n");
    if upstream.write_all(forwarded.as_bytes()).is_ok() {
        pipe(client, upstream, &rest);
    }
}

/// `name:port` on this machine, whatever the name.
fn connect_to(authority: &str) -> Option<TcpStream> {
    let port: u16 = authority.rsplit_once(':')?.1.parse().ok()?;
    TcpStream::connect(("127.0.0.1", port)).ok()
}

/// Copies both ways until each side closes; `early` is what the client sent past the head.
fn pipe(client: TcpStream, mut upstream: TcpStream, early: &[u8]) {
    if upstream.write_all(early).is_err() {
        return;
    }
    let (mut client_in, mut upstream_out) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let mut client_out = client;
    let _ = std::io::copy(&mut upstream, &mut client_out);
    let _ = client_out.shutdown(Shutdown::Write);
    let _ = forward.join();
}

/// The head up to the blank line, and any bytes read past it.
fn read_head(stream: &mut impl Read) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = seen.split_off(end + 4);
            seen.truncate(end);
            return Some((seen, rest));
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// A whole request: the head and a Content-Length body.
fn read_request(stream: &mut impl Read) -> Option<Vec<u8>> {
    let (head, mut body) = read_head(stream)?;
    let length: usize = String::from_utf8_lossy(&head)
        .to_ascii_lowercase()
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut buf = [0u8; 4096];
    while body.len() < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let mut request = head;
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(&body);
    Some(request)
}
