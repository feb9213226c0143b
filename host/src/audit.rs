//! What the component did, for `--verbose` (one line per request on stderr) and `--audit
//! FILE` (JSON lines). Events are built from fixed fields only: method, origin, path
//! without query, status, sizes, times, file names. Headers and bodies, where tokens,
//! codes, emails and phones travel, have no field to go into.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde_json::{Value, json};

/// Where events go.
#[derive(Debug, Default)]
pub struct Observer {
    verbose: bool,
    audit: Option<Mutex<File>>,
}

/// One request the component asked for.
#[derive(Debug, Clone)]
pub struct RequestEvent {
    pub method: String,
    pub origin: String,
    pub path: String,
    /// The proxy it went through (`http://host:port`, never credentials).
    pub via: Option<String>,
    pub outcome: RequestOutcome,
}

#[derive(Debug, Clone)]
pub enum RequestOutcome {
    /// Refused by the policy before anything was sent.
    Denied { reason: String },
    /// An answer was received; `error` says why reading it stopped early, if it did.
    Answered {
        status: u16,
        bytes: u64,
        elapsed: Duration,
        error: Option<String>,
    },
    /// Allowed, but no answer came.
    Failed { error: String, elapsed: Duration },
}

/// How a file in the credentials directory changed during one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Created,
    Replaced,
    Removed,
}

impl Observer {
    /// `audit`: a file to append JSON lines to, created 0600 if missing.
    pub fn new(verbose: bool, audit: Option<&Path>) -> Result<Observer> {
        let audit = match audit {
            Some(path) => Some(Mutex::new(
                OpenOptions::new()
                    .append(true)
                    .create(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| format!("cannot open the audit file {}", path.display()))?,
            )),
            None => None,
        };
        Ok(Observer { verbose, audit })
    }

    pub fn request(&self, event: &RequestEvent) {
        if self.verbose {
            stderr_line(&event.log_line());
        }
        self.append(event.to_json());
    }

    pub fn file(&self, path: &Path, change: FileChange, bytes: u64) {
        let change = match change {
            FileChange::Created => "created",
            FileChange::Replaced => "replaced",
            FileChange::Removed => "removed",
        };
        self.append(json!({
            "time": now(),
            "event": "file",
            "path": path.display().to_string(),
            "change": change,
            "bytes": bytes,
        }));
    }

    /// Whether file changes are wanted at all (they cost a directory listing per call).
    pub fn audits(&self) -> bool {
        self.audit.is_some()
    }

    fn append(&self, event: Value) {
        let Some(file) = &self.audit else { return };
        let mut line = event.to_string();
        line.push('\n');
        // One write per line, so that lines of concurrent runs never interleave.
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(err) = file.write_all(line.as_bytes()) {
            stderr_line(&format!("warning: cannot write the audit file: {err}"));
        }
    }
}

impl RequestEvent {
    fn log_line(&self) -> String {
        let line = self.outcome_line();
        match &self.via {
            Some(proxy) => format!("{line} via proxy {proxy}"),
            None => line,
        }
    }

    fn outcome_line(&self) -> String {
        let Self { method, path, .. } = self;
        match &self.outcome {
            RequestOutcome::Denied { reason } => format!("{method} {path} denied: {reason}"),
            RequestOutcome::Answered {
                status,
                bytes,
                elapsed,
                error,
            } => {
                let ms = elapsed.as_millis();
                let cut = error.as_ref().map_or(String::new(), |e| format!(" ({e})"));
                format!("{method} {path} {status} {bytes} B {ms} ms{cut}")
            }
            RequestOutcome::Failed { error, elapsed } => {
                let ms = elapsed.as_millis();
                format!("{method} {path} no response {ms} ms ({error})")
            }
        }
    }

    fn to_json(&self) -> Value {
        let mut event = serde_json::Map::new();
        let mut put = |key: &str, value: Value| {
            event.insert(key.to_string(), value);
        };
        put("time", now().into());
        put("event", "request".into());
        put("method", self.method.clone().into());
        put("origin", self.origin.clone().into());
        put("path", self.path.clone().into());
        if let Some(proxy) = &self.via {
            put("proxy", proxy.clone().into());
        }
        match &self.outcome {
            RequestOutcome::Denied { reason } => {
                put("decision", "denied".into());
                put("reason", reason.clone().into());
            }
            RequestOutcome::Answered {
                status,
                bytes,
                elapsed,
                error,
            } => {
                put("decision", "allowed".into());
                put("status", (*status).into());
                put("bytes", (*bytes).into());
                put("ms", (elapsed.as_millis() as u64).into());
                if let Some(error) = error {
                    put("error", error.clone().into());
                }
            }
            RequestOutcome::Failed { error, elapsed } => {
                put("decision", "allowed".into());
                // No answer came: a null status says so.
                put("status", Value::Null);
                put("bytes", 0.into());
                put("ms", (elapsed.as_millis() as u64).into());
                put("error", error.clone().into());
            }
        }
        Value::Object(event)
    }
}

/// One line on stderr; a closed stderr is not worth a panic (`eprintln!` would).
pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "konecty-session: {text}");
}

fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// What identifies one version of a file: size, inode, change time (seconds, nanoseconds).
type Version = (u64, u64, i64, i64);

/// The files of a directory, each with its [`Version`], sorted by path.
pub type Snapshot = Vec<(PathBuf, Version)>;

/// The files of `dir` (the lock aside) as they are now.
pub fn snapshot(dir: &Path) -> Snapshot {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .filter(|entry| entry.file_name() != crate::credentials_dir::LOCK_FILE)
        .filter_map(|entry| {
            let meta = entry.path().symlink_metadata().ok()?;
            let id = (meta.len(), meta.ino(), meta.ctime(), meta.ctime_nsec());
            Some((entry.path(), id))
        })
        .collect();
    files.sort();
    files
}

/// Reports the difference between two snapshots of the same directory.
pub fn report_changes(
    observer: &Observer,
    before: &[(PathBuf, Version)],
    after: &[(PathBuf, Version)],
) {
    let find = |list: &[(PathBuf, Version)], path: &Path| {
        list.iter().find(|(p, _)| p == path).map(|(_, id)| *id)
    };
    for (path, id) in after {
        match find(before, path) {
            None => observer.file(path, FileChange::Created, id.0),
            Some(old) if old != *id => observer.file(path, FileChange::Replaced, id.0),
            Some(_) => {}
        }
    }
    for (path, _) in before {
        if find(after, path).is_none() {
            observer.file(path, FileChange::Removed, 0);
        }
    }
}
