//! Other people's programs for the tests to run: Node with the packages pinned in
//! `tests/node` (jco, the preview2 shim, the Konecty SDK), and a Python venv with
//! python-dotenv. Each is installed once per test run, into the target directory, never into
//! the source tree; a second run with the same lock file reuses the installation.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::Duration;

/// The Python package the tests read `.env` with, pinned.
pub const PYTHON_DOTENV: &str = "python-dotenv==1.2.4";

/// How long one Node or Python run may take before the test kills it and fails (a deadline,
/// not a wait: runs end long before it).
pub const RUN_DEADLINE: Duration = Duration::from_secs(120);

fn source_node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/node")
}

/// The files in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The functions of the `api` interface as jco names them, sorted.
pub const API_FUNCTIONS: [&str; 10] = [
    "checkSession",
    "loginOptions",
    "logout",
    "pendingRequest",
    "readSessions",
    "requestOtp",
    "saveSession",
    "storedHosts",
    "useSession",
    "verifyOtp",
];

/// A directory holding a copy of `tests/node` and its `node_modules`, installed from the
/// committed lock file at most once per test run.
pub fn node_packages() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let mut lock = Vec::new();
        for entry in std::fs::read_dir(source_node_dir()).expect("tests/node") {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if entry.file_type().unwrap().is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                if name == "package-lock.json" || name == "package.json" {
                    lock.extend_from_slice(&bytes);
                }
                std::fs::write(dir.join(&name), bytes).unwrap();
            }
        }
        let node = version_of("node", &["--version"]);
        let npm = version_of("npm", &["--version"]);
        // What the installation was made from: reuse it only when that is unchanged.
        let stamp_path = dir.join("node_modules/.konecty-session-stamp");
        let stamp = format!("{node} {npm} {:016x}\n", fnv1a(&lock));
        if std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str()) {
            return dir;
        }
        // `npm install` from the committed lock rather than `npm ci`: the registry these
        // machines reach lacks some other platforms' optional binaries (rolldown's for macOS,
        // for example), so the lock cannot list them, and `npm ci` refuses a lock that
        // leaves out an optional dependency. The lock still fixes every version installed.
        let output = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
                "--loglevel=error",
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run npm ({e}): the tests need Node 20 and npm"));
        assert!(
            output.status.success(),
            "expected `npm install` in {} to succeed, got {}\nstdout: {}\nstderr: {}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(&stamp_path, stamp).unwrap();
        dir
    })
}

/// The `python` of a venv, under the target directory, that has `PYTHON_DOTENV` installed.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
        let python = venv.join("bin/python");
        let system = version_of("python3", &["--version"]);
        let stamp_path = venv.join("konecty-session-stamp");
        let stamp = format!("{system} {PYTHON_DOTENV}\n");
        if python.exists()
            && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str())
        {
            return python;
        }
        let _ = std::fs::remove_dir_all(&venv);
        succeed(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv",
        );
        succeed(
            Command::new(&python).args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                PYTHON_DOTENV,
            ]),
            "pip install python-dotenv",
        );
        std::fs::write(&stamp_path, stamp).unwrap();
        python
    })
}

/// The first line a tool prints for `args`, or a failure that says the tool is missing.
fn version_of(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {tool} ({e}): these tests need Node 20 with npm and Python 3.11 \
                 with venv and pip on PATH, as CI has"
            )
        });
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    text.lines().next().unwrap_or_default().trim().to_string()
}

#[track_caller]
fn succeed(command: &mut Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "expected `{what}` to succeed, got {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A stable hash of the lock file, for the installation stamp.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a finished run printed.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Its stdout as one JSON value, after checking that it exited 0.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(
            self.code,
            Some(0),
            "expected exit 0, got {:?}\nstdout: {}\nstderr: {}",
            self.code,
            self.stdout,
            self.stderr
        );
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "expected one JSON value on stdout ({e}), got {:?}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `command` to the end with stdin closed, killing it at `RUN_DEADLINE`.
pub fn run(command: &mut Command) -> Ran {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let (done, watchdog) = deadline(child.id());
    let output = child.wait_with_output().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Kills process `pid` unless the returned sender is used (or dropped) within `RUN_DEADLINE`.
fn deadline(pid: u32) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(RUN_DEADLINE)
            && let Some(pid) = rustix::process::Pid::from_raw(pid as i32)
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    });
    (done, watchdog)
}

/// A Node process that answers one JSON line with one JSON line (`tests/node/component.mjs`).
pub struct NodeSession {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr: Option<std::thread::JoinHandle<String>>,
    done: Option<mpsc::Sender<()>>,
    watchdog: Option<std::thread::JoinHandle<()>>,
}

impl NodeSession {
    /// Starts `node SCRIPT ARGS…` in the installed `tests/node` copy.
    pub fn start(script: &str, args: &[&std::ffi::OsStr]) -> NodeSession {
        NodeSession::start_in(node_packages(), script, args)
    }

    /// Starts `node SCRIPT ARGS…` in `dir`.
    pub fn start_in(dir: &Path, script: &str, args: &[&std::ffi::OsStr]) -> NodeSession {
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node ({e}): the tests need Node 20"));
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let (done, watchdog) = deadline(child.id());
        NodeSession {
            stdin: child.stdin.take(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            stderr: Some(stderr),
            done: Some(done),
            watchdog: Some(watchdog),
        }
    }

    /// The next line the script prints, as JSON; fails with its stderr when it ended instead.
    #[track_caller]
    pub fn next(&mut self) -> serde_json::Value {
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line).unwrap();
        if read == 0 {
            let stderr = self.finish();
            panic!("expected a JSON line from node, but it ended\nstderr: {stderr}");
        }
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("expected a JSON line from node ({e}), got {line:?}"))
    }

    /// Sends `{"call": function, "args": args}` and returns the answer line.
    #[track_caller]
    pub fn call(&mut self, function: &str, args: serde_json::Value) -> serde_json::Value {
        let request = serde_json::json!({ "call": function, "args": args });
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        self.next()
    }

    /// Closes stdin, waits for the exit, and returns what the script printed on stderr.
    pub fn finish(&mut self) -> String {
        drop(self.stdin.take());
        let _ = self.child.wait();
        drop(self.done.take());
        if let Some(watchdog) = self.watchdog.take() {
            watchdog.join().unwrap();
        }
        self.stderr
            .take()
            .map(|thread| thread.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for NodeSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        self.finish();
    }
}
