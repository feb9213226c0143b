//! Compiled components, kept between runs. Compiling a component with Cranelift costs far
//! more than running it, so a compiled component is kept in the cache directory
//! (`$XDG_CACHE_HOME/konecty-session`, else `~/.cache/konecty-session`), named by a hash of
//! this program's version, the component's bytes and the engine's compatibility settings.
//! An entry is used only when its checksum matches its content and wasmtime accepts it for
//! this engine; a corrupt or foreign entry is ignored and replaced.
//!
//! The checksum is a CRC-32, not a cryptographic hash: it is stored in the same file, so it
//! can only catch damage, never tampering (the directory is the user's own, like the
//! binary). A CRC-32 detects damage as a hash would, and costs far less on every run
//! (bench/RESULTS.md, "Whole process against curl").

use std::fs;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::files::platform;

/// Marks our entries (and their layout: magic, CRC-32 of the rest in little-endian,
/// wasmtime's bytes). Was `KSCWASM1` with a SHA-256; those entries are ignored and replaced.
const MAGIC: &[u8; 8] = b"KSCWASM2";

/// Where a component came from this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    FromCache,
    Compiled,
}

/// `$XDG_CACHE_HOME/konecty-session`, else `~/.cache/konecty-session` (as the XDG base
/// directory spec says: a relative XDG_CACHE_HOME is ignored).
pub fn default_cache_dir() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| PathBuf::from(home).join(".cache"))
    })?;
    Some(base.join("konecty-session"))
}

/// The component for `wasm`, from `cache` when a good entry is there, else compiled (and
/// then stored in `cache`, best effort: a cache that cannot be written only costs time).
pub fn load(engine: &Engine, wasm: &[u8], cache: Option<&Path>) -> Result<(Component, Loaded)> {
    load_digested(engine, wasm, &Sha256::digest(wasm).into(), cache)
}

/// [`load`] for a component whose SHA-256 is already known (the embedded one's is computed
/// by build.rs, so that no run hashes it again).
pub fn load_digested(
    engine: &Engine,
    wasm: &[u8],
    digest: &[u8; 32],
    cache: Option<&Path>,
) -> Result<(Component, Loaded)> {
    let entry = cache.map(|dir| dir.join(format!("{}.cwasm", key(engine, digest))));
    if let Some(component) = entry.as_deref().and_then(|path| read_entry(engine, path)) {
        return Ok((component, Loaded::FromCache));
    }
    let component = Component::from_binary(engine, wasm)?;
    if let (Some(dir), Some(path)) = (cache, &entry) {
        let _ = write_entry(&component, dir, path);
    }
    Ok((component, Loaded::Compiled))
}

/// Hex SHA-256 of our version, the component's SHA-256 and the engine's compatibility hash.
fn key(engine: &Engine, digest: &[u8; 32]) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    hasher.0.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.0.update(digest);
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hex(&hasher.0.finalize())
}

/// Feeds `Hash` implementations into SHA-256, which, unlike std's hasher, is the same in
/// every build.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only the SHA-256 state is used")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read_entry(engine: &Engine, path: &Path) -> Option<Component> {
    let bytes = fs::read(path).ok()?;
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (checksum, serialized) = rest.split_first_chunk::<4>()?;
    if crc32fast::hash(serialized) != u32::from_le_bytes(*checksum) {
        return None;
    }
    // SAFETY: wasmtime runs these bytes as native code. They are intact (the checksum
    // matches) and were written by `write_entry` from `Component::serialize` for an engine
    // with this compatibility hash (it is in the name); wasmtime checks its own header
    // against this engine as well. The cache directory is the user's own, like the binary.
    unsafe { Component::deserialize(engine, serialized) }.ok()
}

fn write_entry(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    platform::create_private_dir(dir)?;
    let serialized = component.serialize()?;
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file =
            platform::private(fs::OpenOptions::new().write(true).create_new(true)).open(&tmp)?;
        file.write_all(MAGIC)?;
        file.write_all(&crc32fast::hash(&serialized).to_le_bytes())?;
        file.write_all(&serialized)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    Ok(written?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::bindings::GUEST_COMPONENT;
    use crate::sandbox::engine::engine;

    fn entries(dir: &Path) -> Vec<PathBuf> {
        fs::read_dir(dir)
            .map(|list| list.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }

    fn digest(wasm: &[u8]) -> [u8; 32] {
        Sha256::digest(wasm).into()
    }

    #[test]
    fn the_second_load_comes_from_the_cache() {
        let cache = tempfile::tempdir().unwrap();
        let engine = engine().unwrap();
        let (_, first) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        let (_, second) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!((first, second), (Loaded::Compiled, Loaded::FromCache));
        let files = entries(cache.path());
        assert_eq!(files.len(), 1, "expected one entry, found {files:?}");
    }

    #[test]
    fn a_corrupt_entry_is_ignored_and_replaced() {
        let cache = tempfile::tempdir().unwrap();
        let engine = engine().unwrap();
        load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        let entry = entries(cache.path()).pop().unwrap();
        let mut bytes = fs::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&entry, &bytes).unwrap();

        let (_, loaded) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!(loaded, Loaded::Compiled, "a corrupt entry was trusted");
        let (_, again) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!(
            again,
            Loaded::FromCache,
            "the corrupt entry was not replaced"
        );

        fs::write(&entry, b"not a cache entry").unwrap();
        let (_, loaded) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!(loaded, Loaded::Compiled, "garbage was trusted");
    }

    #[test]
    fn an_entry_from_another_engine_is_ignored() {
        let cache = tempfile::tempdir().unwrap();
        let engine = engine().unwrap();
        // Compiled by an engine with other settings (no epoch interruption), with a valid
        // checksum, under the name our engine looks for: only wasmtime's own check can
        // tell, and it must.
        let foreign = Engine::default();
        let serialized = Component::from_binary(&foreign, GUEST_COMPONENT)
            .unwrap()
            .serialize()
            .unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&crc32fast::hash(&serialized).to_le_bytes());
        bytes.extend_from_slice(&serialized);
        let path = cache
            .path()
            .join(format!("{}.cwasm", key(&engine, &digest(GUEST_COMPONENT))));
        fs::write(&path, bytes).unwrap();

        let (_, loaded) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!(
            loaded,
            Loaded::Compiled,
            "a foreign engine's entry was used"
        );
        let (_, again) = load(&engine, GUEST_COMPONENT, Some(cache.path())).unwrap();
        assert_eq!(
            again,
            Loaded::FromCache,
            "the foreign entry was not replaced"
        );
    }

    #[test]
    fn an_unwritable_cache_only_costs_time() {
        let parent = tempfile::tempdir().unwrap();
        let not_a_dir = parent.path().join("file");
        fs::write(&not_a_dir, "x").unwrap();
        let engine = engine().unwrap();
        let (_, loaded) = load(&engine, GUEST_COMPONENT, Some(&not_a_dir)).unwrap();
        assert_eq!(loaded, Loaded::Compiled);
    }

    #[test]
    fn keys_differ_by_component_and_by_engine() {
        let ours = engine().unwrap();
        let other = Engine::default();
        let ours_digest = digest(GUEST_COMPONENT);
        let key_ours = key(&ours, &ours_digest);
        assert_eq!(key_ours, key(&ours, &ours_digest), "keys are stable");
        assert_ne!(key_ours, key(&ours, &digest(b"\0asm other")));
        assert_ne!(key_ours, key(&other, &ours_digest));
    }
}
