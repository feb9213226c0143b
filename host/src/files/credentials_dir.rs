//! The one directory the component is granted: created 0700, files left 0600.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::files::platform;

/// The files the component writes; the host tightens their modes after every call.
const FILES: [&str; 3] = [".env", "credentials", "pending-otp"];

/// Held (an exclusive file lock) by every run while its component works on the directory.
pub const LOCK_FILE: &str = ".lock";

/// An exclusive hold on the credentials directory. Runs wait for each other, so that two
/// read-edit-rename cycles never interleave and every run's keys survive.
pub struct DirLock {
    file: fs::File,
    dir: PathBuf,
}

impl DirLock {
    /// Waits for the lock, then removes temporary files a killed run left behind (under
    /// the lock, none can be in use).
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let path = dir.join(LOCK_FILE);
        let file = platform::without_following(platform::private(
            fs::OpenOptions::new().read(true).write(true).create(true),
        ))
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        remove_stale_temporaries(dir);
        Ok(DirLock {
            file,
            dir: dir.to_path_buf(),
        })
    }

    /// Makes the renames of this call durable (fsync of the directory), then unlocks.
    pub fn release(self) -> Result<()> {
        let synced = platform::sync_dir(&self.dir)
            .with_context(|| format!("cannot sync {}", self.dir.display()));
        drop(self.file);
        synced
    }
}

/// `.<name>.<digits>-<digits>.tmp` for one of our files, as the component names the file it
/// renames into place. Nothing else is touched, whatever `--dir` points at.
fn is_stale_temporary(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
        return false;
    };
    let Some((stem, stamp)) = rest.rsplit_once('.') else {
        return false;
    };
    let Some((nanos, attempt)) = stamp.split_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    FILES.contains(&stem) && digits(nanos) && digits(attempt)
}

fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_str().is_some_and(is_stale_temporary)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `~/.konecty`, the directory every Konecty skill reads: `$HOME/.konecty`, and on Windows
/// `%USERPROFILE%\.konecty` (what Node's `os.homedir()` gives the SDK).
pub fn default_dir() -> Result<PathBuf> {
    const HOME: &str = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    let home = std::env::var_os(HOME)
        .filter(|h| !h.is_empty())
        .with_context(|| {
            format!("{HOME} is not set: pass --dir to say where the credential files go")
        })?;
    Ok(PathBuf::from(home).join(".konecty"))
}

/// Makes every file created from now on in this process private (umask 077), so that the
/// component's files, temporary ones included, are 0600 from their first byte. For the
/// binary: a library leaves its caller's umask alone (see [`prepare`]).
pub fn private_umask() {
    platform::private_umask();
}

/// What a run may do in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirAccess {
    /// Read the files only (`status`, `token`, `env`, `login-options`): the component's
    /// preopen is read-only and no mode is changed.
    ReadOnly,
    /// Read and write them: the directory and the credential files are made private.
    ReadWrite,
}

/// Gets `dir` ready for a run: creates it 0700 if missing; refuses one that everyone can
/// write to or that has the sticky bit (`/tmp`, say), or that belongs to another user, as
/// ssh refuses loose key files; and, for writing runs only, tightens a directory that is not
/// a symlink to 0700 (one writable by its group included) and the credential files to 0600.
/// Read-only runs change no mode, so a group-writable directory is refused there, as is a
/// symlinked one. The process's umask is left as it is.
pub fn prepare(dir: &Path, access: DirAccess) -> Result<()> {
    let entry = match fs::symlink_metadata(dir) {
        Ok(entry) => entry,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            platform::create_private_dir(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", dir.display())),
    };
    let meta = fs::metadata(dir).with_context(|| format!("cannot inspect {}", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    // Where files have no modes (Windows) the directory's access list is the user's say.
    let Some(mode) = platform::mode(&meta) else {
        return Ok(());
    };
    if mode & 0o002 != 0 || mode & 0o1000 != 0 {
        anyhow::bail!(
            "{} is open to other users (mode {mode:o}): keep the credentials in a private \
             directory (--dir)",
            dir.display()
        );
    }
    if !platform::is_ours(&meta) {
        anyhow::bail!(
            "{} belongs to another user: keep the credentials in a directory of yours (--dir)",
            dir.display()
        );
    }
    // Writable by its group: a writing run makes it private, when it is ours to change.
    let ours_to_change = access == DirAccess::ReadWrite && !entry.file_type().is_symlink();
    if mode & 0o020 != 0 && !ours_to_change {
        anyhow::bail!(
            "{} is writable by its group (mode {mode:o}): make it private with chmod 700",
            dir.display()
        );
    }
    if access == DirAccess::ReadOnly {
        return Ok(());
    }
    if ours_to_change && mode & 0o077 != 0 {
        platform::set_mode(dir, 0o700)
            .with_context(|| format!("cannot make {} private (0700)", dir.display()))?;
    }
    tighten_files(dir)
}

/// Makes the credential files 0600 if they are looser; symlinks are left alone.
pub fn tighten_files(dir: &Path) -> Result<()> {
    for name in FILES {
        let path = dir.join(name);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_file() && platform::mode(&meta).is_some_and(|mode| mode & 0o077 != 0) {
            platform::set_mode(&path, 0o600)
                .with_context(|| format!("cannot make {} private (0600)", path.display()))?;
        }
    }
    Ok(())
}

/// Which file named the stored default host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredIn {
    /// `KONECTY_URL` in `.env`.
    EnvFile,
    /// `host` in the `[default]` section of `credentials`.
    Credentials,
}

/// The host of the stored default session: `KONECTY_URL` in `.env`, else `host` in the
/// `[default]` section of `credentials`. The host reads this itself, so that a component
/// never chooses the origin it is granted.
pub fn stored_default_host(dir: &Path) -> Result<Option<(String, StoredIn)>> {
    // The same readers as the component's editors (konecty-session-formats).
    let from_env = read_own(&dir.join(".env"))?
        .and_then(|text| formats::dotenv::get(text.as_bytes(), "KONECTY_URL"));
    let from_credentials = |text: String| formats::ini::get(text.as_bytes(), "default", "host");
    if let Some(host) = from_env.filter(|h| !h.is_empty()) {
        return Ok(Some((host, StoredIn::EnvFile)));
    }
    Ok(read_own(&dir.join("credentials"))?
        .and_then(from_credentials)
        .filter(|h| !h.is_empty())
        .map(|host| (host, StoredIn::Credentials)))
}

/// The most the host reads of a file of its own accord.
const OWN_READ_LIMIT: u64 = 1024 * 1024;

/// How long the host waits for such a read: a file on a stuck network mount fails, it does
/// not hang the command.
const OWN_READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// A file the host reads itself (never through the component): `None` if it does not
/// exist. It is opened without following a symlink and without blocking, must be a regular
/// file of at most 1 MiB, and must be read within a deadline: a FIFO, a device, a link to
/// `/dev/stdin` or a hung mount is an error, never a wait.
pub fn read_own(path: &Path) -> Result<Option<String>> {
    // Opening, inspecting and reading all run on a thread of their own: a hung mount blocks
    // that thread, not the command.
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    std::thread::spawn(move || {
        let _ = sender.send(read_regular(&owned));
    });
    match receiver.recv_timeout(OWN_READ_DEADLINE) {
        Ok(read) => read,
        Err(_) => anyhow::bail!(
            "reading {} took longer than {} s",
            path.display(),
            OWN_READ_DEADLINE.as_secs()
        ),
    }
}

fn read_regular(path: &Path) -> Result<Option<String>> {
    let file = match platform::without_following(fs::OpenOptions::new().read(true)).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if platform::is_link_refusal(&e) => {
            anyhow::bail!(
                "{} is a symbolic link: the host reads only regular files there",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let meta = file
        .metadata()
        .with_context(|| format!("cannot inspect {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(not_regular(path, &meta));
    }
    if meta.len() > OWN_READ_LIMIT {
        anyhow::bail!("{} is larger than 1 MiB", path.display());
    }
    let mut bytes = Vec::new();
    file.take(OWN_READ_LIMIT)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Refuses a call while a credential file is not a regular file: the component opens them
/// through WASI, which would wait forever on a FIFO. A symlink that leads nowhere counts as
/// absent (the component replaces it).
pub fn check_regular_files(dir: &Path) -> Result<()> {
    for name in FILES {
        let path = dir.join(name);
        if let Ok(meta) = fs::metadata(&path)
            && !meta.is_file()
        {
            anyhow::bail!(not_regular(&path, &meta));
        }
    }
    Ok(())
}

/// `credential files: PATH is a FIFO, not a regular file: remove it`.
fn not_regular(path: &Path, meta: &fs::Metadata) -> String {
    let what = platform::kind_of(meta);
    format!(
        "credential files: {} is {what}, not a regular file: remove it",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_reads_regular_files_only_and_never_waits() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        platform::make_fifo(&fifo);
        let error = read_own(&fifo)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("not a regular file"), "got {error:?}");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("/dev/stdin", &link).unwrap();
        let error = read_own(&link)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("is a symbolic link"), "got {error:?}");
        assert!(read_own(&dir.path().join("missing")).unwrap().is_none());
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 1024 * 1024 + 1]).unwrap();
        assert!(read_own(&big).is_err(), "a file over 1 MiB is refused");
        assert!(check_regular_files(dir.path()).is_ok());
        std::fs::rename(&fifo, dir.path().join(".env")).unwrap();
        assert!(
            check_regular_files(dir.path()).is_err(),
            "a FIFO .env is refused"
        );
    }

    #[test]
    fn only_our_temporary_names_count_as_stale() {
        for name in [
            "..env.1700000000000000000-0.tmp",
            ".credentials.42-3.tmp",
            ".pending-otp.1-0.tmp",
        ] {
            assert!(is_stale_temporary(name), "{name} should be stale");
        }
        for name in [
            ".env",
            "notes.tmp",
            ".env.tmp",
            ".env.12.tmp",
            ".env.1-a.tmp",
            "..1-0.tmp",
            ".report.20240101-2.tmp",
        ] {
            assert!(!is_stale_temporary(name), "{name} should be kept");
        }
    }

    #[test]
    fn the_lock_cleans_stale_temporaries_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("..env.17-0.tmp"), "half").unwrap();
        fs::write(dir.path().join("notes.tmp"), "mine").unwrap();
        let lock = DirLock::acquire(dir.path()).unwrap();
        lock.release().unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [".lock", "notes.tmp"]);
    }

    #[test]
    fn the_default_host_comes_from_env_then_credentials() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(stored_default_host(dir.path()).unwrap(), None);
        fs::write(
            dir.path().join("credentials"),
            "[other]\nhost = https://o\n[default]\nHost = https://d\n",
        )
        .unwrap();
        assert_eq!(
            stored_default_host(dir.path()).unwrap(),
            Some(("https://d".to_string(), StoredIn::Credentials))
        );
        fs::write(
            dir.path().join(".env"),
            "A=1\nexport KONECTY_URL = \"https://e\"\n",
        )
        .unwrap();
        assert_eq!(
            stored_default_host(dir.path()).unwrap(),
            Some(("https://e".to_string(), StoredIn::EnvFile))
        );
    }
}
