//! The Windows build, run under wine: `konecty-session.exe --version` and `demo` (the whole
//! flow against the built-in server, in a scratch directory). `.ci/run` cross-builds the
//! binary for x86_64-pc-windows-gnu and installs wine; where either is missing the test says
//! so and passes without running.
//!
//! Debian 12's wine (8.0) lacks `bcryptprimitives.dll`, where Rust's standard library gets
//! random bytes on Windows; the test builds a stand-in with MinGW
//! (tests/windows/bcryptprimitives.c) and puts it beside a copy of the binary, where Windows
//! looks first. Real Windows has the DLL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Where cargo puts the cross-built binary: the target directory is the parent of
/// CARGO_TARGET_TMPDIR (`<target>/tmp`), whatever CARGO_TARGET_DIR says.
fn windows_binary() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory")
        .join("x86_64-pc-windows-gnu/debug/konecty-session.exe")
}

fn wine() -> Option<&'static str> {
    ["wine", "wine64"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

/// A directory with a copy of the binary and the DLL stand-in, or why there cannot be one.
fn runnable_copy(exe: &Path) -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows-run");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/windows/bcryptprimitives.c");
    let built = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-o"])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&source)
        .arg("-ladvapi32")
        .output()
        .map_err(|e| format!("MinGW is not installed ({e})"))?;
    if !built.status.success() {
        return Err(format!(
            "MinGW could not build the DLL stand-in: {}",
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    let copy = dir.join("konecty-session.exe");
    std::fs::copy(exe, &copy).map_err(|e| format!("cannot copy the binary: {e}"))?;
    Ok(copy)
}

fn run(wine: &str, exe: &Path, args: &[&str]) -> Output {
    // One prefix for every run, kept under the target directory: making one takes a while.
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wine-prefix");
    Command::new(wine)
        .arg(exe)
        .args(args)
        .env("WINEPREFIX", &prefix)
        .env("WINEDEBUG", "-all")
        .output()
        .expect("wine runs")
}

#[test]
fn the_windows_binary_runs_the_whole_flow_under_wine() {
    let exe = windows_binary();
    if !exe.is_file() {
        println!(
            "skipped: no cross-built binary at {} (.ci/run builds it: cargo build --target \
             x86_64-pc-windows-gnu -p konecty-session --bin konecty-session)",
            exe.display()
        );
        return;
    }
    let Some(wine) = wine() else {
        println!("skipped: wine is not installed (Debian: apt-get install wine64)");
        return;
    };
    let exe = match runnable_copy(&exe) {
        Ok(copy) => copy,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };

    let version = run(wine, &exe, &["--version"]);
    let stdout = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.status.success() && stdout.contains(env!("CARGO_PKG_VERSION")),
        "expected `konecty-session.exe --version` to print {}, got {:?} (stderr: {})",
        env!("CARGO_PKG_VERSION"),
        stdout,
        String::from_utf8_lossy(&version.stderr)
    );

    let demo = run(wine, &exe, &["demo"]);
    let stdout = String::from_utf8_lossy(&demo.stdout);
    assert!(
        demo.status.success(),
        "expected demo to succeed under wine, exit {:?}; stdout: {stdout}; stderr: {}",
        demo.status.code(),
        String::from_utf8_lossy(&demo.stderr)
    );
    for step in [
        "login-options",
        "request-otp",
        "verify-otp",
        "status",
        "logout",
    ] {
        assert!(
            stdout.contains(step),
            "expected the demo to show {step}, got: {stdout}"
        );
    }
}
