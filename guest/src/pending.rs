//! The code request waiting for verify-otp, one ini section per host in `pending-otp`:
//! who the code went to and when. Never the code itself.

use konecty_session_formats::ini;

use crate::api::Who;
use crate::clock;
use crate::error::{Error, Result};
use crate::store::{read, remove, write_atomic};
use crate::validate::BaseUrl;

pub const FILE: &str = "pending-otp";
/// How long a request is remembered: longer than any code lives (5 minutes by default, the
/// namespace may set more), so the server, not this file, says when a code expired.
pub const LIFETIME_SECS: u64 = 60 * 60;
/// A request stamped this far in the future still counts (clocks differ a little).
const CLOCK_SKEW_SECS: u64 = 60;

pub fn remember(host: &BaseUrl, who: &Who, at: u64) -> Result<()> {
    let before = read(FILE)?.unwrap_or_default();
    let (key, value, other) = match who {
        Who::Email(e) => ("email", e.as_str(), "phone"),
        Who::Phone(p) => ("phone", p.as_str(), "email"),
    };
    let section = host.to_string();
    let at = clock::format(at);
    let after = ini::set(&before, &section, &[(key, value), ("requestedAt", &at)]);
    write_atomic(FILE, &ini::remove(&after, &section, other))
}

/// The request for `host` and when it was made, if one is within its lifetime.
pub fn lookup(host: &BaseUrl, now: u64) -> Result<Option<(Who, u64)>> {
    let Some(content) = read(FILE)? else {
        return Ok(None);
    };
    let section = host.to_string();
    let value = |key: &str| ini::get(&content, &section, key).filter(|v| !v.is_empty());
    let Some(requested) = value("requestedAt").as_deref().and_then(clock::parse) else {
        return Ok(None);
    };
    let fresh = requested <= now + CLOCK_SKEW_SECS && now.saturating_sub(requested) < LIFETIME_SECS;
    if !fresh {
        return Ok(None);
    }
    let who = match (value("email"), value("phone")) {
        (Some(email), None) => Who::email(&email)?,
        (None, Some(phone)) => Who::phone(&phone)?,
        _ => return Ok(None),
    };
    Ok(Some((who, requested)))
}

/// Drops the request for `host`; other hosts' requests stay.
pub fn forget(host: &BaseUrl) -> Result<()> {
    let Some(before) = read(FILE)? else {
        return Ok(());
    };
    let section = host.to_string();
    let mut after = before.clone();
    for key in ["email", "phone", "requestedAt"] {
        after = ini::remove(&after, &section, key);
    }
    if !after.contains(&b'=') {
        // No request left for any host: the file is ours alone, so it goes.
        return remove(FILE).map_err(|e| Error::storage("cannot remove pending-otp", e));
    }
    if after != before {
        write_atomic(FILE, &after)?;
    }
    Ok(())
}
