//! Runs a `konecty:session` component with exactly the authority it needs: outbound HTTP to
//! one origin (see `policy`) and one preopened directory. No environment, arguments, stdio,
//! sockets or name lookup; bounded memory and time; one call at a time on the directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use wasmtime::component::{Component, Linker, ResourceTable, ResourceTableError};
use wasmtime::{Engine, ResourceLimiter, Store, Trap};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{FieldMapError, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::audit::{self, Observer};
use crate::bounds::Bounded;
use crate::compiled;
use crate::credentials_dir::{self, DirAccess, DirLock};
use crate::exit::{Exit, Failure};
use crate::issued::IssuedTokens;
use crate::network::Network;
use crate::policy::{HttpPolicy, Incident, Limits, Origin};

wasmtime::component::bindgen!({ world: "session", path: "../wit" });

pub use konecty::session::types::{
    Channel, ClientLabel, CodeRequest, CredentialFile, Error as ApiError, Geolocation, Identifier,
    LoginMethods, LogoutOutcome, OtpSent, SaveTargets, ServerReply, Session as ApiSession,
    SessionCheck, StoredSession,
};

include!(concat!(env!("OUT_DIR"), "/guest_component.rs"));

/// Interfaces a component may import. Everything else (sockets, name lookup, anything a
/// future WASI adds) makes the host refuse the component before it runs.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
    // Types only: the contract's own shared types, no functions.
    "konecty:session/types",
];

/// Which component to run.
pub enum ComponentSource<'a> {
    /// The component built from guest/ and embedded in this binary.
    Embedded,
    /// Another component implementing the same world (`--component`).
    File(&'a Path),
}

/// What the component may touch.
pub struct Grant {
    /// The only directory it sees, as `.`.
    pub dir: PathBuf,
    /// Whether it may write there (`ReadWrite`, the default) or only read.
    pub access: DirAccess,
    /// The only origin it may send requests to; none means no HTTP at all.
    pub origin: Option<Origin>,
    pub limits: Limits,
    /// How the origin is reached: pinned names, proxy, trusted CAs, private networks.
    pub network: Network,
    /// Where requests and file changes are reported.
    pub observer: Arc<Observer>,
    /// Where compiled components are kept between runs; none: compile every time.
    pub cache: Option<PathBuf>,
    /// The record of which origin issued each token: a request carrying a token recorded for
    /// another origin is denied. None: no such check (the CLI sets it).
    pub issued: Option<IssuedTokens>,
    /// Called, on another thread, when a call is stuck in a host call past its deadline
    /// (see [`Watchdog`]); it is expected to end the process.
    pub on_stuck: Arc<dyn Fn(&Failure) + Send + Sync>,
}

/// The most linear memory a component may have. Ours holds a few small files and one
/// answer of at most 1 MiB at a time.
pub const MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// The most host resources (HTTP fields, requests, responses, streams, pollables, open
/// files) a component may hold at once: ours holds a few dozen during a request.
pub const RESOURCE_LIMIT: usize = 256;

/// The most bytes of one set of HTTP header fields a component may build. Times
/// [`RESOURCE_LIMIT`], what a component can make the host hold in headers (4 MiB).
pub const FIELDS_SIZE_LIMIT: usize = 16 * 1024;

/// How often the engine's epoch advances: the resolution of the call deadline.
const EPOCH_TICK: Duration = Duration::from_millis(100);

/// How long after its deadline a call stuck outside wasm is given before the watchdog acts.
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);

impl Grant {
    /// The directory `dir` and, with `base_url`, HTTP to that URL's origin only; the
    /// default limits, a direct connection (no proxy) verified against the system's trusted
    /// authorities, public addresses only, no log or audit, no compile cache. Plain http to a
    /// remote host is the caller's choice here (the CLI refuses it without a flag). A call
    /// stuck in a host call past its deadline (wasm that spins is stopped; a host call that
    /// never returns cannot be) is reported on stderr and its thread stays blocked; the CLI
    /// ends the process instead (set `on_stuck`).
    pub fn new(dir: impl Into<PathBuf>, base_url: Option<&str>) -> Result<Grant> {
        let origin = base_url
            .map(Origin::of_base_url)
            .transpose()
            .map_err(|why| Failure::new(Exit::Usage, format!("invalid host: {why}")))?;
        Ok(Grant {
            dir: dir.into(),
            access: DirAccess::ReadWrite,
            origin,
            limits: Limits::default(),
            network: Network::default(),
            observer: Arc::new(Observer::new(false, None)?),
            cache: None,
            issued: None,
            on_stuck: Arc::new(|failure: &Failure| audit::stderr_line(&failure.message)),
        })
    }

    /// The wall-time budget of one call: room for a few requests at the request limit.
    /// Spinning components are stopped here; waiting on the network is bounded per request.
    pub fn call_deadline(&self) -> Duration {
        self.limits.request * 3 + Duration::from_secs(5)
    }
}

/// The store's state: one struct implementing both views, as in wasmtime's examples.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    policy: HttpPolicy,
    memory: MemoryCap,
}

/// Refuses growth past [`MEMORY_LIMIT`], counted over all of the component's memories, and
/// remembers that it did, so that the trap that follows is reported as the limit, not as a
/// crash.
#[derive(Default)]
struct MemoryCap {
    total: usize,
    refused: bool,
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

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.policy,
        }
    }
}

/// A component compiled, checked and linked once, ready to be instantiated for each run
/// (wasmtime's `InstancePre`): what a plugin host keeps to pay little per call.
pub struct Runtime {
    engine: Engine,
    pre: SessionPre<State>,
}

impl Runtime {
    /// Compiles `source` (or takes it from `cache`), refuses it if it imports anything
    /// outside the grant, and links it against WASI and `wasi:http`.
    pub fn load(source: ComponentSource, cache: Option<&Path>) -> Result<Runtime> {
        let engine = engine()?;
        tick_epochs(&engine);
        let component = match source {
            ComponentSource::Embedded => compiled::load(&engine, GUEST_COMPONENT, cache)
                .map(|(component, _)| component)
                .context("cannot load the embedded component")?,
            ComponentSource::File(path) => load_file(&engine, path, cache).map_err(|e| {
                Failure::new(
                    Exit::Usage,
                    format!("cannot load component {}: {e:#}", path.display()),
                )
            })?,
        };
        refuse_excess_imports(&engine, &component)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(SessionPre::new)
            .map_err(anyhow::Error::from)
            .context("the component does not implement konecty:session/api")?;
        Ok(Runtime { engine, pre })
    }

    /// A fresh instance with exactly `grant`: its own store, memory and limits. The
    /// directory is created 0700 if missing and refused if other users may write to it;
    /// with write access it is tightened if looser (see [`credentials_dir::prepare`]), and
    /// every call leaves the credential files in it 0600.
    pub fn sandbox(&self, grant: Grant) -> Result<Sandbox> {
        credentials_dir::prepare(&grant.dir, grant.access)
            .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")))?;
        let perms = match grant.access {
            DirAccess::ReadOnly => FsPerms::ReadOnly,
            DirAccess::ReadWrite => FsPerms::ReadWrite,
        };
        let mut wasi = WasiCtxBuilder::new();
        // Calls are synchronous: file operations may block this thread instead of
        // round-tripping through tokio's blocking pool (a few hundred microseconds a call).
        wasi.allow_blocking_current_thread(true)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .preopened_dir(&grant.dir, ".", perms)
            .map_err(|e| {
                Failure::new(
                    Exit::Storage,
                    format!("cannot open {}: {e:#}", grant.dir.display()),
                )
            })?;
        let deadline = grant.call_deadline();
        let mut table = ResourceTable::new();
        table.set_max_capacity(RESOURCE_LIMIT);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(FIELDS_SIZE_LIMIT);
        let state = State {
            wasi: wasi.build(),
            http,
            table,
            policy: HttpPolicy::new(
                grant.origin,
                grant.limits,
                grant.network,
                Arc::clone(&grant.observer),
                grant.issued,
            ),
            memory: MemoryCap::default(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        store.set_epoch_deadline(ticks(deadline));
        let session = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| stopped(&store, deadline, e))?;
        Ok(Sandbox {
            store,
            session,
            dir: grant.dir,
            access: grant.access,
            observer: grant.observer,
            deadline,
            on_stuck: grant.on_stuck,
        })
    }
}

/// An instantiated component and its store.
pub struct Sandbox {
    store: Store<State>,
    session: Session,
    dir: PathBuf,
    access: DirAccess,
    observer: Arc<Observer>,
    deadline: Duration,
    on_stuck: Arc<dyn Fn(&Failure) + Send + Sync>,
}

impl Sandbox {
    /// Loads `source` and instantiates it with `grant`. To run a component many times,
    /// load it once with [`Runtime::load`] and call [`Runtime::sandbox`] for each run.
    pub fn new(source: ComponentSource, grant: Grant) -> Result<Sandbox> {
        Runtime::load(source, grant.cache.as_deref())?.sandbox(grant)
    }

    /// What the host refused or stopped so far.
    pub fn incidents(&self) -> Vec<Incident> {
        self.store.data().policy.incidents()
    }

    /// Runs one call of the component: under the directory lock, within the call deadline,
    /// reporting file changes when auditing.
    fn guarded<T: Bounded>(
        &mut self,
        call: impl FnOnce(&mut Store<State>, &Session) -> wasmtime::Result<T>,
    ) -> Result<T> {
        let lock = DirLock::acquire(&self.dir)
            .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")))?;
        credentials_dir::check_regular_files(&self.dir)
            .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")))?;
        let before = self.observer.audits().then(|| audit::snapshot(&self.dir));
        self.store.set_epoch_deadline(ticks(self.deadline));
        self.store.data_mut().memory.refused = false;
        let watchdog = Watchdog::arm(self.deadline + WATCHDOG_GRACE, {
            let on_stuck = Arc::clone(&self.on_stuck);
            let failure = out_of_time(self.deadline);
            move || on_stuck(&failure)
        });
        let result = call(&mut self.store, &self.session);
        drop(watchdog);
        if let Some(before) = before {
            audit::report_changes(&self.observer, &before, &audit::snapshot(&self.dir));
        }
        // Whatever the component created is left 0600, whichever program embeds it.
        let tightened = match self.access {
            DirAccess::ReadWrite => credentials_dir::tighten_files(&self.dir),
            DirAccess::ReadOnly => Ok(()),
        };
        // The call's outcome stands (a code may have been spent): a failed sync is told,
        // not turned into a failure.
        if let Err(err) = lock.release() {
            audit::stderr_line(&format!("warning: {err:#}"));
        }
        // Likewise for modes: the files sit in a 0700 directory, so a loose one is told.
        if let Err(err) = tightened {
            audit::stderr_line(&format!("warning: {err:#}"));
        }
        let value = result.map_err(|trap| stopped(&self.store, self.deadline, trap))?;
        // Measured before anything is done with it.
        if let Some(excess) = value.excess() {
            return Err(Failure::of_kind(Exit::Unavailable, "fault", excess.to_string()).into());
        }
        Ok(value)
    }

    pub fn login_options(&mut self, host: &str) -> Result<Result<LoginMethods, ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_login_options(store, host)
        })
    }

    pub fn request_otp(
        &mut self,
        host: &str,
        who: &Identifier,
    ) -> Result<Result<OtpSent, ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_request_otp(store, host, who)
        })
    }

    pub fn verify_otp(
        &mut self,
        host: &str,
        who: &Identifier,
        code: &str,
        label: Option<&ClientLabel>,
        geolocation: Option<Geolocation>,
    ) -> Result<Result<ApiSession, ApiError>> {
        self.guarded(|store, instance| {
            instance.konecty_session_api().call_verify_otp(
                store,
                host,
                who,
                code,
                label,
                geolocation,
            )
        })
    }

    pub fn pending_request(&mut self, host: &str) -> Result<Result<Option<CodeRequest>, ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_pending_request(store, host)
        })
    }

    pub fn save_session(
        &mut self,
        session: &ApiSession,
        targets: SaveTargets,
    ) -> Result<Result<(), ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_save_session(store, session, targets)
        })
    }

    pub fn read_sessions(&mut self, host: &str) -> Result<Result<Vec<StoredSession>, ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_read_sessions(store, host)
        })
    }

    pub fn stored_hosts(&mut self) -> Result<Result<Vec<String>, ApiError>> {
        self.guarded(|store, instance| instance.konecty_session_api().call_stored_hosts(store))
    }

    pub fn use_session(&mut self, host: &str) -> Result<Result<Option<StoredSession>, ApiError>> {
        self.guarded(|store, instance| instance.konecty_session_api().call_use_session(store, host))
    }

    pub fn check_session(
        &mut self,
        host: &str,
        token: &str,
    ) -> Result<Result<SessionCheck, ApiError>> {
        self.guarded(|store, instance| {
            instance
                .konecty_session_api()
                .call_check_session(store, host, token)
        })
    }

    pub fn logout(&mut self, host: &str) -> Result<Result<LogoutOutcome, ApiError>> {
        self.guarded(|store, instance| instance.konecty_session_api().call_logout(store, host))
    }
}

/// The largest component file loaded (ours is about 200 KB).
pub const COMPONENT_FILE_LIMIT: u64 = 32 * 1024 * 1024;

/// Reads a binary component; text (WAT), files over the limit, devices and anything else
/// are refused with one clear line.
fn load_file(engine: &Engine, path: &Path, cache: Option<&Path>) -> Result<Component> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // Without blocking: a FIFO in its place is refused below, not waited on.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        bail!("not a regular file");
    }
    if meta.len() > COMPONENT_FILE_LIMIT {
        bail!("larger than {} MiB", COMPONENT_FILE_LIMIT / (1024 * 1024));
    }
    let mut bytes = Vec::new();
    file.take(COMPONENT_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > COMPONENT_FILE_LIMIT {
        bail!("larger than {} MiB", COMPONENT_FILE_LIMIT / (1024 * 1024));
    }
    if !bytes.starts_with(b"\0asm") {
        bail!("not a WebAssembly binary");
    }
    Ok(compiled::load(engine, &bytes, cache)?.0)
}

/// The engine every component runs on (see `engine_config`).
pub fn engine() -> Result<Engine> {
    Ok(Engine::new(&crate::engine_config::engine_config())?)
}

/// A trap is a fault in the component, not an answer from Konecty; the host's own limits
/// are named as such.
fn stopped(store: &Store<State>, deadline: Duration, trap: wasmtime::Error) -> anyhow::Error {
    let message = if store.data().memory.refused {
        format!(
            "the component was stopped: it reached its {} MiB memory limit",
            MEMORY_LIMIT / (1024 * 1024)
        )
    } else if trap.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        return out_of_time(deadline).into();
    } else if trap
        .chain()
        .any(|e| matches!(e.downcast_ref(), Some(ResourceTableError::Full)))
    {
        format!(
            "the component was stopped: it held more than {RESOURCE_LIMIT} host resources \
             (HTTP fields, requests, streams) at once"
        )
    } else if trap.chain().any(|e| {
        matches!(
            e.downcast_ref(),
            Some(FieldMapError::TotalSizeTooBig | FieldMapError::TooManyFields)
        )
    }) {
        format!(
            "the component was stopped: it built HTTP headers larger than {} KiB",
            FIELDS_SIZE_LIMIT / 1024
        )
    } else {
        format!("the component failed: {}", trap.root_cause())
    };
    Failure::of_kind(Exit::Unavailable, "fault", message).into()
}

fn out_of_time(deadline: Duration) -> Failure {
    Failure::of_kind(
        Exit::Unavailable,
        "fault",
        format!(
            "the component was stopped after running for {} s, the limit for one call (3 x --timeout + 5 s)",
            deadline.as_secs()
        ),
    )
}

/// Epoch interruption stops running wasm only; a component blocked in a host call (a
/// pollable that never fires, say) is caught here instead. Dropping it disarms it.
struct Watchdog {
    _disarm: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    fn arm(after: Duration, on_expiry: impl FnOnce() + Send + 'static) -> Watchdog {
        let (disarm, disarmed) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = disarmed.recv_timeout(after) {
                on_expiry();
            }
        });
        Watchdog { _disarm: disarm }
    }
}

fn ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / EPOCH_TICK.as_millis()) as u64 + 1
}

/// Advances the engine's epoch every tick for as long as the engine lives.
fn tick_epochs(engine: &Engine) {
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

fn refuse_excess_imports(engine: &Engine, component: &Component) -> Result<()> {
    let mut refused = Vec::new();
    for (name, _) in component.component_type().imports(engine) {
        let interface = name.split('@').next().unwrap_or(name);
        if !ALLOWED_IMPORTS.contains(&interface) {
            refused.push(name.to_string());
        }
    }
    if !refused.is_empty() {
        bail!(
            "refusing the component: it imports {}, which this host never grants",
            refused.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant_of(dir: &Path) -> Grant {
        Grant {
            dir: dir.to_path_buf(),
            access: DirAccess::ReadWrite,
            origin: None,
            limits: Limits::default(),
            network: Network::default(),
            observer: Arc::default(),
            cache: None,
            issued: None,
            on_stuck: Arc::new(|_| {}),
        }
    }

    #[test]
    fn one_runtime_serves_many_sandboxes_each_with_its_own_directory() {
        let runtime = Runtime::load(ComponentSource::Embedded, None).unwrap();
        let first = tempfile::tempdir().unwrap();
        std::fs::write(
            first.path().join("credentials"),
            "[https://a.konecty.com]\nhost = https://a.konecty.com\nauthId = t\n",
        )
        .unwrap();
        let second = tempfile::tempdir().unwrap();
        for (dir, expected) in [
            (first.path(), vec!["https://a.konecty.com".to_string()]),
            (second.path(), vec![]),
            (first.path(), vec!["https://a.konecty.com".to_string()]),
        ] {
            let mut sandbox = runtime.sandbox(grant_of(dir)).unwrap();
            let hosts = sandbox.stored_hosts().unwrap().unwrap();
            assert_eq!(hosts, expected, "stored hosts seen in {}", dir.display());
        }
    }

    #[test]
    fn the_embedded_component_is_at_most_200_kb() {
        let size = GUEST_COMPONENT.len();
        println!("embedded component: {size} bytes");
        assert!(
            size <= 200_000,
            "the component is {size} bytes, over 200 KB (issue 5's target)"
        );
        assert!(GUEST_COMPONENT.starts_with(b"\0asm"), "not a wasm binary");
    }

    #[test]
    fn the_embedded_component_imports_only_what_the_host_grants() {
        let engine = Engine::default();
        let component = Component::new(&engine, GUEST_COMPONENT).unwrap();
        refuse_excess_imports(&engine, &component).unwrap();
        let imports: Vec<String> = component
            .component_type()
            .imports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();
        assert!(
            !imports.iter().any(|i| i.starts_with("wasi:sockets")),
            "imports sockets: {imports:?}"
        );
    }
}
