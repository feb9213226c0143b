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
    let wasm = target_dir
        .join("wasm32-wasip2/guest")
        .join(format!("{artifact}.wasm"));
    assert!(
        wasm.is_file(),
        "cargo built {package} but {} is missing",
        wasm.display()
    );
    wasm
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
