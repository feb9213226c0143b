//! What a plugin host pays per call: the embedded component is loaded once
//! (`Runtime::load`), then every iteration makes a fresh sandbox with its own grant
//! (`Runtime::sandbox`, a new store and instance), makes one typed call and drops it.
//!
//! `cargo bench -p konecty-session --bench instantiate`

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use konecty_session::dev_server::{DevServer, DevServerConfig};
use konecty_session::{ComponentSource, Grant, Runtime};

const HOST: &str = "https://a.konecty.com";

/// `dir` and, with `url`, HTTP to its origin only; the default limits, nothing logged.
fn grant(dir: &Path, url: Option<&str>) -> Grant {
    Grant::new(dir, url).expect("a valid grant")
}

fn instantiate_and_call(c: &mut Criterion) {
    let started = Instant::now();
    let runtime = Runtime::load(ComponentSource::Embedded, None).expect("the component loads");
    eprintln!(
        "Runtime::load (embedded, once): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );

    // A credentials directory with one host in it: stored_hosts reads and parses it.
    let files = tempfile::tempdir().unwrap();
    std::fs::write(
        files.path().join("credentials"),
        format!("[{HOST}]\nhost = {HOST}\nauthId = t\n"),
    )
    .unwrap();

    // The crate's own Konecty-compatible server on loopback, where plain http is allowed.
    let server = DevServer::start(DevServerConfig::default()).expect("the dev server starts");
    let url = server.url();
    let empty = tempfile::tempdir().unwrap();

    // Each benchmark measures something real: check the answers once first.
    let mut sandbox = runtime.sandbox(grant(files.path(), None)).unwrap();
    assert_eq!(sandbox.stored_hosts().unwrap(), vec![HOST]);
    let mut sandbox = runtime.sandbox(grant(empty.path(), Some(&url))).unwrap();
    let methods = sandbox.login_options(&url);
    assert!(methods.is_ok(), "login_options: {methods:?}");
    let before = server.requests().len();

    let mut group = c.benchmark_group("sandbox");
    group.bench_function("instantiate only", |b| {
        b.iter(|| black_box(runtime.sandbox(grant(files.path(), None)).unwrap()))
    });
    group.bench_function("instantiate + stored_hosts", |b| {
        b.iter(|| {
            let mut sandbox = runtime.sandbox(grant(files.path(), None)).unwrap();
            black_box(sandbox.stored_hosts().unwrap())
        })
    });
    group.bench_function("instantiate + login_options (dev server)", |b| {
        b.iter(|| {
            let mut sandbox = runtime.sandbox(grant(empty.path(), Some(&url))).unwrap();
            black_box(sandbox.login_options(&url).unwrap())
        })
    });
    group.finish();
    eprintln!(
        "dev server: {} login_options requests answered during the benchmark",
        server.requests().len() - before
    );
}

criterion_group!(benches, instantiate_and_call);
criterion_main!(benches);
