//! Builds the guest component (../guest) for wasm32-wasip2 and tells the host where it is,
//! so that `cargo build` and `cargo install --path host` need no separate step.

#[path = "wasm_build.rs"]
mod wasm_build;

use std::env;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    for watched in [
        "guest/src",
        "guest/Cargo.toml",
        "formats/src",
        "formats/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let wasm = wasm_build::build_component(root, "konecty-session-guest", "konecty_session_guest");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    // Embedded as WebAssembly, not precompiled: precompiling here would build wasmtime and
    // Cranelift a second time as a build-dependency. The first run compiles it into the
    // cache (compiled.rs); later runs load it from there.
    // Its SHA-256 names its compiled form in the cache: computed here, not on every run.
    let digest = Sha256::digest(std::fs::read(&wasm).expect("the built component"));
    let code = format!(
        "/// The konecty:session component built from guest/.\n\
         pub const GUEST_COMPONENT: &[u8] = include_bytes!({:?});\n\
         /// Its SHA-256.\n\
         pub const GUEST_COMPONENT_SHA256: [u8; 32] = {:?};\n",
        wasm.display().to_string(),
        <[u8; 32]>::from(digest),
    );
    std::fs::write(out_dir.join("guest_component.rs"), code).unwrap();
}
