//! The one engine configuration. Shared by `build.rs`, which precompiles the embedded
//! component, and the sandbox, which runs it: a precompiled component loads only into an
//! engine configured alike.

/// wasmtime's defaults plus epoch interruption, which the call deadline needs.
pub fn engine_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config
}
