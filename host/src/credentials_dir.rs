//! The one directory the component is granted: created 0700, files left 0600.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The files the component writes; the host tightens their modes after every call.
const FILES: [&str; 2] = [".env", "credentials"];

/// `~/.konecty`, the directory every Konecty skill reads.
pub fn default_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("HOME is not set: pass --dir to say where the credential files go")?;
    Ok(PathBuf::from(home).join(".konecty"))
}

/// Creates `dir` 0700 if missing, tightens it to 0700 if looser, and makes every file
/// created from now on in this process private (umask 077), so that the component's files,
/// temporary ones included, are 0600 from their first byte.
pub fn prepare(dir: &Path) -> Result<()> {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let meta = fs::metadata(dir).with_context(|| format!("cannot inspect {}", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
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
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private (0600)", path.display()))?;
        }
    }
    Ok(())
}
