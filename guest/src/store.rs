//! The two credential files, in the one directory the host preopens as `.`.

use std::fs;
use std::io::ErrorKind;

use crate::error::{Error, Result};
use crate::validate::{self, BaseUrl};
use crate::{clock, dotenv, ini};

pub const ENV_FILE: &str = ".env";
pub const CREDENTIALS_FILE: &str = "credentials";
/// Credential files are a few lines; a larger one is not ours to rewrite.
const MAX_FILE: u64 = 1024 * 1024;

pub const DEFAULT_SECTION: &str = "default";

pub struct Saved<'a> {
    pub host: &'a BaseUrl,
    pub token: &'a str,
    pub user_id: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Env,
    Credentials,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub host: String,
    pub token: String,
    pub user_id: Option<String>,
    /// `issuedAt`, in Unix seconds.
    pub issued_at: Option<u64>,
    pub file: File,
}

pub fn save(session: &Saved, env_file: bool, credentials_file: bool) -> Result<()> {
    for (what, value) in [
        ("session token", session.token),
        ("user id", session.user_id),
    ] {
        validate::file_safe(what, value).map_err(Error::invalid)?;
    }
    let host = session.host.to_string();
    if credentials_file {
        let issued_at = clock::format(clock::now());
        let keys = [
            ("host", host.as_str()),
            ("userId", session.user_id),
            ("authId", session.token),
            ("issuedAt", issued_at.as_str()),
        ];
        let before = read(CREDENTIALS_FILE)?.unwrap_or_default();
        let mut after = ini::set(&before, DEFAULT_SECTION, &keys);
        if may_have_own_section(&host) {
            let section = section_for(&after, &host);
            after = ini::set(&after, &section, &keys);
        }
        write_atomic(CREDENTIALS_FILE, &after)?;
    }
    if env_file {
        let keys = [
            ("KONECTY_URL", host.as_str()),
            ("KONECTY_TOKEN", session.token),
            ("KONECTY_USER_ID", session.user_id),
        ];
        let before = read(ENV_FILE)?.unwrap_or_default();
        write_atomic(ENV_FILE, &dotenv::set(&before, &keys))?;
    }
    Ok(())
}

/// Every session stored for `host`: `.env` first, then `credentials` (the host's section,
/// else `[default]` when it names the host). Empty values count as no session.
pub fn stored(host: &BaseUrl) -> Result<Vec<Stored>> {
    let credentials = read(CREDENTIALS_FILE)?.unwrap_or_default();
    let env = read(ENV_FILE)?.unwrap_or_default();
    let wanted = host.to_string();
    let entry =
        |section: &str, key: &str| ini::get(&credentials, section, key).filter(|v| !v.is_empty());

    let own = section_for(&credentials, &wanted);
    let default_names_host = entry(DEFAULT_SECTION, "host").is_some_and(|h| same_host(&h, &wanted));
    let in_credentials = [
        Some(own),
        default_names_host.then(|| DEFAULT_SECTION.to_string()),
    ]
    .into_iter()
    .flatten()
    .find_map(|section| {
        let token = entry(&section, "authId")?;
        Some(Stored {
            host: wanted.clone(),
            user_id: entry(&section, "userId"),
            issued_at: entry(&section, "issuedAt")
                .as_deref()
                .and_then(clock::parse),
            token,
            file: File::Credentials,
        })
    });

    let env_value = |key: &str| dotenv::get(&env, key).filter(|v| !v.is_empty());
    let in_env = match (env_value("KONECTY_URL"), env_value("KONECTY_TOKEN")) {
        (Some(env_host), Some(token)) if same_host(&env_host, &wanted) => Some(Stored {
            host: wanted.clone(),
            user_id: env_value("KONECTY_USER_ID"),
            // Only credentials records the time; it holds for .env when the token is the same.
            issued_at: in_credentials
                .as_ref()
                .filter(|c| c.token == token)
                .and_then(|c| c.issued_at),
            token,
            file: File::Env,
        }),
        _ => None,
    };
    Ok(in_env.into_iter().chain(in_credentials).collect())
}

/// The hosts with a session in a section of their own, in file order.
pub fn hosts() -> Result<Vec<String>> {
    let credentials = read(CREDENTIALS_FILE)?.unwrap_or_default();
    Ok(ini::section_names(&credentials)
        .into_iter()
        .filter(|name| name != DEFAULT_SECTION)
        .filter(|name| ini::get(&credentials, name, "authId").is_some_and(|t| !t.is_empty()))
        .collect())
}

/// Copies the session in the host's own `credentials` section to `[default]` and `.env`.
/// None when that section holds no session.
pub fn make_default(host: &BaseUrl) -> Result<Option<Stored>> {
    let wanted = host.to_string();
    let Some(credentials) = read(CREDENTIALS_FILE)? else {
        return Ok(None);
    };
    let section = section_for(&credentials, &wanted);
    let entry = |key: &str| ini::get(&credentials, &section, key).filter(|v| !v.is_empty());
    let Some(token) = entry("authId") else {
        return Ok(None);
    };
    let user_id = entry("userId");
    let issued_at = entry("issuedAt");
    // The values go back into files that shells source: same check as when saving.
    for (what, value) in [
        ("session token", Some(&token)),
        ("user id", user_id.as_ref()),
    ] {
        if let Some(value) = value {
            validate::file_safe(what, value).map_err(Error::Storage)?;
        }
    }

    let mut default = vec![("host", wanted.as_str()), ("authId", token.as_str())];
    default.extend(user_id.as_deref().map(|id| ("userId", id)));
    default.extend(issued_at.as_deref().map(|at| ("issuedAt", at)));
    let mut after = ini::set(&credentials, DEFAULT_SECTION, &default);
    for (key, present) in [
        ("userId", user_id.is_some()),
        ("issuedAt", issued_at.is_some()),
    ] {
        if !present {
            after = ini::remove(&after, DEFAULT_SECTION, key);
        }
    }
    write_atomic(CREDENTIALS_FILE, &after)?;

    let env = read(ENV_FILE)?.unwrap_or_default();
    let mut keys = vec![
        ("KONECTY_URL", wanted.as_str()),
        ("KONECTY_TOKEN", token.as_str()),
    ];
    keys.extend(user_id.as_deref().map(|id| ("KONECTY_USER_ID", id)));
    let mut env_after = dotenv::set(&env, &keys);
    if user_id.is_none() {
        env_after = dotenv::remove(&env_after, "KONECTY_USER_ID");
    }
    write_atomic(ENV_FILE, &env_after)?;

    Ok(Some(Stored {
        host: wanted,
        token,
        user_id,
        issued_at: issued_at.as_deref().and_then(clock::parse),
        file: File::Credentials,
    }))
}

/// Removes the token for `host` from both files; true if there was one.
pub fn forget(host: &BaseUrl) -> Result<bool> {
    let host = host.to_string();
    let mut removed = false;

    if let Some(before) = read(CREDENTIALS_FILE)? {
        let mut after = before.clone();
        for section in ini::section_names(&before) {
            let names_host = if section == DEFAULT_SECTION {
                ini::get(&before, DEFAULT_SECTION, "host").is_some_and(|h| same_host(&h, &host))
            } else {
                same_host(&section, &host)
            };
            if names_host {
                after = ini::remove(&after, &section, "authId");
            }
        }
        if after != before {
            write_atomic(CREDENTIALS_FILE, &after)?;
            removed = true;
        }
    }
    if let Some(before) = read(ENV_FILE)? {
        let env_host = dotenv::get(&before, "KONECTY_URL");
        if env_host.is_some_and(|h| same_host(&h, &host)) {
            let after = dotenv::remove(&before, "KONECTY_TOKEN");
            if after != before {
                write_atomic(ENV_FILE, &after)?;
                removed = true;
            }
        }
    }
    Ok(removed)
}

/// Whether `host` gets a `credentials` section of its own besides `[default]`. npm's `ini`,
/// which the Node SDK reads the file with, ends a section name at its first `]`: the section
/// of an IPv6 literal (`[http://[::1]:3000]`) would be misread, its keys landing in the
/// section before it, `[default]` included. Such a host is stored in `[default]` only.
fn may_have_own_section(host: &str) -> bool {
    !host.contains(']')
}

/// The section for `host`: an existing one named by the same base URL (written by hand,
/// with capitals or a trailing slash), else the normalised URL.
fn section_for(credentials: &[u8], host: &str) -> String {
    ini::section_names(credentials)
        .into_iter()
        .find(|name| name != DEFAULT_SECTION && same_host(name, host))
        .unwrap_or_else(|| host.to_string())
}

/// Compares base URLs as the guest normalises them; unparsable ones compare as text.
fn same_host(stored: &str, wanted: &str) -> bool {
    match (BaseUrl::parse(stored), BaseUrl::parse(wanted)) {
        (Ok(a), Ok(b)) => a == b,
        _ => stored == wanted,
    }
}

pub fn read(name: &str) -> Result<Option<Vec<u8>>> {
    let file = match fs::File::open(name) {
        Ok(file) => file,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::storage(&format!("cannot open {name}"), err)),
    };
    let size = file
        .metadata()
        .map_err(|e| Error::storage(&format!("cannot inspect {name}"), e))?
        .len();
    if size > MAX_FILE {
        return Err(Error::Storage(format!(
            "{name} is {size} bytes, larger than the {MAX_FILE} this tool will rewrite"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_FILE + 1), &mut bytes)
        .map_err(|e| Error::storage(&format!("cannot read {name}"), e))?;
    Ok(Some(bytes))
}

/// Writes a temporary file beside `name`, syncs it, and renames it over `name`, so a crash
/// leaves either the old file or the new one. A symlink at `name` is replaced, never followed.
pub fn write_atomic(name: &str, bytes: &[u8]) -> Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, file) = loop {
        let tmp = format!(".{name}.{stamp}-{attempt}.tmp");
        match create_new(&tmp) {
            Ok(file) => break (tmp, file),
            Err(err) if err.kind() == ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(err) => {
                return Err(Error::storage(
                    &format!("cannot create a temporary file for {name}"),
                    err,
                ));
            }
        }
    };
    let written = write_all(&file, bytes).and_then(|()| file.sync().map_err(io_error));
    drop(file);
    let written = written.and_then(|()| fs::rename(&tmp, name));
    if let Err(err) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::storage(&format!("cannot write {name}"), err));
    }
    Ok(())
}

/// Creates `name` (never an existing file, never through a symlink) in the preopened
/// directory, open for writing only. std's open goes through wasi-libc, which also asks
/// for `mutate-directory`: wasmtime ignores that flag, but jco's preview2-shim refuses the
/// open as unsupported, and the component must run under both.
fn create_new(name: &str) -> std::io::Result<wasip2::filesystem::types::Descriptor> {
    use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};
    let dir = wasip2::filesystem::preopens::get_directories()
        .into_iter()
        .find(|(_, path)| path == ".")
        .map(|(dir, _)| dir)
        .ok_or_else(|| std::io::Error::new(ErrorKind::NotFound, "no directory preopened as ."))?;
    dir.open_at(
        PathFlags::empty(),
        name,
        OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        DescriptorFlags::WRITE,
    )
    .map_err(io_error)
}

fn write_all(file: &wasip2::filesystem::types::Descriptor, bytes: &[u8]) -> std::io::Result<()> {
    let mut offset = 0;
    while offset < bytes.len() {
        let n = file
            .write(&bytes[offset..], offset as u64)
            .map_err(io_error)?;
        if n == 0 {
            return Err(std::io::Error::new(ErrorKind::WriteZero, "wrote nothing"));
        }
        offset += n as usize;
    }
    Ok(())
}

fn io_error(code: wasip2::filesystem::types::ErrorCode) -> std::io::Error {
    use wasip2::filesystem::types::ErrorCode;
    let kind = match code {
        ErrorCode::Exist => ErrorKind::AlreadyExists,
        ErrorCode::NoEntry => ErrorKind::NotFound,
        ErrorCode::Access | ErrorCode::NotPermitted | ErrorCode::ReadOnly => {
            ErrorKind::PermissionDenied
        }
        ErrorCode::InsufficientSpace => ErrorKind::StorageFull,
        ErrorCode::Quota => ErrorKind::QuotaExceeded,
        _ => ErrorKind::Other,
    };
    std::io::Error::new(kind, code.message())
}
