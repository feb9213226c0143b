//! Shared by the build scripts that compile wasm32-wasip2 components (the host's guest and
//! the tests' components): included with `#[path]`, since build scripts cannot share a module
//! any other way without a crate of their own.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags meant for the host build that must not leak into the wasm build.
const HOST_ONLY_VARS: [&str; 8] = [
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

/// Builds one wasm32-wasip2 package as a component, in its own target directory (so it does
/// not wait on the lock of the build that runs this script), and returns the component's
/// path. `cargo rustc --crate-type cdylib` makes the component while the package itself stays
/// an rlib, so its unit tests also build and run natively.
pub fn build_component(root: &Path, package: &str, artifact: &str) -> PathBuf {
    let target_dir = wasm_target_dir();
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "rustc",
            "--package",
            package,
            "--lib",
            "--crate-type",
            "cdylib",
        ])
        .args([
            "--target",
            "wasm32-wasip2",
            "--profile",
            "guest",
            "--locked",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    for var in HOST_ONLY_VARS {
        command.env_remove(var);
    }
    let status = command
        .status()
        .expect("cannot run cargo to build a wasm component");
    assert!(
        status.success(),
        "building {package} for wasm32-wasip2 failed; if the target is missing, run \
         `rustup target add wasm32-wasip2`"
    );
    let built = target_dir
        .join("wasm32-wasip2/guest")
        .join(format!("{artifact}.wasm"));
    let bytes = std::fs::read(&built)
        .unwrap_or_else(|e| panic!("cargo built {package} but {}: {e}", built.display()));
    // Written beside cargo's output, not over it: that file is a hard link into deps/.
    let stripped = target_dir.join(format!("{artifact}.wasm"));
    // Two build scripts (host and tests) may write it at once: each renames a whole file
    // into place, so a reader never sees half of one.
    let partial = target_dir.join(format!(".{artifact}.wasm.{}", std::process::id()));
    std::fs::write(&partial, without_custom_sections(&bytes))
        .and_then(|()| std::fs::rename(&partial, &stripped))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", stripped.display()));
    stripped
}

/// The component without its top-level custom sections (`component-name` and `producers`:
/// names for debuggers, about a twentieth of the size), as `wasm-tools strip` leaves it.
/// Everything else is copied byte for byte; the engine validates the result.
fn without_custom_sections(wasm: &[u8]) -> Vec<u8> {
    const HEADER: usize = 8;
    assert!(
        wasm.len() >= HEADER && wasm.starts_with(b"\0asm"),
        "not a wasm binary"
    );
    let mut kept = wasm[..HEADER].to_vec();
    let mut at = HEADER;
    while at < wasm.len() {
        let (size, body) = leb128_u32(wasm, at + 1);
        let end = body + size;
        assert!(
            end <= wasm.len(),
            "a section runs past the end of the component"
        );
        if wasm[at] != 0 {
            kept.extend_from_slice(&wasm[at..end]);
        }
        at = end;
    }
    kept
}

/// An unsigned LEB128 number at `at`: its value and the offset after it.
fn leb128_u32(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let mut value = 0usize;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at).expect("a section size runs past the end");
        at += 1;
        value |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (value, at);
        }
    }
    panic!("a section size longer than 5 bytes")
}

/// `<target>/wasm-components`, beside the host's own `debug`/`release` folders, so that every
/// build of the host shares one guest build.
fn wasm_target_dir() -> PathBuf {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    match out_dir.ancestors().nth(4) {
        Some(target) => target.join("wasm-components"),
        None => out_dir.join("wasm-components"),
    }
}
