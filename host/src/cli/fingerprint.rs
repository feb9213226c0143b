//! A stable label for this machine that is not personal data: a salted SHA-256 of the OS
//! machine id on Linux (systemd's `machine-id`), else of the host name (macOS, Windows,
//! Linux without an id), sent with verify-otp as `fingerprint`.
//! The salt makes it useless for matching against other tools that hash the same id.

use sha2::{Digest, Sha256};

const SALT: &[u8] = b"konecty-session fingerprint v1\0";

/// 32 hex digits, the same on every run on this machine; None when the machine has no id.
pub fn of_this_machine() -> Option<String> {
    let id = machine_id().or_else(host_name)?;
    Some(digest(&id))
}

#[cfg(target_os = "linux")]
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some(text.trim().to_string()).filter(|id| !id.is_empty())
        })
}

/// Elsewhere the host name serves: macOS's IOPlatformUUID and Windows's MachineGuid would
/// need a command or the registry for a label that only has to be stable.
#[cfg(not(target_os = "linux"))]
fn machine_id() -> Option<String> {
    None
}

fn host_name() -> Option<String> {
    #[cfg(unix)]
    let name = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let name = std::env::var("COMPUTERNAME").unwrap_or_default();
    Some(name).filter(|n| !n.is_empty())
}

fn digest(id: &str) -> String {
    let hash = Sha256::new()
        .chain_update(SALT)
        .chain_update(id.as_bytes())
        .finalize();
    hash[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_a_stable_salted_hash() {
        let a = digest("4f1c0a5e9b8d4c3e8f2a1b0c9d8e7f6a");
        assert_eq!(a, digest("4f1c0a5e9b8d4c3e8f2a1b0c9d8e7f6a"));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
        assert!(!a.contains("4f1c0a5e"), "the id itself must not show: {a}");
        assert_ne!(a, digest("another machine"));
    }
}
