//! Which origin issued each token this program saw issued, so that a token is never sent to
//! another origin whatever the credential files say: a component may rewrite those files
//! (`KONECTY_URL` in `.env` decides where later runs go), but not this record, which lives
//! in the user's state directory, outside the directory any component is granted. Only a
//! SHA-256 of each token is kept, never the token.
//!
//! A line per token, appended: `<sha256 hex> <origin>`; the last line for a token wins.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::files::credentials_dir::read_own;
use crate::files::platform;
use crate::network::origin::Origin;

const FILE_NAME: &str = "issued-tokens";
/// Held (an exclusive file lock) while a run appends or compacts.
const LOCK_NAME: &str = "issued-tokens.lock";
/// Past this size (about four thousand logins) the file is compacted before the next line;
/// it stays well under the 1 MiB the host reads of a file.
const COMPACT_ABOVE: u64 = 512 * 1024;
/// What a compaction keeps: the newest lines.
const KEEP_AFTER_COMPACTION: usize = 2000;

/// The record of issued tokens, in one file.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    path: PathBuf,
}

impl IssuedTokens {
    /// `$XDG_STATE_HOME/konecty-session/issued-tokens`, else under `~/.local/state` (a
    /// relative `XDG_STATE_HOME` is ignored, as the XDG specification says).
    pub fn default_location() -> Option<IssuedTokens> {
        let absolute = |name| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
        };
        let state = absolute("XDG_STATE_HOME")
            .or_else(|| absolute("HOME").map(|home| home.join(".local/state")))?;
        Some(IssuedTokens::at(state.join("konecty-session")))
    }

    /// The record in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> IssuedTokens {
        IssuedTokens {
            path: dir.into().join(FILE_NAME),
        }
    }

    /// The directory of the record.
    pub fn dir(&self) -> &Path {
        self.path.parent().expect("the record is in a directory")
    }

    /// The origin that issued `token`, if this program saw it issued. A record that exists
    /// but cannot be read, or sits where others can write, is an error: the protection is
    /// never dropped silently.
    pub fn origin_of(&self, token: &str) -> Result<Option<String>> {
        self.check_dir()?;
        let key = fingerprint(token);
        let Some(text) = read_own(&self.path)? else {
            return Ok(None);
        };
        Ok(text
            .lines()
            .rev()
            .filter_map(|line| line.split_once(' '))
            .find(|(hash, _)| *hash == key)
            .map(|(_, origin)| origin.to_string()))
    }

    /// Records that `origin` issued `token`, under a lock shared with every other run.
    pub fn record(&self, token: &str, origin: &Origin) -> Result<()> {
        let dir = self.dir();
        platform::create_private_dir(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        self.check_dir()?;
        let lock = open_no_follow(
            &dir.join(LOCK_NAME),
            OpenOptions::new().read(true).write(true).create(true),
        )?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", dir.display()))?;
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.len() > COMPACT_ABOVE) {
            self.compact()?;
        }
        let line = format!("{} {origin}\n", fingerprint(token));
        open_no_follow(&self.path, OpenOptions::new().append(true).create(true))?
            .write_all(line.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// The record's directory must be the user's and closed to others.
    fn check_dir(&self) -> Result<()> {
        let Ok(meta) = fs::symlink_metadata(self.dir()) else {
            return Ok(());
        };
        let open_to_others = platform::mode(&meta).is_some_and(|mode| mode & 0o022 != 0);
        if !meta.is_dir() || !platform::is_ours(&meta) || open_to_others {
            anyhow::bail!(
                "{} must be a directory of yours that others cannot write to (it records \
                 which host issued each token)",
                self.dir().display()
            );
        }
        Ok(())
    }

    /// Keeps the newest lines (temporary file, rename); called under the lock.
    fn compact(&self) -> Result<()> {
        let text = read_own(&self.path)?.unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let kept = &lines[lines.len().saturating_sub(KEEP_AFTER_COMPACTION)..];
        let temporary = self
            .path
            .with_extension(format!("{}.tmp", std::process::id()));
        let mut file = open_no_follow(
            &temporary,
            OpenOptions::new().write(true).create(true).truncate(true),
        )?;
        for line in kept {
            writeln!(file, "{line}")?;
        }
        file.sync_all()?;
        fs::rename(&temporary, &self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))
    }
}

fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Opens without following a symlink and without waiting (a FIFO in its place must not
/// hang the command).
fn open_no_follow(path: &Path, options: &mut OpenOptions) -> Result<File> {
    platform::without_following(platform::private(options))
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::of_base_url(url).unwrap()
    }

    #[test]
    fn a_recorded_token_names_its_origin_and_the_newest_record_wins() {
        let dir = tempfile::tempdir().unwrap();
        let issued = IssuedTokens::at(dir.path().join("state"));
        assert_eq!(
            issued.origin_of("t1").unwrap(),
            None,
            "nothing recorded yet"
        );
        issued.record("t1", &origin("https://a.example")).unwrap();
        issued.record("t2", &origin("https://b.example")).unwrap();
        issued
            .record("t1", &origin("https://c.example:8443"))
            .unwrap();
        assert_eq!(
            issued.origin_of("t1").unwrap().as_deref(),
            Some("https://c.example:8443")
        );
        assert_eq!(
            issued.origin_of("t2").unwrap().as_deref(),
            Some("https://b.example:443")
        );
        assert_eq!(issued.origin_of("t3").unwrap(), None);
        let text = fs::read_to_string(dir.path().join("state").join(FILE_NAME)).unwrap();
        assert!(
            !text.contains("t1") && !text.contains("t2"),
            "tokens kept in clear: {text}"
        );
    }

    #[test]
    fn a_record_others_can_write_to_or_cannot_read_is_an_error_not_a_pass() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let issued = IssuedTokens::at(&state);
        issued.record("t1", &origin("https://a.example")).unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            issued.origin_of("t1").is_err(),
            "a world-writable record is not trusted"
        );
        fs::set_permissions(&state, fs::Permissions::from_mode(0o700)).unwrap();
        fs::remove_file(state.join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", state.join(FILE_NAME)).unwrap();
        assert!(
            issued.origin_of("t1").is_err(),
            "a symlinked record is an error"
        );
    }

    #[test]
    fn a_large_record_is_compacted_to_its_newest_lines() {
        let dir = tempfile::tempdir().unwrap();
        let issued = IssuedTokens::at(dir.path());
        let filler = format!("{} https://old.example:443\n", "0".repeat(64));
        fs::write(
            dir.path().join(FILE_NAME),
            filler.repeat((COMPACT_ABOVE as usize / filler.len()) + 2),
        )
        .unwrap();
        issued
            .record("fresh", &origin("https://new.example"))
            .unwrap();
        let size = fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
        assert!(
            size < COMPACT_ABOVE,
            "expected a compacted file, got {size} bytes"
        );
        assert_eq!(
            issued.origin_of("fresh").unwrap().as_deref(),
            Some("https://new.example:443")
        );
    }
}
