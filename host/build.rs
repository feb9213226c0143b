//! Builds the guest component (../guest) for wasm32-wasip2 and tells the host where it is,
//! so that `cargo build` and `cargo install --path host` need no separate step.

#[path = "wasm_build.rs"]
mod wasm_build;

use std::env;
use std::path::PathBuf;

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
    let code = format!(
        "/// The konecty:session component built from guest/.\n\
         pub const GUEST_COMPONENT: &[u8] = include_bytes!({:?});\n",
        wasm.display().to_string(),
    );
    std::fs::write(out_dir.join("guest_component.rs"), code).unwrap();
}
