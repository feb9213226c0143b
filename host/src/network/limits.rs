//! The limits of every request, whatever the component asks for.

use std::time::Duration;

/// The most requests of one component unfinished at once (sent, and their answers not yet
/// read to the end or dropped): ours makes one at a time.
pub const MAX_IN_FLIGHT: usize = 4;

/// Limits applied to every request, whatever the component asks for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect: Duration,
    /// From the first byte sent to the last byte of the answer.
    pub request: Duration,
    /// Response body bytes.
    pub body: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
            body: 1024 * 1024,
        }
    }
}

impl Limits {
    pub fn describe_size(bytes: u64) -> String {
        if bytes.is_multiple_of(1024 * 1024) {
            format!("{} MiB", bytes / (1024 * 1024))
        } else {
            format!("{bytes} bytes")
        }
    }
}
