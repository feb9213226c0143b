//! What one component may hold: memory, host resources, header bytes.

use wasmtime::ResourceLimiter;

/// The most linear memory a component may have. Ours holds a few small files and one
/// answer of at most 1 MiB at a time.
pub const MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// The most host resources (HTTP fields, requests, responses, streams, pollables, open
/// files) a component may hold at once: ours holds a few dozen during a request.
pub const RESOURCE_LIMIT: usize = 256;

/// The most bytes of one set of HTTP header fields a component may build. Times
/// [`RESOURCE_LIMIT`], what a component can make the host hold in headers (4 MiB).
pub const FIELDS_SIZE_LIMIT: usize = 16 * 1024;

/// Refuses growth past [`MEMORY_LIMIT`], counted over all of the component's memories, and
/// remembers that it did, so that the trap that follows is reported as the limit, not as a
/// crash.
#[derive(Default)]
pub(crate) struct MemoryCap {
    total: usize,
    pub(crate) refused: bool,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total.saturating_add(desired.saturating_sub(current));
        let allowed = total <= MEMORY_LIMIT;
        if allowed {
            self.total = total;
        } else {
            self.refused = true;
        }
        Ok(allowed)
    }

    fn tables(&self) -> usize {
        1_000
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
