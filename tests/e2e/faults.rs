//! Servers that misbehave at the transport level: never answer, answer without end, or hang
//! up halfway. Each run must end quickly with one error line (exit 3) and write nothing.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::*;

/// How long any run in this file may take. The limits under test are 2 s (`--timeout 2`)
/// or immediate (the body cap); the margin is for a slow machine, not for the binary.
const FAST: Duration = Duration::from_secs(15);

/// What a misbehaving server does with one connection once it has read the request.
type Behaviour = dyn Fn(&Request, &mut TcpStream) + Send + Sync + 'static;

/// An open connection (a handle to shut it down) and the thread serving it.
type Served = Vec<(TcpStream, JoinHandle<()>)>;

/// The request line of what the client sent.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    path: String,
}

/// A raw-TCP server on 127.0.0.1:0 that reads each request, then hands the connection to its
/// behaviour on a thread of its own. Dropping it shuts every connection down, so no
/// behaviour outlives the test.
struct RawServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    served: Arc<Mutex<Served>>,
}

impl RawServer {
    fn start(behaviour: impl Fn(&Request, &mut TcpStream) + Send + Sync + 'static) -> RawServer {
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(Mutex::new(Vec::new()));
        let (counted, stopping, threads) = (
            Arc::clone(&connections),
            Arc::clone(&stop),
            Arc::clone(&served),
        );
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let Ok(handle) = stream.try_clone() else {
                    continue;
                };
                let behaviour = Arc::clone(&behaviour);
                let thread = std::thread::spawn(move || {
                    // Safety nets only: a behaviour never waits longer than this on a client.
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
                    if let Some(request) = read_request(&mut stream) {
                        behaviour(&request, &mut stream);
                    }
                    // The handle kept for Drop shares this socket: close it here, not there.
                    let _ = stream.shutdown(Shutdown::Both);
                });
                threads.lock().unwrap().push((handle, thread));
            }
        });
        RawServer {
            addr,
            connections,
            stop,
            accept: Some(accept),
            served,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Waits until every connection accepted so far has been served to its end (each
    /// behaviour ends once the client is gone, or at its socket timeouts).
    fn wait_until_served(&self) {
        let finished: Vec<_> = self.served.lock().unwrap().drain(..).collect();
        for (_, thread) in finished {
            let _ = thread.join();
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let open: Vec<_> = self.served.lock().unwrap().drain(..).collect();
        for (stream, thread) in open {
            // Wakes a behaviour blocked on the client.
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

/// Reads the request head and its content-length body; None if the client went away first.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                let mut words = head.lines().next()?.split(' ');
                return Some(Request {
                    method: words.next()?.to_string(),
                    path: words.next()?.to_string(),
                });
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Holds the connection open without a byte of answer until the client leaves.
fn never_answer(stream: &mut TcpStream) {
    let _ = std::io::copy(stream, &mut std::io::sink());
}

/// How far a server got writing a body the client should stop reading.
#[derive(Default)]
struct BodyWriter {
    /// Body bytes the kernel accepted, headers and chunk framing excluded.
    written: AtomicU64,
    /// Whether the whole body went out, which means the client read it all.
    completed: AtomicBool,
}

const HUGE: u64 = 64 << 20;
const PIECE: usize = 64 << 10;

impl BodyWriter {
    /// Writes `head`, then `HUGE` bytes of body (chunked or plain), counting them.
    fn send(&self, stream: &mut TcpStream, head: &str, chunked: bool) {
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let piece = vec![b'x'; PIECE];
        while self.written.load(Ordering::SeqCst) < HUGE {
            let sent = if chunked {
                stream
                    .write_all(format!("{PIECE:x}\r\n").as_bytes())
                    .and_then(|()| stream.write_all(&piece))
                    .and_then(|()| stream.write_all(b"\r\n"))
            } else {
                stream.write_all(&piece)
            };
            if sent.is_err() {
                // The client closed the connection (or stopped reading until the write
                // timeout): what was written so far is the measure.
                return;
            }
            self.written.fetch_add(PIECE as u64, Ordering::SeqCst);
        }
        if chunked && stream.write_all(b"0\r\n\r\n").is_err() {
            return;
        }
        self.completed.store(true, Ordering::SeqCst);
    }
}

/// Runs `args` in `home`, returning the outcome and how long it took.
fn timed(home: &Home, args: &[&str]) -> (Outcome, Duration) {
    let started = Instant::now();
    let outcome = home.run(args);
    (outcome, started.elapsed())
}

#[track_caller]
fn assert_fast(took: Duration, what: &str) {
    assert!(
        took < FAST,
        "expected {what} to end within {FAST:?}, it took {took:?}"
    );
}

#[track_caller]
fn assert_nothing_saved(home: &Home) {
    for name in [".env", "credentials"] {
        assert!(
            !home.file(name).exists(),
            "expected no {name} after a failed verify, found:\n{}",
            std::fs::read_to_string(home.file(name)).unwrap_or_default()
        );
    }
}

#[test]
fn a_server_that_never_answers_is_given_up_after_the_timeout() {
    let silent = RawServer::start(|_, stream| never_answer(stream));
    let home = Home::new();
    let (outcome, took) = timed(
        &home,
        &["--timeout", "2", "--host", &silent.url(), "login-options"],
    );
    outcome
        .expect(UNAVAILABLE)
        .says("within 2 s")
        .one_error_line();
    assert_fast(
        took,
        "login-options against a silent server with --timeout 2",
    );
    assert!(
        took >= Duration::from_secs(2),
        "expected the binary to wait the 2 s it was given, it gave up after {took:?}"
    );
    assert!(
        silent.connections() >= 1,
        "expected the request to reach the silent server, it saw no connection"
    );

    let (outcome, took) = timed(
        &home,
        &[
            "--json",
            "--timeout",
            "2",
            "--host",
            &silent.url(),
            "login-options",
        ],
    );
    outcome.expect(UNAVAILABLE);
    assert_fast(took, "the same with --json");
    let error = json_error(&outcome);
    assert_eq!(
        error["kind"], "network",
        "expected kind \"network\", got {error}"
    );
}

#[test]
fn a_verify_that_gets_no_answer_saves_nothing_and_keeps_the_request() {
    // Answers the two steps before verify, so that the request is remembered as usual.
    let server = RawServer::start(|request, stream| {
        let body = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/api/auth/login-options") => {
                r#"{"passwordEnabled":true,"emailOtpEnabled":true,"whatsAppOtpEnabled":false}"#
            }
            ("POST", "/api/auth/request-otp") => {
                r#"{"success":true,"message":"OTP sent via email"}"#
            }
            _ => return never_answer(stream),
        };
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let home = Home::new();
    let host = server.url();
    home.run(&["--host", &host, "request-otp", "--email", EMAIL])
        .expect(OK);
    let pending = home.read("pending-otp");

    let started = Instant::now();
    let outcome = home.run_with(
        &[
            "--timeout",
            "2",
            "--host",
            &host,
            "verify-otp",
            "--otp-stdin",
        ],
        Some("123456\n"),
        &[],
    );
    let took = started.elapsed();
    outcome
        .expect(UNAVAILABLE)
        .says("within 2 s")
        .one_error_line();
    assert_fast(took, "verify-otp against a silent server with --timeout 2");
    assert_nothing_saved(&home);
    assert_eq!(
        std::fs::read_to_string(home.file("pending-otp")).ok(),
        Some(pending),
        "expected the remembered request to survive a verify that got no answer"
    );
}

#[test]
fn a_huge_body_with_a_length_is_refused_without_reading_it() {
    let writer = Arc::new(BodyWriter::default());
    let counting = Arc::clone(&writer);
    let server = RawServer::start(move |_, stream| {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {HUGE}\r\n\r\n"
        );
        counting.send(stream, &head, false);
    });
    refused_as_too_large(&server, &writer, "a 64 MiB body with its length");
}

#[test]
fn a_huge_chunked_body_is_refused_once_it_passes_the_cap() {
    let writer = Arc::new(BodyWriter::default());
    let counting = Arc::clone(&writer);
    let server = RawServer::start(move |_, stream| {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                    transfer-encoding: chunked\r\n\r\n";
        counting.send(stream, head, true);
    });
    refused_as_too_large(&server, &writer, "a 64 MiB chunked body");
}

/// login-options against `server` fails fast with the size error (in text and in JSON), and
/// the server could not push the whole body through.
#[track_caller]
fn refused_as_too_large(server: &RawServer, writer: &BodyWriter, what: &str) {
    let home = Home::new();
    let (outcome, took) = timed(&home, &["--host", &server.url(), "login-options"]);
    outcome
        .expect(UNAVAILABLE)
        .says("larger than 1 MiB")
        .one_error_line();
    assert_fast(took, &format!("login-options receiving {what}"));

    // The client has exited: the writer sees the connection gone and stops.
    server.wait_until_served();
    let written = writer.written.load(Ordering::SeqCst);
    assert!(
        !writer.completed.load(Ordering::SeqCst),
        "expected the client to stop reading {what}, but all {written} bytes went through"
    );
    assert!(
        written < 32 << 20,
        "expected the client to stop reading {what} long before 32 MiB, the server wrote \
         {written} bytes"
    );

    let (outcome, took) = timed(&home, &["--json", "--host", &server.url(), "login-options"]);
    outcome.expect(UNAVAILABLE);
    assert_fast(took, &format!("the same with --json ({what})"));
    let error = json_error(&outcome);
    assert_eq!(
        error["kind"], "bad-response",
        "expected kind \"bad-response\", got {error}"
    );
}

#[test]
fn a_connection_reset_mid_body_fails_and_saves_nothing() {
    // One connection, served on a thread that owns the only handle to it: its close is what
    // the client sees. It promises 1000 bytes, sends 100 of a plausible answer, then resets
    // the connection (SO_LINGER 0 makes the close send RST instead of FIN).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let served = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().ok()?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        read_request(&mut stream)?;
        let mut partial = br#"{"success":true,"logged":true,"authId":""#.to_vec();
        partial.resize(100, b'A');
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
        stream.write_all(head.as_bytes()).ok()?;
        stream.write_all(&partial).ok()?;
        rustix::net::sockopt::set_socket_linger(&stream, Some(Duration::ZERO))
            .expect("SO_LINGER 0 is set");
        Some(())
    });
    let url = format!("http://{addr}");
    let home = Home::new();
    let (outcome, took) = timed(
        &home,
        &[
            "--host",
            &url,
            "verify-otp",
            "--email",
            EMAIL,
            "--otp",
            "123456",
        ],
    );
    // Unblocks the accept if the client never came, so the thread always ends.
    let _ = TcpStream::connect(addr);
    let reset = served.join().expect("the server thread ends");
    outcome.expect(UNAVAILABLE).one_error_line();
    assert_fast(took, "verify-otp against a server that resets mid-body");
    assert_eq!(
        reset,
        Some(()),
        "expected verify-otp to reach the server and be answered"
    );
    assert_nothing_saved(&home);
}
