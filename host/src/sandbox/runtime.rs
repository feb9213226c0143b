//! Runs a `konecty:session` component with exactly the authority it needs: outbound HTTP to
//! one origin (see `network::policy`) and one preopened directory. No environment, arguments, stdio,
//! sockets or name lookup; bounded memory and time; one call at a time on the directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable, ResourceTableError};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{FieldMapError, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::audit::{self, Observer};
use crate::files::credentials_dir::{self, DirAccess, DirLock};
use crate::network::policy::HttpPolicy;
use crate::sandbox::bindings::{
    ApiError, ApiSession, ClientLabel, CodeRequest, GUEST_COMPONENT, GUEST_COMPONENT_SHA256,
    Geolocation, Identifier, LoginMethods, LogoutOutcome, OtpSent, SaveTargets, Session,
    SessionCheck, SessionPre, StoredSession,
};
use crate::sandbox::bounds::Bounded;
use crate::sandbox::compiled;
use crate::sandbox::engine::{engine, tick_epochs, ticks};
use crate::sandbox::error::{Error, Stop};
use crate::sandbox::grant::{ComponentSource, Grant};
use crate::sandbox::limits::{FIELDS_SIZE_LIMIT, MemoryCap, RESOURCE_LIMIT};

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

/// How long after its deadline a call stuck outside wasm is given before the watchdog acts.
const WATCHDOG_GRACE: Duration = Duration::from_secs(2);

/// The store's state: one struct implementing both views, as in wasmtime's examples.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    policy: HttpPolicy,
    memory: MemoryCap,
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
    pub fn load(source: ComponentSource, cache: Option<&Path>) -> Result<Runtime, Error> {
        let engine = engine().map_err(|e| refused(&e, "cannot start the engine"))?;
        tick_epochs(&engine);
        let component = match source {
            ComponentSource::Embedded => {
                compiled::load_digested(&engine, GUEST_COMPONENT, &GUEST_COMPONENT_SHA256, cache)
            }
            .map(|(component, _)| component)
            .map_err(|e| refused(&e, "cannot load the embedded component"))?,
            ComponentSource::File(path) => {
                load_file(&engine, path, cache).map_err(|reason| Error::ComponentFile {
                    path: path.to_path_buf(),
                    reason,
                })?
            }
        };
        refuse_excess_imports(&engine, &component)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker))
            .map_err(|e| refused(&e, "cannot link WASI"))?;
        let pre = linker
            .instantiate_pre(&component)
            .and_then(SessionPre::new)
            .map_err(|e| refused(&e, "the component does not implement konecty:session/api"))?;
        Ok(Runtime { engine, pre })
    }

    /// A fresh instance with exactly `grant`: its own store, memory and limits. The
    /// directory is created 0700 if missing and refused if other users may write to it;
    /// with write access it is tightened if looser (see [`credentials_dir::prepare`]), and
    /// every call leaves the credential files in it 0600.
    pub fn sandbox(&self, grant: Grant) -> Result<Sandbox, Error> {
        credentials_dir::prepare(&grant.dir, grant.access)
            .map_err(|e| Error::Directory(format!("{e:#}")))?;
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
            .map_err(|e| Error::Directory(format!("cannot open {}: {e:#}", grant.dir.display())))?;
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
    on_stuck: Arc<dyn Fn(&Error) + Send + Sync>,
}

impl Sandbox {
    /// Loads `source` and instantiates it with `grant`. To run a component many times,
    /// load it once with [`Runtime::load`] and call [`Runtime::sandbox`] for each run.
    pub fn new(source: ComponentSource, grant: Grant) -> Result<Sandbox, Error> {
        Runtime::load(source, grant.cache.as_deref())?.sandbox(grant)
    }

    /// Runs one call of the component: under the directory lock, within the call deadline,
    /// reporting file changes when auditing.
    fn guarded<T: Bounded>(
        &mut self,
        call: impl FnOnce(&mut Store<State>, &Session) -> wasmtime::Result<T>,
    ) -> Result<T, Error> {
        let lock = DirLock::acquire(&self.dir).map_err(|e| Error::Directory(format!("{e:#}")))?;
        credentials_dir::check_regular_files(&self.dir)
            .map_err(|e| Error::Directory(format!("{e:#}")))?;
        let before = self.observer.audits().then(|| audit::snapshot(&self.dir));
        self.store.set_epoch_deadline(ticks(self.deadline));
        self.store.data_mut().memory.refused = false;
        let watchdog = Watchdog::arm(self.deadline + WATCHDOG_GRACE, {
            let on_stuck = Arc::clone(&self.on_stuck);
            let stuck = Error::Stopped(Stop::Deadline(self.deadline));
            move || on_stuck(&stuck)
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
            return Err(Error::Stopped(Stop::Oversized(excess.to_string())));
        }
        Ok(value)
    }

    /// One call whose answer is the component's `result<T, error>`: its error is told with
    /// the host's reason when the host refused something during this call.
    fn answer<T>(
        &mut self,
        call: impl FnOnce(&mut Store<State>, &Session) -> wasmtime::Result<Result<T, ApiError>>,
    ) -> Result<T, Error>
    where
        Result<T, ApiError>: Bounded,
    {
        let seen_before = self.store.data().policy.incidents().len();
        self.guarded(call)?.map_err(|error| {
            let incidents = self.store.data().policy.incidents();
            match incidents.get(seen_before..).and_then(<[_]>::last) {
                Some(incident) => Error::Refused {
                    incident: Box::new(incident.clone()),
                    error,
                },
                None => Error::Component(error),
            }
        })
    }

    pub fn login_options(&mut self, host: &str) -> Result<LoginMethods, Error> {
        self.answer(|store, instance| {
            instance
                .konecty_session_api()
                .call_login_options(store, host)
        })
    }

    pub fn request_otp(&mut self, host: &str, who: &Identifier) -> Result<OtpSent, Error> {
        self.answer(|store, instance| {
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
    ) -> Result<ApiSession, Error> {
        self.answer(|store, instance| {
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

    pub fn pending_request(&mut self, host: &str) -> Result<Option<CodeRequest>, Error> {
        self.answer(|store, instance| {
            instance
                .konecty_session_api()
                .call_pending_request(store, host)
        })
    }

    pub fn save_session(
        &mut self,
        session: &ApiSession,
        targets: SaveTargets,
    ) -> Result<(), Error> {
        self.answer(|store, instance| {
            instance
                .konecty_session_api()
                .call_save_session(store, session, targets)
        })
    }

    pub fn read_sessions(&mut self, host: &str) -> Result<Vec<StoredSession>, Error> {
        self.answer(|store, instance| {
            instance
                .konecty_session_api()
                .call_read_sessions(store, host)
        })
    }

    pub fn stored_hosts(&mut self) -> Result<Vec<String>, Error> {
        self.answer(|store, instance| instance.konecty_session_api().call_stored_hosts(store))
    }

    pub fn use_session(&mut self, host: &str) -> Result<Option<StoredSession>, Error> {
        self.answer(|store, instance| instance.konecty_session_api().call_use_session(store, host))
    }

    pub fn check_session(&mut self, host: &str, token: &str) -> Result<SessionCheck, Error> {
        self.answer(|store, instance| {
            instance
                .konecty_session_api()
                .call_check_session(store, host, token)
        })
    }

    pub fn logout(&mut self, host: &str) -> Result<LogoutOutcome, Error> {
        self.answer(|store, instance| instance.konecty_session_api().call_logout(store, host))
    }
}

/// The largest component file loaded (ours is about 230 KB).
pub const COMPONENT_FILE_LIMIT: u64 = 32 * 1024 * 1024;

/// Reads a binary component; text (WAT), files over the limit, devices and anything else
/// are refused with one clear line.
fn load_file(engine: &Engine, path: &Path, cache: Option<&Path>) -> Result<Component, String> {
    read_component_file(path).and_then(|bytes| {
        compiled::load(engine, &bytes, cache)
            .map(|(component, _)| component)
            .map_err(|e| format!("{e:#}"))
    })
}

fn read_component_file(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let too_large = || format!("larger than {} MiB", COMPONENT_FILE_LIMIT / (1024 * 1024));
    // Without blocking: a FIFO in its place is refused below, not waited on.
    let file = without_blocking(std::fs::OpenOptions::new().read(true))
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > COMPONENT_FILE_LIMIT {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(COMPONENT_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > COMPONENT_FILE_LIMIT {
        return Err(too_large());
    }
    if !bytes.starts_with(b"\0asm") {
        return Err("not a WebAssembly binary".into());
    }
    Ok(bytes)
}

fn refused(error: &dyn std::fmt::Display, what: &str) -> Error {
    Error::ComponentRefused(format!("{what}: {error:#}"))
}

/// Opening through `options` does not wait (on a FIFO, say); a link to the component is
/// followed, as a path given on the command line should be.
fn without_blocking(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
    }
    #[cfg(not(unix))]
    {
        options
    }
}

/// A trap is a fault in the component, not an answer from Konecty; the host's own limits
/// are named as such.
fn stopped(store: &Store<State>, deadline: Duration, trap: wasmtime::Error) -> Error {
    let stop = if store.data().memory.refused {
        Stop::Memory
    } else if trap.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
        Stop::Deadline(deadline)
    } else if trap
        .chain()
        .any(|e| matches!(e.downcast_ref(), Some(ResourceTableError::Full)))
    {
        Stop::Resources
    } else if trap.chain().any(|e| {
        matches!(
            e.downcast_ref(),
            Some(FieldMapError::TotalSizeTooBig | FieldMapError::TooManyFields)
        )
    }) {
        Stop::Headers
    } else {
        Stop::Trap(trap.root_cause().to_string())
    };
    Error::Stopped(stop)
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

fn refuse_excess_imports(engine: &Engine, component: &Component) -> Result<(), Error> {
    let mut refused = Vec::new();
    for (name, _) in component.component_type().imports(engine) {
        let interface = name.split('@').next().unwrap_or(name);
        if !ALLOWED_IMPORTS.contains(&interface) {
            refused.push(name.to_string());
        }
    }
    if !refused.is_empty() {
        return Err(Error::ComponentRefused(format!(
            "refusing the component: it imports {}, which this host never grants",
            refused.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::limits::Limits;
    use crate::network::settings::Network;

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
            let hosts = sandbox.stored_hosts().unwrap();
            assert_eq!(hosts, expected, "stored hosts seen in {}", dir.display());
        }
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
