//! Embedding konecty-session in a Rust program: load the component once, then give every
//! call its own sandbox with exactly its grant. Runs the whole OTP flow against the crate's
//! Konecty-compatible dev server, in a temporary directory:
//!
//!     cargo run -p konecty-session --example embed
//!
//! `cargo test` runs it too (see the test at the end).

use anyhow::{Context, Result};
use konecty_session::dev_server::{DevServer, DevServerConfig};
use konecty_session::{ComponentSource, Grant, Identifier, Runtime, SaveTargets};

fn main() -> Result<()> {
    let server = DevServer::start(DevServerConfig::default())?;
    let host = server.url();
    let home = tempfile::tempdir()?;
    // Missing on purpose: the first sandbox creates it 0700.
    let dir = home.path().join(".konecty");

    // Once per process: take the precompiled component (or compile it), check its imports,
    // link WASI and wasi:http. From here on, a call costs an instantiation.
    let runtime = Runtime::load(ComponentSource::Embedded, None)?;
    // One grant for the flow: this directory, and HTTP to this origin only.
    let grant = || Grant::new(&dir, Some(&host));

    // Every function returns Result<T, konecty_session::Error>: the error says whether the
    // host refused (and why), the component failed (its typed error), or the call was
    // stopped (a limit).
    let methods = runtime.sandbox(grant()?)?.login_options(&host)?;
    println!("login options: {methods:?}");

    let who = Identifier::Email("dev@example.com".into());
    let sent = runtime.sandbox(grant()?)?.request_otp(&host, &who)?;
    println!("code sent by {:?}", sent.channel);

    // The dev server tells its codes to the program that runs it; a real user reads mail.
    let code = server
        .code_for("dev@example.com")
        .context("the dev server sent no code")?;
    let mut sandbox = runtime.sandbox(grant()?)?;
    let session = sandbox.verify_otp(&host, &who, &code, None, None)?;
    sandbox.save_session(
        &session,
        SaveTargets::ENV_FILE | SaveTargets::CREDENTIALS_FILE,
    )?;
    println!(
        "logged in as {} ({})",
        session.name.as_deref().unwrap_or("?"),
        session.user_id
    );

    // Reading back needs no network: a grant without an origin.
    let stored = runtime
        .sandbox(Grant::new(&dir, None)?)?
        .read_sessions(&host)?;
    for found in &stored {
        println!("stored for {} in {:?}", found.host, found.file);
    }
    anyhow::ensure!(
        stored.iter().all(|s| s.token == session.token) && stored.len() == 2,
        "expected the token in both files, found {} entries",
        stored.len()
    );

    // Files the component wrote are the user's alone, whichever program embeds it.
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| -> Result<u32> {
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
    };
    for (path, expected) in [
        (dir.clone(), 0o700),
        (dir.join(".env"), 0o600),
        (dir.join("credentials"), 0o600),
    ] {
        let found = mode(&path)?;
        anyhow::ensure!(
            found == expected,
            "expected {} to be {expected:o}, found {found:o}",
            path.display()
        );
    }
    Ok(())
}

#[test]
fn the_example_runs() {
    if let Err(err) = main() {
        panic!("the embedding example failed: {err:#}");
    }
}
