//! Running the binary in a private HOME, and fake servers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use konecty_session::dev_server::{DevServer, DevServerConfig};
use tempfile::TempDir;

pub const EMAIL: &str = "dev@example.com";
pub const PHONE: &str = "+5511999999999";

/// The exit codes, as documented.
pub const OK: i32 = 0;
pub const REFUSED: i32 = 1;
pub const USAGE: i32 = 2;
pub const UNAVAILABLE: i32 = 3;
pub const STORAGE: i32 = 4;

/// What one run of the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts the exit code, showing everything the run printed when it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn says(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text) || self.stderr.contains(text),
            "expected output to contain {text:?}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn never_says(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text) && !self.stderr.contains(text),
            "output must not contain {text:?}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Errors are one line on stderr.
    #[track_caller]
    pub fn one_error_line(&self) -> &Self {
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "expected one line on stderr, got {:?}",
            self.stderr
        );
        self
    }
}

/// One cache of compiled components for every run of the tests: compiling once is enough
/// (`host/src/sandbox/compiled.rs` and `tests/e2e/cli.rs` test the cache itself).
pub fn shared_cache() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("component-cache")
}

/// The `error` object of a `--json` run's stdout.
#[track_caller]
pub fn json_error(outcome: &Outcome) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| {
        panic!(
            "expected one JSON object on stdout ({e}), got {:?}",
            outcome.stdout
        )
    });
    assert!(
        value["error"].is_object(),
        "expected an error object, got {value}"
    );
    value["error"].clone()
}

/// A private HOME whose `.konecty` is the credentials directory.
pub struct Home {
    root: TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            root: tempfile::tempdir().expect("temporary HOME"),
        }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn dir(&self) -> PathBuf {
        self.root.path().join(".konecty")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name))
            .unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::create_dir_all(self.dir()).unwrap();
        std::fs::write(self.file(name), content).unwrap();
    }

    /// Runs the binary with only HOME and PATH in its environment.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_with(args, None, &[])
    }

    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Outcome {
        let mut command = Command::new(env!("CARGO_BIN_EXE_konecty-session"));
        command
            .env_clear()
            .env("HOME", self.root())
            .env("XDG_CACHE_HOME", shared_cache())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the konecty-session binary runs");
        if let Some(input) = stdin {
            // A command that fails before it reads stdin (a bad flag, say) closes it: that
            // is the command's answer, not the harness's failure.
            let written = child.stdin.take().unwrap().write_all(input.as_bytes());
            if let Err(e) = written {
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe,
                    "writing the command's stdin failed: {e}"
                );
            }
        }
        let output = child.wait_with_output().unwrap();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asks `server` to send `EMAIL` a code; returns the code.
    pub fn request_code(&self, server: &DevServer) -> String {
        self.run(&["--host", &server.url(), "request-otp", "--email", EMAIL])
            .expect(OK);
        server.code_for(EMAIL).expect("the server issued a code")
    }

    /// `verify-otp --email EMAIL --otp CODE` against `host`, with `extra` flags.
    pub fn verify(&self, host: &str, code: &str, extra: &[&str]) -> Outcome {
        let mut args = vec![
            "--host",
            host,
            "verify-otp",
            "--email",
            EMAIL,
            "--otp",
            code,
        ];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// `verify-otp --email EMAIL --otp-stdin` against `host`, with `input` on stdin.
    pub fn verify_from_stdin(&self, host: &str, input: &str) -> Outcome {
        let args = [
            "--host",
            host,
            "verify-otp",
            "--email",
            EMAIL,
            "--otp-stdin",
        ];
        self.run_with(&args, Some(input), &[])
    }

    /// Requests and verifies a code for `EMAIL` (from stdin, as agents do); returns the
    /// stored token.
    pub fn login(&self, server: &DevServer) -> String {
        let code = self.request_code(server);
        self.verify_from_stdin(&server.url(), &code).expect(OK);
        token_in(&self.read(".env"))
    }
}

/// The text with every `issuedAt = …` value replaced by `<time>`, for exact comparisons.
pub fn times_hidden(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| match line.split_once("issuedAt = ") {
            Some((head, rest)) => {
                let end = if rest.ends_with('\n') { "\n" } else { "" };
                format!("{head}issuedAt = <time>{end}")
            }
            None => line.to_string(),
        })
        .collect()
}

/// `text` with every line that starts with `prefix` replaced by `line` (files edited by hand
/// in tests: a time moved back, a URL steered elsewhere).
pub fn with_line(text: &str, prefix: &str, line: &str) -> String {
    text.lines()
        .map(|old| match old.starts_with(prefix) {
            true => format!("{line}\n"),
            false => format!("{old}\n"),
        })
        .collect()
}

/// The `KONECTY_TOKEN` value of a `.env` text.
pub fn token_in(env: &str) -> String {
    env.lines()
        .find_map(|line| {
            line.trim_start_matches("export ")
                .strip_prefix("KONECTY_TOKEN=")
        })
        .unwrap_or_else(|| panic!("no KONECTY_TOKEN in {env:?}"))
        .to_string()
}

/// Runs one probe of the hostile test component (its `request-otp` with the probe as the
/// email) with `--host` set to `host` and `env` set.
pub fn hostile_probe(home: &Home, host: &str, probe: &str, env: &[(&str, &str)]) -> Outcome {
    home.run_with(
        &[
            "--component",
            konecty_session_test_components::HOSTILE_COMPONENT,
            "--host",
            host,
            "request-otp",
            "--email",
            probe,
        ],
        None,
        env,
    )
}

/// A fake Konecty with the default user and both OTP channels on.
pub fn konecty() -> DevServer {
    konecty_with(DevServerConfig::default())
}

pub fn konecty_with(config: DevServerConfig) -> DevServer {
    DevServer::start(config).expect("the fake Konecty starts")
}

/// A server that answers every request with the same bytes and counts what it received.
pub struct CannedServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl CannedServer {
    pub fn start(response: impl Into<Vec<u8>>) -> CannedServer {
        let response = response.into();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counted, stopping) = (Arc::clone(&hits), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                read_head(&mut stream);
                let _ = stream.write_all(&response);
            }
        });
        CannedServer {
            addr,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    /// A JSON answer with the given status line and body.
    pub fn json(status: &str, body: &str) -> CannedServer {
        CannedServer::answer(status, "application/json", body)
    }

    /// An answer with the given status line, content type and body.
    pub fn answer(status: &str, content_type: &str, body: &str) -> CannedServer {
        CannedServer::start(format!(
            "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ))
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the whole request (head and content-length body), so that closing the connection
/// after answering does not reset it under the client.
fn read_head(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The binary running on a pseudo-terminal, as at a person's keyboard.
pub struct Pty {
    master: std::fs::File,
    output: Arc<(std::sync::Mutex<Vec<u8>>, std::sync::Condvar)>,
    /// How much of the output `expect` has consumed.
    cursor: usize,
    child: std::process::Child,
    reader: Option<JoinHandle<()>>,
}

/// How long a prompt may take to appear before the test fails (not a sleep: a deadline).
const PTY_DEADLINE: Duration = Duration::from_secs(60);

impl Home {
    /// Starts the binary with a terminal on stdin, stdout and stderr.
    pub fn run_in_pty(&self, args: &[&str]) -> Pty {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        let name: std::ffi::OsString = std::os::unix::ffi::OsStringExt::from_vec(name.into_bytes());
        let name = PathBuf::from(name);
        let terminal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name)
            .expect("open the terminal side");
        let child = Command::new(env!("CARGO_BIN_EXE_konecty-session"))
            .env_clear()
            .env("HOME", self.root())
            .env("XDG_CACHE_HOME", shared_cache())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(args)
            .stdin(terminal.try_clone().unwrap())
            .stdout(terminal.try_clone().unwrap())
            .stderr(terminal)
            .spawn()
            .expect("the konecty-session binary runs");
        let master = std::fs::File::from(master);
        let output = Arc::new((std::sync::Mutex::new(Vec::new()), std::sync::Condvar::new()));
        let (mut reader, sink) = (master.try_clone().unwrap(), Arc::clone(&output));
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the child has exited and closed the terminal.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.0.lock().unwrap().extend_from_slice(&buf[..n]);
                sink.1.notify_all();
            }
        });
        Pty {
            master,
            output,
            cursor: 0,
            child,
            reader: Some(reader),
        }
    }
}

impl Pty {
    /// Everything shown so far.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.output.0.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears after what earlier calls consumed, and consumes it.
    #[track_caller]
    pub fn expect(&mut self, text: &str) {
        let deadline = std::time::Instant::now() + PTY_DEADLINE;
        let (lock, ready) = &*self.output;
        let mut shown = lock.lock().unwrap();
        loop {
            let rest = String::from_utf8_lossy(&shown[self.cursor..]).into_owned();
            if let Some(at) = rest.find(text) {
                // Byte offsets of the lossy copy match as long as the output is UTF-8.
                self.cursor += at + text.len();
                return;
            }
            let now = std::time::Instant::now();
            assert!(
                now < deadline,
                "expected {text:?} on the terminal within {PTY_DEADLINE:?}; after the last match it shows:\n{rest}"
            );
            shown = ready.wait_timeout(shown, deadline - now).unwrap().0;
        }
    }

    /// Types a line.
    pub fn send(&mut self, line: &str) {
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to the terminal");
    }

    /// Types Ctrl-D at the start of a line: end of input.
    pub fn send_eof(&mut self) {
        self.master
            .write_all(b"\x04")
            .expect("write to the terminal");
    }

    /// Waits for the exit; returns its code and the whole transcript.
    pub fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        // The reader ends when the terminal closes: then the transcript is complete.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code().unwrap_or(-1), self.transcript())
    }
}
