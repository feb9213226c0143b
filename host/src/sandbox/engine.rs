//! The one engine configuration, and the epoch clock that enforces call deadlines.

use std::time::Duration;

use wasmtime::Engine;

/// How often the engine's epoch advances: the resolution of the call deadline.
const EPOCH_TICK: Duration = Duration::from_millis(100);

/// wasmtime's defaults plus epoch interruption, which the call deadline needs.
fn engine_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    config
}

/// The engine every component runs on.
pub fn engine() -> wasmtime::Result<Engine> {
    Engine::new(&engine_config())
}

pub(crate) fn ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()) as u64 + 1
}

/// Advances the engine's epoch every tick for as long as the engine lives.
pub(crate) fn tick_epochs(engine: &Engine) {
    let engine = engine.weak();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(EPOCH_TICK);
            match engine.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        }
    });
}
