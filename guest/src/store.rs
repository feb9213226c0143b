//! The two credential files, in the one directory the host preopens as `.`.

use std::fs;
use std::io::{ErrorKind, Write};

use crate::error::{Error, Result};
use crate::validate::{self, BaseUrl};
use crate::{dotenv, ini};

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub host: String,
    pub token: String,
    pub user_id: Option<String>,
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
        let keys = [
            ("host", host.as_str()),
            ("userId", session.user_id),
            ("authId", session.token),
        ];
        let before = read(CREDENTIALS_FILE)?.unwrap_or_default();
        let after = ini::set(&before, DEFAULT_SECTION, &keys);
        let section = section_for(&after, &host);
        let after = ini::set(&after, &section, &keys);
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

/// The stored session for `host`, or the default one. The credentials file wins over
/// `.env` because it can hold several hosts. Empty values count as no session.
pub fn load(host: Option<&BaseUrl>) -> Result<Option<Stored>> {
    let credentials = read(CREDENTIALS_FILE)?.unwrap_or_default();
    let env = read(ENV_FILE)?.unwrap_or_default();
    let wanted = host.map(BaseUrl::to_string);
    let entry =
        |section: &str, key: &str| ini::get(&credentials, section, key).filter(|v| !v.is_empty());
    let default_host = entry(DEFAULT_SECTION, "host");

    let mut candidates = Vec::new();
    if let Some(wanted) = &wanted {
        candidates.push((section_for(&credentials, wanted), wanted.clone()));
    }
    // The default section counts when no host was asked for, or when it names that host.
    if let Some(default_host) = default_host
        && wanted
            .as_deref()
            .is_none_or(|w| same_host(&default_host, w))
    {
        candidates.push((DEFAULT_SECTION.to_string(), default_host));
    }
    for (section, host) in candidates {
        if let Some(token) = entry(&section, "authId") {
            let user_id = entry(&section, "userId");
            return Ok(Some(Stored {
                host,
                token,
                user_id,
            }));
        }
    }

    let env_value = |key: &str| dotenv::get(&env, key).filter(|v| !v.is_empty());
    if let (Some(env_host), Some(token)) = (env_value("KONECTY_URL"), env_value("KONECTY_TOKEN"))
        && wanted.as_deref().is_none_or(|w| same_host(&env_host, w))
    {
        let user_id = env_value("KONECTY_USER_ID");
        return Ok(Some(Stored {
            host: env_host,
            token,
            user_id,
        }));
    }
    Ok(None)
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

fn read(name: &str) -> Result<Option<Vec<u8>>> {
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
fn write_atomic(name: &str, bytes: &[u8]) -> Result<()> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = format!(".{name}.{stamp}-{attempt}.tmp");
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
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
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    let written = written.and_then(|()| fs::rename(&tmp, name));
    if let Err(err) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::storage(&format!("cannot write {name}"), err));
    }
    Ok(())
}
