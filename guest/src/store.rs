//! The two credential files, in the one directory the host preopens.
//!
//! Files are opened through that directory's descriptor, not through std's paths: std
//! resolves a relative name only against a directory preopened as `.`, and hosts preopen
//! at paths of their own (Wassette maps `fs://P` to `P`; a Node host picks any key).

use std::io::ErrorKind;

use wasip2::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};

use konecty_session_formats::{dotenv, ini};

use crate::clock;
use crate::error::{Error, Result};
use crate::konecty::session::types::{CredentialFile, StoredSession};
use crate::validate::{self, BaseUrl};

pub const ENV_FILE: &str = ".env";
pub const CREDENTIALS_FILE: &str = "credentials";
/// Credential files are a few lines; a larger one is not ours to rewrite.
const MAX_FILE: u64 = 1024 * 1024;

pub const DEFAULT_SECTION: &str = "default";

/// What save-session writes. Not the WIT `session`: its host is the parsed, normalised base
/// URL (the WIT one is the caller's text), and name and email are not stored.
pub struct Saved<'a> {
    pub host: &'a BaseUrl,
    pub token: &'a str,
    pub user_id: &'a str,
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
        write_atomic(
            CREDENTIALS_FILE,
            &saved_in_credentials(&before, &host, &keys),
        )?;
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
pub fn stored(host: &BaseUrl) -> Result<Vec<StoredSession>> {
    let credentials = read(CREDENTIALS_FILE)?.unwrap_or_default();
    let env = read(ENV_FILE)?.unwrap_or_default();
    Ok(sessions_in(&credentials, &env, &host.to_string()))
}

/// The hosts with a session in a section of their own, in file order.
pub fn hosts() -> Result<Vec<String>> {
    let credentials = read(CREDENTIALS_FILE)?.unwrap_or_default();
    Ok(hosts_in(&credentials))
}

/// Copies the session in the host's own `credentials` section to `[default]` and `.env`.
/// None when that section holds no session.
pub fn make_default(host: &BaseUrl) -> Result<Option<StoredSession>> {
    let wanted = host.to_string();
    let Some(credentials) = read(CREDENTIALS_FILE)? else {
        return Ok(None);
    };
    let Some(own) = own_session(&credentials, &wanted)? else {
        return Ok(None);
    };
    write_atomic(
        CREDENTIALS_FILE,
        &own.as_default_in_credentials(&credentials, &wanted),
    )?;
    let env = read(ENV_FILE)?.unwrap_or_default();
    write_atomic(ENV_FILE, &own.as_default_in_env(&env, &wanted))?;
    Ok(Some(own.into_stored(wanted)))
}

/// Removes the token for `host` from both files; true if there was one.
pub fn forget(host: &BaseUrl) -> Result<bool> {
    let host = host.to_string();
    let mut removed = false;
    if let Some(before) = read(CREDENTIALS_FILE)?
        && let Some(after) = forgotten_in_credentials(&before, &host)
    {
        write_atomic(CREDENTIALS_FILE, &after)?;
        removed = true;
    }
    if let Some(before) = read(ENV_FILE)?
        && let Some(after) = forgotten_in_env(&before, &host)
    {
        write_atomic(ENV_FILE, &after)?;
        removed = true;
    }
    Ok(removed)
}

// What each operation makes of the files' contents, apart from reading and writing them,
// so that it can be tested natively.

/// `credentials` with `keys` set in `[default]` and, when the host may have one, in its own
/// section.
fn saved_in_credentials(before: &[u8], host: &str, keys: &[(&str, &str)]) -> Vec<u8> {
    let after = ini::set(before, DEFAULT_SECTION, keys);
    if !may_have_own_section(host) {
        return after;
    }
    let section = section_for(&after, host);
    ini::set(&after, &section, keys)
}

/// See [`stored`].
fn sessions_in(credentials: &[u8], env: &[u8], wanted: &str) -> Vec<StoredSession> {
    let entry =
        |section: &str, key: &str| ini::get(credentials, section, key).filter(|v| !v.is_empty());

    let own = section_for(credentials, wanted);
    let default_names_host = entry(DEFAULT_SECTION, "host").is_some_and(|h| same_host(&h, wanted));
    let in_credentials = [
        Some(own),
        default_names_host.then(|| DEFAULT_SECTION.to_string()),
    ]
    .into_iter()
    .flatten()
    .find_map(|section| {
        let token = entry(&section, "authId")?;
        Some(StoredSession {
            host: wanted.to_string(),
            user_id: entry(&section, "userId"),
            issued_at: entry(&section, "issuedAt")
                .as_deref()
                .and_then(clock::parse),
            token,
            file: CredentialFile::CredentialsFile,
        })
    });

    let env_value = |key: &str| dotenv::get(env, key).filter(|v| !v.is_empty());
    let in_env = match (env_value("KONECTY_URL"), env_value("KONECTY_TOKEN")) {
        (Some(env_host), Some(token)) if same_host(&env_host, wanted) => Some(StoredSession {
            host: wanted.to_string(),
            user_id: env_value("KONECTY_USER_ID"),
            // Only credentials records the time; it holds for .env when the token is the same.
            issued_at: in_credentials
                .as_ref()
                .filter(|c| c.token == token)
                .and_then(|c| c.issued_at),
            token,
            file: CredentialFile::EnvFile,
        }),
        _ => None,
    };
    in_env.into_iter().chain(in_credentials).collect()
}

/// See [`hosts`].
fn hosts_in(credentials: &[u8]) -> Vec<String> {
    ini::section_names(credentials)
        .into_iter()
        .filter(|name| name != DEFAULT_SECTION)
        .filter(|name| ini::get(credentials, name, "authId").is_some_and(|t| !t.is_empty()))
        .collect()
}

/// The session in a host's own `credentials` section, which `use` makes the default. Not the
/// WIT `stored-session`: `issuedAt` is kept as written, to be copied unchanged.
#[derive(Debug, PartialEq, Eq)]
struct OwnSession {
    token: String,
    user_id: Option<String>,
    /// As written, copied as it is.
    issued_at: Option<String>,
}

/// The session in `wanted`'s own section, if it holds one whose values are safe to copy.
fn own_session(credentials: &[u8], wanted: &str) -> Result<Option<OwnSession>> {
    let section = section_for(credentials, wanted);
    let entry = |key: &str| ini::get(credentials, &section, key).filter(|v| !v.is_empty());
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
    Ok(Some(OwnSession {
        token,
        user_id,
        issued_at,
    }))
}

impl OwnSession {
    /// `credentials` with this session in `[default]`, keys it lacks removed there.
    fn as_default_in_credentials(&self, credentials: &[u8], host: &str) -> Vec<u8> {
        let mut default = vec![("host", host), ("authId", self.token.as_str())];
        default.extend(self.user_id.as_deref().map(|id| ("userId", id)));
        default.extend(self.issued_at.as_deref().map(|at| ("issuedAt", at)));
        let mut after = ini::set(credentials, DEFAULT_SECTION, &default);
        for (key, present) in [
            ("userId", self.user_id.is_some()),
            ("issuedAt", self.issued_at.is_some()),
        ] {
            if !present {
                after = ini::remove(&after, DEFAULT_SECTION, key);
            }
        }
        after
    }

    /// `.env` with this session, `KONECTY_USER_ID` removed if it has no user id.
    fn as_default_in_env(&self, env: &[u8], host: &str) -> Vec<u8> {
        let mut keys = vec![
            ("KONECTY_URL", host),
            ("KONECTY_TOKEN", self.token.as_str()),
        ];
        keys.extend(self.user_id.as_deref().map(|id| ("KONECTY_USER_ID", id)));
        let after = dotenv::set(env, &keys);
        if self.user_id.is_some() {
            return after;
        }
        dotenv::remove(&after, "KONECTY_USER_ID")
    }

    fn into_stored(self, host: String) -> StoredSession {
        StoredSession {
            host,
            token: self.token,
            user_id: self.user_id,
            issued_at: self.issued_at.as_deref().and_then(clock::parse),
            file: CredentialFile::CredentialsFile,
        }
    }
}

/// `credentials` without the tokens of the sections that name `host`: its own, and
/// `[default]` when its `host` is that one. None when there was no such token.
fn forgotten_in_credentials(before: &[u8], host: &str) -> Option<Vec<u8>> {
    let mut after = before.to_vec();
    for section in ini::section_names(before) {
        let names_host = if section == DEFAULT_SECTION {
            ini::get(before, DEFAULT_SECTION, "host").is_some_and(|h| same_host(&h, host))
        } else {
            same_host(&section, host)
        };
        if names_host {
            after = ini::remove(&after, &section, "authId");
        }
    }
    (after != before).then_some(after)
}

/// `.env` without its token when its `KONECTY_URL` is `host`. None when nothing changes.
fn forgotten_in_env(before: &[u8], host: &str) -> Option<Vec<u8>> {
    let env_host = dotenv::get(before, "KONECTY_URL");
    if !env_host.is_some_and(|h| same_host(&h, host)) {
        return None;
    }
    let after = dotenv::remove(before, "KONECTY_TOKEN");
    (after != before).then_some(after)
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

/// The directory the host granted: its only preopen, whatever its path; when a host gives
/// several, the one preopened as `.` (our own host's), else none is guessed at.
fn directory() -> std::io::Result<Descriptor> {
    let mut preopens = wasip2::filesystem::preopens::get_directories();
    let chosen = match preopens.len() {
        1 => preopens.pop(),
        _ => preopens
            .into_iter()
            .find(|(_, path)| path == ".")
            .map(|(dir, _)| (dir, String::new())),
    };
    chosen.map(|(dir, _)| dir).ok_or_else(|| {
        std::io::Error::new(
            ErrorKind::NotFound,
            "the host granted no single directory for the credential files",
        )
    })
}

pub fn read(name: &str) -> Result<Option<Vec<u8>>> {
    let file = match directory().and_then(|dir| {
        dir.open_at(
            PathFlags::SYMLINK_FOLLOW,
            name,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )
        .map_err(io_error)
    }) {
        Ok(file) => file,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::storage(&format!("cannot open {name}"), err)),
    };
    let size = file
        .stat()
        .map_err(|e| Error::storage(&format!("cannot inspect {name}"), io_error(e)))?
        .size;
    if size > MAX_FILE {
        return Err(Error::Storage(format!(
            "{name} is {size} bytes, larger than the {MAX_FILE} this tool will rewrite"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // Read until the end, but never past MAX_FILE: the file may grow while we read.
    loop {
        let offset = bytes.len() as u64;
        let (chunk, end) = file
            .read(MAX_FILE + 1 - offset, offset)
            .map_err(|e| Error::storage(&format!("cannot read {name}"), io_error(e)))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_FILE {
            return Err(Error::Storage(format!(
                "{name} grew past the {MAX_FILE} bytes this tool will rewrite"
            )));
        }
        if end || chunk.is_empty() {
            return Ok(Some(bytes));
        }
    }
}

/// Removes `name` from the granted directory (a symlink itself, never its target).
pub fn remove(name: &str) -> std::io::Result<()> {
    directory()?.unlink_file_at(name).map_err(io_error)
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
    let written = written.and_then(|()| {
        let dir = directory()?;
        dir.rename_at(&tmp, &dir, name).map_err(io_error)
    });
    if let Err(err) = written {
        let _ = remove(&tmp);
        return Err(Error::storage(&format!("cannot write {name}"), err));
    }
    Ok(())
}

/// Creates `name` (never an existing file, never through a symlink) in the granted
/// directory, open for writing only (std would also ask for `mutate-directory`: wasmtime
/// ignores that flag, but jco's preview2-shim refuses the open as unsupported).
fn create_new(name: &str) -> std::io::Result<Descriptor> {
    directory()?
        .open_at(
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

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "https://a.konecty.com";
    const KEYS: [(&str, &str); 4] = [
        ("host", HOST),
        ("userId", "u1"),
        ("authId", "t1"),
        ("issuedAt", "2026-11-23T14:01:12Z"),
    ];

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_saved_session_goes_to_default_and_to_the_hosts_own_section() {
        let entries = "host = https://a.konecty.com\nuserId = u1\nauthId = t1\nissuedAt = 2026-11-23T14:01:12Z\n";
        assert_eq!(
            text(&saved_in_credentials(b"", HOST, &KEYS)),
            format!("[default]\n{entries}\n[{HOST}]\n{entries}")
        );
        // A section written by hand for the same base URL is the host's own.
        let by_hand = b"[HTTPS://A.konecty.com/]\nauthId = old\n";
        let after = saved_in_credentials(by_hand, HOST, &KEYS);
        assert_eq!(
            ini::section_names(&after),
            ["HTTPS://A.konecty.com/", "default"]
        );
        assert_eq!(
            ini::get(&after, "HTTPS://A.konecty.com/", "authId").as_deref(),
            Some("t1")
        );
        // An IPv6 host would be misread by npm's ini in a section of its own.
        let ipv6 = "http://[::1]:3000";
        let after = saved_in_credentials(b"", ipv6, &[("host", ipv6)]);
        assert_eq!(ini::section_names(&after), ["default"]);
    }

    #[test]
    fn stored_sessions_come_from_env_then_credentials() {
        let issued = clock::parse("2026-11-23T14:01:12Z");
        let credentials = saved_in_credentials(b"", HOST, &KEYS);
        let env = b"KONECTY_URL=https://A.konecty.com/\nKONECTY_TOKEN=t1\n";
        let in_env = StoredSession {
            host: HOST.to_string(),
            token: "t1".to_string(),
            user_id: None,
            issued_at: issued,
            file: CredentialFile::EnvFile,
        };
        let in_credentials = StoredSession {
            host: HOST.to_string(),
            token: "t1".to_string(),
            user_id: Some("u1".to_string()),
            issued_at: issued,
            file: CredentialFile::CredentialsFile,
        };
        assert_eq!(
            sessions_in(&credentials, env, HOST),
            [in_env, in_credentials.clone()]
        );
        // The time is known for .env only when it holds the same token.
        let other_token = b"KONECTY_URL=https://a.konecty.com\nKONECTY_TOKEN=t2\n";
        let sessions = sessions_in(&credentials, other_token, HOST);
        assert_eq!(sessions[0].issued_at, None);
        // Another host's .env, and empty values, are no session.
        let other_host = b"KONECTY_URL=https://b.konecty.com\nKONECTY_TOKEN=t1\n";
        assert_eq!(
            sessions_in(&credentials, other_host, HOST),
            [in_credentials]
        );
        let empty = b"[https://a.konecty.com]\nauthId =\n";
        assert_eq!(
            sessions_in(
                empty,
                b"KONECTY_URL=https://a.konecty.com\nKONECTY_TOKEN=\n",
                HOST
            ),
            []
        );
        // Without a section of its own, [default] counts when it names the host.
        let default_only = b"[default]\nhost = https://a.konecty.com/\nauthId = t1\n";
        assert_eq!(sessions_in(default_only, b"", HOST).len(), 1);
        assert_eq!(sessions_in(default_only, b"", "https://b.konecty.com"), []);
    }

    #[test]
    fn hosts_are_the_sections_with_a_token() {
        let credentials = b"[default]\nauthId = t\n[https://a.konecty.com]\nauthId = t\n\
            [https://b.konecty.com]\nauthId =\n[https://c.konecty.com]\nuserId = u\n";
        assert_eq!(hosts_in(credentials), [HOST]);
    }

    #[test]
    fn using_a_host_copies_its_own_section_to_the_defaults() {
        let credentials = b"[default]\nhost = https://b.konecty.com\nuserId = ub\nissuedAt = 2020-01-01T00:00:00Z\nauthId = tb\n\
            [https://a.konecty.com]\nauthId = ta\n";
        let own = own_session(credentials, HOST).unwrap().unwrap();
        assert_eq!(
            own,
            OwnSession {
                token: "ta".to_string(),
                user_id: None,
                issued_at: None,
            }
        );
        // Keys the host's section lacks are removed from [default], not left from before.
        assert_eq!(
            text(&own.as_default_in_credentials(credentials, HOST)),
            "[default]\nhost = https://a.konecty.com\nauthId = ta\n[https://a.konecty.com]\nauthId = ta\n"
        );
        assert_eq!(
            text(&own.as_default_in_env(b"A=1\nKONECTY_USER_ID=ub\nKONECTY_TOKEN=tb\n", HOST)),
            "A=1\nKONECTY_TOKEN=ta\nKONECTY_URL=https://a.konecty.com\n"
        );
        let full = saved_in_credentials(b"", HOST, &KEYS);
        let own = own_session(&full, HOST).unwrap().unwrap();
        assert_eq!(
            text(&own.as_default_in_env(b"", HOST)),
            "KONECTY_URL=https://a.konecty.com\nKONECTY_TOKEN=t1\nKONECTY_USER_ID=u1\n"
        );
        let stored = own.into_stored(HOST.to_string());
        assert_eq!(stored.issued_at, clock::parse("2026-11-23T14:01:12Z"));
        assert_eq!(stored.file, CredentialFile::CredentialsFile);
    }

    #[test]
    fn using_a_host_needs_a_token_safe_to_copy() {
        assert_eq!(own_session(b"[default]\nauthId = t\n", HOST), Ok(None));
        assert_eq!(
            own_session(b"[https://a.konecty.com]\nauthId =\n", HOST),
            Ok(None)
        );
        assert_eq!(
            own_session(b"[https://a.konecty.com]\nauthId = $(rm -rf ~)\n", HOST),
            Err(Error::Storage(
                "the session token has an unexpected shape".into()
            ))
        );
        assert_eq!(
            own_session(
                b"[https://a.konecty.com]\nauthId = t\nuserId = `id`\n",
                HOST
            ),
            Err(Error::Storage("the user id has an unexpected shape".into()))
        );
    }

    #[test]
    fn forgetting_removes_only_that_hosts_tokens() {
        let credentials = b"[default]\nhost = https://A.konecty.com\nauthId = t\n\
            [https://a.konecty.com/]\nuserId = u\nauthId = t\n[https://b.konecty.com]\nauthId = tb\n";
        assert_eq!(
            text(&forgotten_in_credentials(credentials, HOST).unwrap()),
            "[default]\nhost = https://A.konecty.com\n[https://a.konecty.com/]\nuserId = u\n\
             [https://b.konecty.com]\nauthId = tb\n"
        );
        let other_default = b"[default]\nhost = https://b.konecty.com\nauthId = tb\n";
        assert_eq!(forgotten_in_credentials(other_default, HOST), None);

        let env = b"KONECTY_URL=https://a.konecty.com\nKONECTY_TOKEN=t\nKONECTY_USER_ID=u\n";
        assert_eq!(
            text(&forgotten_in_env(env, HOST).unwrap()),
            "KONECTY_URL=https://a.konecty.com\nKONECTY_USER_ID=u\n"
        );
        assert_eq!(forgotten_in_env(env, "https://b.konecty.com"), None);
        assert_eq!(
            forgotten_in_env(b"KONECTY_URL=https://a.konecty.com\n", HOST),
            None
        );
    }
}
