//! A command's sandbox: the grant made from the configuration, calls whose errors become
//! [`Failure`]s, saving a session, and which token to use (the token precedence, in one
//! place: [`candidates`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde::{Serialize, Serializer};

use konecty_session::files::credentials_dir::{self, DirAccess};
use konecty_session::sandbox::bindings::CredentialFile;
use konecty_session::{
    ApiError, ApiSession, ClientLabel, ComponentSource, Error as SandboxError, Grant, Runtime,
    Sandbox, SaveTargets, StoredSession,
};

use crate::cli::args::{Config, Host, env_var};
use crate::cli::exit::{Failure, Kind};
use crate::cli::present::mask_email;
use crate::cli::report::{LoggedIn, SOURCE, Saved, User};

/// Prepares the credentials directory and loads the component with its grant: the
/// directory, and HTTP to `host`'s origin only (none at all when `host` is None).
pub fn open(config: &Config, host: Option<&Host>, access: DirAccess) -> Result<Sandbox> {
    if let Some(host) = host {
        config.check_encryption(host)?;
    }
    // The record of issued tokens must stay out of the component's reach.
    if let Some(issued) = &config.issued {
        let inside = std::path::absolute(issued.dir())
            .ok()
            .zip(std::path::absolute(&config.dir).ok())
            .is_some_and(|(record, dir)| record.starts_with(dir));
        if inside {
            return Err(Failure::new(
                Kind::Usage,
                format!(
                    "{} holds {}, the record of which host issued each token: choose another \
                     --dir",
                    config.dir.display(),
                    issued.dir().display()
                ),
            )
            .into());
        }
    }
    // The sandbox creates the directory and tightens modes; the umask makes files private
    // from their first byte.
    credentials_dir::private_umask();
    let grant = Grant {
        dir: config.dir.clone(),
        access,
        origin: host.map(|h| h.origin.clone()),
        limits: config.limits,
        network: config.network.clone(),
        observer: Arc::clone(&config.observer),
        on_stuck: stuck_handler(config.json),
        cache: konecty_session::sandbox::compiled::default_cache_dir(),
        issued: config.issued.clone(),
    };
    // One runtime per component per process: `login` and `demo` open several sandboxes.
    static RUNTIMES: Mutex<Vec<(Option<PathBuf>, Arc<Runtime>)>> = Mutex::new(Vec::new());
    let mut runtimes = RUNTIMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = match runtimes.iter().find(|(c, _)| *c == config.component) {
        Some((_, runtime)) => Arc::clone(runtime),
        None => {
            let source = match &config.component {
                Some(path) => ComponentSource::File(path),
                None => ComponentSource::Embedded,
            };
            let runtime = Arc::new(Runtime::load(source, grant.cache.as_deref())?);
            runtimes.push((config.component.clone(), Arc::clone(&runtime)));
            runtime
        }
    };
    drop(runtimes);
    Ok(runtime.sandbox(grant)?)
}

/// Calls the component; any error becomes a [`Failure`] (a refusal by the host told with
/// the host's reason).
pub fn call<T>(
    sandbox: &mut Sandbox,
    function: impl FnOnce(&mut Sandbox) -> Result<T, SandboxError>,
) -> Result<T> {
    function(sandbox).map_err(|error| Failure::from(error).into())
}

/// Like [`call`], but hands the component's own error back, for callers that recover from
/// some; what the host refused or stopped is still a failure.
pub fn attempt<T>(
    sandbox: &mut Sandbox,
    function: impl FnOnce(&mut Sandbox) -> Result<T, SandboxError>,
) -> Result<Result<T, ApiError>> {
    match function(sandbox) {
        Ok(value) => Ok(Ok(value)),
        Err(SandboxError::Component(error)) => Ok(Err(error)),
        Err(other) => Err(Failure::from(other).into()),
    }
}

/// What to do when a call is stuck past its deadline: say so as any failure, and end the
/// process (which also releases the directory lock).
pub fn stuck_handler(json: bool) -> Arc<dyn Fn(&SandboxError) + Send + Sync> {
    Arc::new(move |stuck: &SandboxError| {
        let failure = Failure::from(stuck.clone());
        failure.print(json);
        std::process::exit(failure.exit() as i32)
    })
}

/// Reads both files before a code is spent: one that cannot be read or is too large to
/// rewrite fails now, instead of after the server has handed out a session we could not
/// keep.
pub fn files_are_editable(sandbox: &mut Sandbox, host: &Host) -> Result<()> {
    call(sandbox, |s| s.read_sessions(&host.url)).map(drop)
}

/// Saves a fresh session and says who is logged in where.
pub fn save(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
    session: &ApiSession,
    targets: SaveTargets,
) -> Result<LoggedIn> {
    // The granted origin issued it, whatever the component says the session's host is.
    record_issuer(config, &session.token, host);
    if targets != SaveTargets::empty() {
        call(sandbox, |s| s.save_session(session, targets))?;
    }
    let email = session.email.as_deref().map(mask_email);
    Ok(LoggedIn {
        // The granted host, not the component's word for it.
        host: host.url.clone(),
        user: User::new(
            Some(&session.user_id),
            session.name.as_deref(),
            email.as_deref(),
        ),
        saved: Saved {
            env_file: targets.contains(SaveTargets::ENV_FILE),
            credentials_file: targets.contains(SaveTargets::CREDENTIALS_FILE),
        },
        dir: config.dir.clone(),
        verified_for: None,
    })
}

/// The label the server records with the session: this tool, and this machine's hash.
pub fn client_label() -> ClientLabel {
    ClientLabel {
        source: SOURCE.to_string(),
        fingerprint: crate::cli::fingerprint::of_this_machine(),
    }
}

/// Remembers that `host` issued `token`; a record that cannot be written costs only the
/// protection, so it is a warning.
pub fn record_issuer(config: &Config, token: &str, host: &Host) {
    if let Some(issued) = &config.issued
        && let Err(e) = issued.record(token, &host.origin)
    {
        konecty_session::audit::stderr_line(&format!(
            "warning: cannot record which host issued the token: {e:#}"
        ));
    }
}

/// Refuses a token this program saw issued by another origin: it is neither sent to `host`
/// nor printed beside `host`'s URL. Files a component rewrote (`KONECTY_URL` in `.env`)
/// cannot send a token elsewhere this way. Tokens it never saw issued (other tools wrote
/// them) are not refused.
pub fn refuse_if_issued_elsewhere(
    config: &Config,
    host: &Host,
    candidate: &Candidate,
) -> Result<()> {
    let Some(issuer) = issuer_of(config, &candidate.token)? else {
        return Ok(());
    };
    if issuer == host.origin.to_string() {
        return Ok(());
    }
    Err(Failure::new(
        Kind::Denied,
        format!(
            "the token in {} was issued by {issuer}, not {}: it is never sent or shown for \
             another host (was {} changed by another program?); log in to {} again, or name \
             its host: --host {issuer}",
            candidate.source.describe(config),
            host.origin,
            candidate.source.describe(config),
            host.url,
        ),
    )
    .into())
}

/// The origin recorded as the issuer of `token`; a record that cannot be trusted is a
/// failure, never a pass.
pub fn issuer_of(config: &Config, token: &str) -> Result<Option<String>> {
    let Some(issued) = &config.issued else {
        return Ok(None);
    };
    issued
        .origin_of(token)
        .map_err(|e| Failure::new(Kind::Storage, format!("{e:#}")).into())
}

/// Where a token came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Flag,
    Environment,
    EnvFile,
    Credentials,
}

impl TokenSource {
    pub fn name(self) -> &'static str {
        match self {
            TokenSource::Flag => "flag",
            TokenSource::Environment => "environment",
            TokenSource::EnvFile => "env-file",
            TokenSource::Credentials => "credentials",
        }
    }

    pub fn describe(self, config: &Config) -> String {
        self.describe_in(&config.dir)
    }

    /// [`describe`](Self::describe), for the credentials directory `dir`.
    pub fn describe_in(self, dir: &Path) -> String {
        match self {
            TokenSource::Flag => "--token-stdin".to_string(),
            TokenSource::Environment => "KONECTY_TOKEN".to_string(),
            TokenSource::EnvFile => dir.join(".env").display().to_string(),
            TokenSource::Credentials => dir.join("credentials").display().to_string(),
        }
    }
}

/// In JSON, by its [`name`](TokenSource::name).
impl Serialize for TokenSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A token that could be used for the host.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub source: TokenSource,
    pub token: String,
    pub user_id: Option<String>,
    pub issued_at: Option<u64>,
}

impl From<StoredSession> for Candidate {
    fn from(stored: StoredSession) -> Candidate {
        Candidate {
            source: match stored.file {
                CredentialFile::EnvFile => TokenSource::EnvFile,
                CredentialFile::CredentialsFile => TokenSource::Credentials,
            },
            token: stored.token,
            user_id: stored.user_id,
            issued_at: stored.issued_at,
        }
    }
}

/// Whether the server accepts `candidate` for `host`; None when that cannot be said: a
/// token issued by another host is never sent, and a server that cannot be asked now has
/// not answered.
pub fn server_accepts(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
    candidate: &Candidate,
) -> Option<bool> {
    refuse_if_issued_elsewhere(config, host, candidate).ok()?;
    match attempt(sandbox, |s| s.check_session(&host.url, &candidate.token)) {
        Ok(Ok(check)) => Some(check.logged_in),
        Ok(Err(ApiError::Unauthorized(_))) => Some(false),
        _ => None,
    }
}

/// Every token for `host`, by precedence: the flag, KONECTY_TOKEN (when KONECTY_URL is
/// unset or names the same host), `.env`, `credentials`.
pub fn candidates(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
    flag: Option<String>,
) -> Result<Vec<Candidate>> {
    let mut found = Vec::new();
    if let Some(token) = flag {
        found.push(Candidate {
            source: TokenSource::Flag,
            token,
            user_id: None,
            issued_at: None,
        });
    }
    // A token from the environment belongs to KONECTY_URL's host; without KONECTY_URL, only
    // to the host this program saw issue it. Never to a host the files or --host name.
    let env_url_matches = match env_var("KONECTY_URL") {
        Some(url) => Host::parse(&url).is_ok_and(|env| env.same_as(host)),
        None => match &config.env_token {
            Some(token) => {
                issuer_of(config, token)?.is_some_and(|issuer| issuer == host.origin.to_string())
            }
            None => false,
        },
    };
    if let Some(token) = config.env_token.clone().filter(|_| env_url_matches) {
        found.push(Candidate {
            source: TokenSource::Environment,
            token,
            user_id: env_var("KONECTY_USER_ID"),
            issued_at: None,
        });
    }
    for stored in call(sandbox, |s| s.read_sessions(&host.url))? {
        found.push(Candidate::from(stored));
    }
    Ok(found)
}

/// The token that status would use, without asking the server.
pub fn best_token(config: &Config) -> Result<(Host, Candidate)> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, None, DirAccess::ReadOnly)?;
    let found = candidates(config, &mut sandbox, &host, None)?;
    let winner = found.into_iter().next().ok_or_else(|| {
        Failure::new(
            Kind::NotLoggedIn,
            format!(
                "no session for {}: log in with: {}",
                host.url,
                config.login_command(&host, true)
            ),
        )
    })?;
    refuse_if_issued_elsewhere(config, &host, &winner)?;
    // These commands print the token itself: one a terminal would act on is not printed.
    let values = [Some(&winner.token), winner.user_id.as_ref()];
    if !values
        .into_iter()
        .flatten()
        .all(|v| konecty_session::sanitize::is_printable(v))
    {
        return Err(Failure::new(
            Kind::BadResponse,
            format!(
                "the session in {} holds control or invisible characters: not printed; log in \
                 again",
                winner.source.describe(config)
            ),
        )
        .into());
    }
    Ok((host, winner))
}
