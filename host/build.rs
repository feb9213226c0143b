//! Builds the guest component (../guest) for wasm32-wasip2 and tells the host where it is,
//! so that `cargo build` and `cargo install --path host` need no separate step.

#[path = "wasm_build.rs"]
mod wasm_build;

#[path = "src/engine_config.rs"]
mod engine_config;

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
    println!(
        "cargo:rerun-if-changed={}",
        manifest_dir.join("src/engine_config.rs").display()
    );
    let wasm = wasm_build::build_component(root, "konecty-session-guest", "konecty_session_guest");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let precompiled = out_dir.join("guest_component.cwasm");
    std::fs::write(&precompiled, precompile(&wasm)).unwrap();
    let code = format!(
        "/// The konecty:session component built from guest/.\n\
         pub const GUEST_COMPONENT: &[u8] = include_bytes!({:?});\n\
         /// The same, compiled for this machine by build.rs (empty when cross-compiling).\n\
         pub const GUEST_PRECOMPILED: &[u8] = include_bytes!({:?});\n",
        wasm.display().to_string(),
        precompiled.display().to_string()
    );
    std::fs::write(out_dir.join("guest_component.rs"), code).unwrap();
}

/// The component compiled by an engine configured as the sandbox's. Only for the machine
/// that builds: a binary built elsewhere compiles at its first run and caches the result.
fn precompile(wasm: &std::path::Path) -> Vec<u8> {
    if env::var("TARGET").ok() != env::var("HOST").ok() {
        return Vec::new();
    }
    let engine =
        wasmtime::Engine::new(&engine_config::engine_config()).expect("a default wasmtime engine");
    engine
        .precompile_component(&std::fs::read(wasm).expect("the built component"))
        .expect("the guest component compiles")
}
