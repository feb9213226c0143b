//! What the component did, for `--verbose` (one line per request on stderr) and `--audit
//! FILE` (JSON lines). Events are built from fixed fields only: method, origin, path
//! without query, status, sizes, times, file names. Headers and bodies, where tokens,
//! codes, emails and phones travel, have no field to go into.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::files::platform;

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
                platform::private(OpenOptions::new().append(true).create(true))
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
            // A name the component chose: made printable like everything from outside.
            "path": crate::sanitize::printable(&path.display().to_string(), 4096),
            "change": change,
            "bytes": bytes,
        }));
    }

    /// The file changes of a call could not all be known (`reason`): none is reported.
    pub fn incomplete(&self, reason: &str) {
        self.append(json!({
            "time": now(),
            "event": "incomplete",
            "reason": crate::sanitize::line(reason),
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

/// The most entries a snapshot lists: past it, a call's file changes are not recorded (and
/// the trail says so), so that a crowded directory cannot make auditing slow.
pub const SNAPSHOT_LIMIT: usize = 50_000;

/// The files of `dir` (the lock aside) as they are now, or why they cannot all be known.
pub fn snapshot(dir: &Path) -> Result<Snapshot, String> {
    snapshot_at_most(dir, SNAPSHOT_LIMIT)
}

fn snapshot_at_most(dir: &Path, limit: usize) -> Result<Snapshot, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list the directory: {e}"))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list the directory: {e}"))?;
        if entry.file_name() == crate::files::credentials_dir::LOCK_FILE {
            continue;
        }
        if files.len() == limit {
            return Err(format!("the directory has more than {limit} entries"));
        }
        let meta = match entry.path().symlink_metadata() {
            Ok(meta) => meta,
            // Gone between listing and looking: not there.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot inspect {}: {e}", entry.path().display())),
        };
        files.push((entry.path(), platform::version_of(&meta)));
    }
    files.sort();
    Ok(files)
}

/// Reports the difference between two snapshots of the same directory, in one pass over
/// both (they are sorted). When either is incomplete, says so and reports no change: a
/// trail that cannot be complete never tells what did not happen.
pub fn report_changes(
    observer: &Observer,
    before: &Result<Snapshot, String>,
    after: &Result<Snapshot, String>,
) {
    let (before, after) = match (before, after) {
        (Ok(before), Ok(after)) => (before, after),
        (Err(why), _) | (_, Err(why)) => {
            observer.incomplete(why);
            return;
        }
    };
    use std::cmp::Ordering::*;
    let (mut old, mut new) = (before.iter().peekable(), after.iter().peekable());
    loop {
        match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some((path, _)), None) => {
                observer.file(path, FileChange::Removed, 0);
                old.next();
            }
            (None, Some((path, id))) => {
                observer.file(path, FileChange::Created, id.0);
                new.next();
            }
            (Some((old_path, old_id)), Some((new_path, new_id))) => match old_path.cmp(new_path) {
                Less => {
                    observer.file(old_path, FileChange::Removed, 0);
                    old.next();
                }
                Greater => {
                    observer.file(new_path, FileChange::Created, new_id.0);
                    new.next();
                }
                Equal => {
                    if old_id != new_id {
                        observer.file(new_path, FileChange::Replaced, new_id.0);
                    }
                    old.next();
                    new.next();
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events an observer wrote, as JSON.
    fn events(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn version(size: u64, inode: u64) -> Version {
        (size, inode, 0, 0)
    }

    #[test]
    fn changes_are_found_in_one_pass_over_both_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let trail = dir.path().join("audit.jsonl");
        let observer = Observer::new(false, Some(&trail)).unwrap();
        let before: Snapshot = vec![
            ("a".into(), version(1, 1)),
            ("b".into(), version(2, 2)),
            ("c".into(), version(3, 3)),
        ];
        let after: Snapshot = vec![
            ("b".into(), version(2, 2)),
            ("c".into(), version(4, 9)),
            ("d".into(), version(5, 5)),
        ];
        report_changes(&observer, &Ok(before), &Ok(after));
        let changes: Vec<(String, String)> = events(&trail)
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap().into(),
                    e["change"].as_str().unwrap().into(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> =
            [("a", "removed"), ("c", "replaced"), ("d", "created")]
                .iter()
                .map(|(p, c)| (p.to_string(), c.to_string()))
                .collect();
        assert_eq!(changes, expected);
    }

    #[test]
    fn an_incomplete_snapshot_is_said_and_no_change_is_invented() {
        let dir = tempfile::tempdir().unwrap();
        let trail = dir.path().join("audit.jsonl");
        let observer = Observer::new(false, Some(&trail)).unwrap();
        let before: Snapshot = vec![(".env".into(), version(1, 1))];
        report_changes(
            &observer,
            &Ok(before),
            &Err("cannot list the directory: EMFILE".into()),
        );
        let written = events(&trail);
        assert_eq!(written.len(), 1, "{written:?}");
        assert_eq!(written[0]["event"], "incomplete");
        assert_eq!(written[0]["reason"], "cannot list the directory: EMFILE");
    }

    #[test]
    fn a_crowded_directory_is_not_listed_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a", "b", "c", "d"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        assert_eq!(snapshot_at_most(dir.path(), 4).map(|s| s.len()), Ok(4));
        assert_eq!(
            snapshot_at_most(dir.path(), 3).err().as_deref(),
            Some("the directory has more than 3 entries")
        );
        assert!(snapshot(&dir.path().join("missing")).is_err());
    }
}
