//! Builds the test components for wasm32-wasip2, as wasmtime's test-programs do, and
//! writes their paths into constants.

#[path = "../../host/wasm_build.rs"]
mod wasm_build;

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.ancestors().nth(2).unwrap();
    for watched in [
        "tests/components/hostile",
        "tests/components/sockets",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let hostile =
        wasm_build::build_component(root, "konecty-session-hostile", "konecty_session_hostile");
    let sockets =
        wasm_build::build_component(root, "konecty-session-sockets", "konecty_session_sockets");
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap()).join("components.rs");
    let code = format!(
        "/// A component implementing konecty:session that tries to escape its sandbox.\n\
         pub const HOSTILE_COMPONENT: &str = {:?};\n\
         /// A component implementing konecty:session that imports wasi:sockets.\n\
         pub const SOCKETS_COMPONENT: &str = {:?};\n",
        hostile.display().to_string(),
        sockets.display().to_string()
    );
    std::fs::write(out, code).unwrap();
}
