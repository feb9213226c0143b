//! Which origin issued each token this program saw issued, so that a token is never sent to
//! another origin whatever the credential files say: a component may rewrite those files
//! (`KONECTY_URL` in `.env` decides where later runs go), but not this record, which lives
//! in the user's state directory, outside the directory any component is granted. Only a
//! SHA-256 of each token is kept, never the token.
//!
//! A line per token, appended: `<sha256 hex> <origin>`; the last line for a token wins.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::credentials_dir::read_own;
use crate::policy::Origin;

const FILE_NAME: &str = "issued-tokens";
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
    /// `$XDG_STATE_HOME/konecty-session/issued-tokens`, else under `~/.local/state`.
    pub fn default_location() -> Option<IssuedTokens> {
        let non_empty = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let state = non_empty("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| non_empty("HOME").map(|home| PathBuf::from(home).join(".local/state")))?;
        Some(IssuedTokens::at(state.join("konecty-session")))
    }

    /// The record in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> IssuedTokens {
        IssuedTokens {
            path: dir.into().join(FILE_NAME),
        }
    }

    /// The origin that issued `token`, if this program saw it issued.
    pub fn origin_of(&self, token: &str) -> Option<String> {
        let key = fingerprint(token);
        let text = read_own(&self.path).ok()??;
        text.lines()
            .rev()
            .filter_map(|line| line.split_once(' '))
            .find(|(hash, _)| *hash == key)
            .map(|(_, origin)| origin.to_string())
    }

    /// Records that `origin` issued `token`.
    pub fn record(&self, token: &str, origin: &Origin) -> Result<()> {
        let dir = self.path.parent().expect("the record is in a directory");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.len() > COMPACT_ABOVE) {
            self.compact()?;
        }
        let line = format!("{} {origin}\n", fingerprint(token));
        open_no_follow(&self.path, OpenOptions::new().append(true).create(true))?
            .write_all(line.as_bytes())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Keeps the newest lines (temporary file, rename).
    fn compact(&self) -> Result<()> {
        let text = read_own(&self.path)?.unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let kept = &lines[lines.len().saturating_sub(KEEP_AFTER_COMPACTION)..];
        let temporary = self.path.with_extension("tmp");
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
    use rustix::fs::OFlags;
    options
        .mode(0o600)
        .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32)
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
        assert_eq!(issued.origin_of("t1"), None, "nothing recorded yet");
        issued.record("t1", &origin("https://a.example")).unwrap();
        issued.record("t2", &origin("https://b.example")).unwrap();
        issued
            .record("t1", &origin("https://c.example:8443"))
            .unwrap();
        assert_eq!(
            issued.origin_of("t1").as_deref(),
            Some("https://c.example:8443")
        );
        assert_eq!(
            issued.origin_of("t2").as_deref(),
            Some("https://b.example:443")
        );
        assert_eq!(issued.origin_of("t3"), None);
        let text = fs::read_to_string(dir.path().join("state").join(FILE_NAME)).unwrap();
        assert!(
            !text.contains("t1") && !text.contains("t2"),
            "tokens kept in clear: {text}"
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
            issued.origin_of("fresh").as_deref(),
            Some("https://new.example:443")
        );
    }
}
