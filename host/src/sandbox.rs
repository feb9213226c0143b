//! Runs a `konecty:session` component with exactly the authority it needs: outbound HTTP to
//! one origin (see `policy`) and one preopened directory. No environment, arguments, stdio,
//! sockets or name lookup.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::exit::{Exit, Failure};
use crate::policy::{Denial, HttpPolicy, Origin, Timeouts};

wasmtime::component::bindgen!({ world: "session", path: "../wit" });

pub use konecty::session::types::{
    Channel, ClientLabel, CredentialFile, Error as ApiError, Identifier, LoginMethods,
    LogoutOutcome, OtpSent, SaveTargets, ServerReply, Session as ApiSession, SessionCheck,
    StoredSession,
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
    /// The only origin it may send requests to; none means no HTTP at all.
    pub origin: Option<Origin>,
    pub timeouts: Timeouts,
    /// Log one line per request on stderr.
    pub log_requests: bool,
}

/// The store's state: one struct implementing both views, as in wasmtime's examples.
pub struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    policy: HttpPolicy,
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

/// An instantiated component and its store.
pub struct Sandbox {
    store: Store<State>,
    session: Session,
}

impl Sandbox {
    pub fn new(source: ComponentSource, grant: Grant) -> Result<Sandbox> {
        let engine = Engine::default();
        let component = match source {
            ComponentSource::Embedded => Component::new(&engine, GUEST_COMPONENT)
                .map_err(anyhow::Error::from)
                .context("cannot load the embedded component")?,
            ComponentSource::File(path) => load_file(&engine, path).map_err(|e| {
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

        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .preopened_dir(&grant.dir, ".", FsPerms::ReadWrite)
            .map_err(|e| {
                Failure::new(
                    Exit::Storage,
                    format!("cannot open {}: {e:#}", grant.dir.display()),
                )
            })?;
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            policy: HttpPolicy::new(grant.origin, grant.timeouts, grant.log_requests),
        };
        let mut store = Store::new(&engine, state);
        let session = Session::instantiate(&mut store, &component, &linker)
            .map_err(anyhow::Error::from)
            .context("the component does not implement konecty:session/api")?;
        Ok(Sandbox { store, session })
    }

    /// The requests the policy refused so far.
    pub fn denials(&self) -> &[Denial] {
        self.store.data().policy.denials()
    }

    pub fn login_options(&mut self, host: &str) -> Result<Result<LoginMethods, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_login_options(&mut self.store, host))
    }

    pub fn request_otp(
        &mut self,
        host: &str,
        who: &Identifier,
    ) -> Result<Result<OtpSent, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_request_otp(&mut self.store, host, who))
    }

    pub fn verify_otp(
        &mut self,
        host: &str,
        who: Option<&Identifier>,
        code: &str,
        label: Option<&ClientLabel>,
    ) -> Result<Result<ApiSession, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_verify_otp(&mut self.store, host, who, code, label))
    }

    pub fn save_session(
        &mut self,
        session: &ApiSession,
        targets: SaveTargets,
    ) -> Result<Result<(), ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_save_session(&mut self.store, session, targets))
    }

    pub fn read_sessions(&mut self, host: &str) -> Result<Result<Vec<StoredSession>, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_read_sessions(&mut self.store, host))
    }

    pub fn stored_hosts(&mut self) -> Result<Result<Vec<String>, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_stored_hosts(&mut self.store))
    }

    pub fn use_session(&mut self, host: &str) -> Result<Result<Option<StoredSession>, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_use_session(&mut self.store, host))
    }

    pub fn check_session(
        &mut self,
        host: &str,
        token: &str,
    ) -> Result<Result<SessionCheck, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_check_session(&mut self.store, host, token))
    }

    pub fn logout(&mut self, host: &str) -> Result<Result<LogoutOutcome, ApiError>> {
        let api = self.session.konecty_session_api();
        trapped(api.call_logout(&mut self.store, host))
    }
}

/// Reads a binary component; text (WAT) and anything else is refused with one clear line.
fn load_file(engine: &Engine, path: &Path) -> Result<Component> {
    let bytes = std::fs::read(path)?;
    if !bytes.starts_with(b"\0asm") {
        bail!("not a WebAssembly binary");
    }
    Ok(Component::from_binary(engine, &bytes)?)
}

/// A trap is a fault in the component, not an answer from Konecty.
fn trapped<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|trap| anyhow::anyhow!("the component failed: {}", trap.root_cause()))
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

    #[test]
    fn the_embedded_component_is_under_300_kb() {
        let size = GUEST_COMPONENT.len();
        println!("embedded component: {size} bytes");
        assert!(
            size < 300 * 1024,
            "the component is {size} bytes, over 300 KB"
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
