//! What differs between Unix and Windows for the files the host itself touches: modes and
//! owners, opening without following a link or blocking, syncing a directory, the umask.
//!
//! Windows has no modes and no umask: a file gets the access control list of the directory
//! it is created in, and a directory under the user's profile (`%USERPROFILE%\.konecty`) is
//! the user's alone unless someone changed the profile's list. The host does not set lists
//! of its own there; the README says so.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, the last one private (0700 on Unix).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// A file created through `options` is private from its first byte (0600 on Unix).
pub fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600)
    }
    #[cfg(not(unix))]
    {
        options
    }
}

/// Opening through `options` neither follows a symbolic link nor waits (on a FIFO, say),
/// nor makes a terminal the process's own. On Windows, a link is opened as itself (its
/// metadata then says it is not a regular file).
pub fn without_following(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        /// FILE_FLAG_OPEN_REPARSE_POINT: the link itself, not what it points to.
        const OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        options.custom_flags(OPEN_REPARSE_POINT)
    }
    #[cfg(not(any(unix, windows)))]
    {
        options
    }
}

/// Whether opening failed because the path is a symbolic link (Unix: `ELOOP` under
/// `O_NOFOLLOW`).
pub fn is_link_refusal(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// Makes the entries renamed into `dir` durable. Windows cannot open a directory as a file;
/// its renames are journaled by NTFS.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir).and_then(|dir| dir.sync_all())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Every file this process creates from now on is private (umask 077). Nothing to do on
/// Windows, which has no umask.
pub fn private_umask() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// The permission bits of `meta` (Unix), or None where files have none.
pub fn mode(meta: &fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Some(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Sets the permission bits of `path` (Unix only).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Whether this process's user owns what `meta` describes. On Windows the profile's
/// access list decides who may use it, so this holds.
pub fn is_ours(meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// What a path that is not a regular file is, in words.
pub fn kind_of(meta: &fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        } else if kind.is_socket() {
            return "a socket";
        } else if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

/// What changes when a file is rewritten or replaced: its size and, on Unix, its inode and
/// change time; elsewhere its modification time.
pub fn version_of(meta: &fs::Metadata) -> (u64, u64, i64, i64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.len(), meta.ino(), meta.ctime(), meta.ctime_nsec())
    }
    #[cfg(not(unix))]
    {
        let since_epoch = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        (
            meta.len(),
            0,
            since_epoch.as_secs() as i64,
            i64::from(since_epoch.subsec_nanos()),
        )
    }
}

/// A FIFO at `path`, for tests of what must not wait on one.
#[cfg(all(test, unix))]
pub(crate) fn make_fifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("a FIFO can be made");
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn private_directories_and_files_are_the_users_alone() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_private_dir(&dir).unwrap();
        let meta = fs::metadata(&dir).unwrap();
        assert_eq!(mode(&meta), Some(0o700), "the directory made");
        assert!(is_ours(&meta), "made by this user");

        let path = dir.join("file");
        private(OpenOptions::new().write(true).create(true))
            .open(&path)
            .unwrap();
        assert_eq!(mode(&fs::metadata(&path).unwrap()), Some(0o600));
        set_mode(&path, 0o640).unwrap();
        assert_eq!(mode(&fs::metadata(&path).unwrap()), Some(0o640));
    }

    #[test]
    fn links_are_refused_and_fifos_do_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let refused = without_following(OpenOptions::new().read(true))
            .open(&link)
            .unwrap_err();
        assert!(is_link_refusal(&refused), "expected ELOOP, got {refused}");

        let fifo = dir.path().join("fifo");
        make_fifo(&fifo);
        // Would wait for a writer without O_NONBLOCK.
        let opened = without_following(OpenOptions::new().read(true))
            .open(&fifo)
            .unwrap();
        assert_eq!(kind_of(&opened.metadata().unwrap()), "a FIFO");
        assert_eq!(kind_of(&fs::metadata(dir.path()).unwrap()), "a directory");
    }

    #[test]
    fn a_replaced_file_has_another_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "one").unwrap();
        let before = version_of(&fs::metadata(&path).unwrap());
        let replacement = dir.path().join("g");
        fs::write(&replacement, "two").unwrap();
        fs::rename(&replacement, &path).unwrap();
        let after = version_of(&fs::metadata(&path).unwrap());
        assert_ne!(before, after, "same size, but another inode");
        assert!(sync_dir(dir.path()).is_ok());
    }
}
