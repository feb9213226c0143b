//! The two formats of the credential files, `.env` and ini, read and edited key by key:
//! bytes in, bytes out, no I/O. The guest component edits the files with them and the host
//! reads the stored default host with them, so that both read the files alike.
//!
//! Why our own: these files are shared with people and other tools (sh, python-dotenv,
//! configparser, the Node SDK), so changing our keys must leave every other byte as it was:
//! comments, blank lines, order, quoting, `export`, line endings, bytes that are not UTF-8.
//! The crates that load these formats write a whole new file from what they parsed, or do
//! not write at all; the lossless ones we found take UTF-8 text only (adotenv) or only
//! parse (ini-roundtrip). None has our rules either: ini keys matched in any case and
//! respelled as the Node SDK wants them, where a missing key goes, which `.env` lines count
//! as assignments. And the component has almost no room left for a dependency.
//!
//! Every function is `#[inline]`: compiled in the crate that calls it, it shares that
//! crate's copies of std's generic code (vectors growing, strings made) instead of bringing
//! its own. That saves about 1 KB of a component that has little to spare (its limit is
//! 260,000 bytes): keep it on functions added here.

pub mod dotenv;
pub mod ini;
mod text;

// Built only where proptest is (a native dev-dependency).
#[cfg(all(test, not(target_family = "wasm")))]
mod strategies;
