//! Command-line arguments (clap derive), turned into a [`Config`] the commands use.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use konecty_session::audit::Observer;
use konecty_session::files::credentials_dir::StoredIn;
use konecty_session::files::issued::IssuedTokens;
use konecty_session::{Geolocation, Limits, Network, Origin, ProxyRules, ProxySetting, Trust};

use crate::cli::exit::{Failure, Kind};
use crate::cli::present::{ShellSyntax, single_quoted};

/// Base URL used when nothing else names one, as in Konecty's SDKs.
pub const DEFAULT_HOST: &str = "http://localhost:3000";

const EXAMPLES: &str = "\
Examples:
  # A person at a terminal: one command, it asks for what it needs.
  konecty-session --host https://app.konecty.com login

  # An agent, in two steps (the second may come in a later turn, while the code lives).
  konecty-session --host https://app.konecty.com request-otp --email ana@example.com --json
  echo 123456 | konecty-session --host https://app.konecty.com verify-otp --otp-stdin --json

  # Scripts: who am I, then the variables for eval, or the token alone.
  konecty-session status
  eval \"$(konecty-session env)\"
  curl -H \"Authorization: $KONECTY_TOKEN\" \"$KONECTY_URL/rest/auth/info\"
  curl -H \"Authorization: $(konecty-session token)\" https://app.konecty.com/rest/auth/info

Which host: --host, else KONECTY_URL, else KONECTY_URL in ~/.konecty/.env, else host in
[default] of ~/.konecty/credentials, else http://localhost:3000. Which token (status,
token, env): --token-stdin, else KONECTY_TOKEN (for KONECTY_URL's host), else
~/.konecty/.env, else credentials.
`status` shows which one won and what it overrode.

Exit codes: 0 ok; 1 the server said no (wrong or expired code, unknown user, OTP off) or
not logged in; 2 bad input or usage, nothing sent; 3 network or server fault, a request the
sandbox denied, or a limit reached (--timeout, 1 MiB answers, 64 MiB component memory);
4 the credential files could not be read or written.

--json: every command prints exactly one JSON object on stdout; failures print
{\"error\": {\"kind\", \"message\", \"serverMessage\"}} with the same exit codes.
--verbose or KONECTY_LOG=debug: one line per request on stderr (method, path, status, bytes,
ms); --audit FILE appends the same as JSON lines, plus every file changed. Tokens, codes,
emails and phones are never printed.

Only https:// reaches hosts other than this machine (--allow-insecure-http to override), and
a host name may not resolve to a private, loopback, link-local or metadata address
(--allow-private-network for a self-hosted Konecty; metadata addresses never).

Networks: https_proxy / HTTPS_PROXY (https hosts), http_proxy (http hosts) and no_proxy
are honoured as curl does; --proxy URL or --no-proxy override them. TLS is verified against
SSL_CERT_FILE / SSL_CERT_DIR when set, else the system's trust store; --cacert FILE
trusts a company or private CA alone.";

/// Konecty's OTP login, run as a sandboxed WebAssembly component.
///
/// The login flow runs inside a component that can send HTTP requests only to the one
/// Konecty origin and can touch only the credentials directory (~/.konecty). It has no
/// environment variables, no sockets and no other files. The session token is written to
/// .env and credentials in that directory (mode 0600), where every Konecty skill and SDK
/// finds it.
#[derive(Debug, Parser)]
#[command(name = "konecty-session", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Konecty base URL, the only origin the component may reach [default: KONECTY_URL, else
    /// the stored default session, else http://localhost:3000]
    #[arg(long, global = true, value_name = "URL")]
    pub host: Option<String>,

    /// Directory of the credential files, the only one the component may touch
    /// [default: ~/.konecty]
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Run this component instead of the embedded one, under the same policy (it must
    /// implement the konecty:session world)
    #[arg(long, global = true, value_name = "FILE")]
    pub component: Option<PathBuf>,

    /// Print exactly one JSON object on stdout, errors included
    #[arg(long, global = true)]
    pub json: bool,

    /// Log each request on stderr: method, path, status, bytes, milliseconds (secrets
    /// never) [also: KONECTY_LOG=debug]
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// Give up on a request after this many seconds, from connecting to the last byte of
    /// the answer (connecting alone: at most 10 s)
    #[arg(long, global = true, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// Allow plain http:// to a host that is not this machine (the code and the token
    /// then cross the network unencrypted)
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,

    /// Use ADDR for NAME instead of asking DNS, as curl's --resolve; the address is
    /// still checked (a name may not lead to a private or loopback address)
    #[arg(long, global = true, value_name = "NAME=ADDR", value_parser = parse_pin)]
    pub resolve: Vec<(String, IpAddr)>,

    /// Append a JSON line for every request the component makes and every file it
    /// changes (no tokens, codes, emails or phones: those fields do not exist)
    #[arg(long, global = true, value_name = "FILE")]
    pub audit: Option<PathBuf>,

    /// Send requests through this proxy, http://[USER:PASSWORD@]HOST:PORT, instead of the
    /// one https_proxy or http_proxy names (no_proxy still applies). Credentials given
    /// here show in process listings: prefer the variables for them
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,

    /// Connect directly, ignoring https_proxy, HTTPS_PROXY, http_proxy and no_proxy
    #[arg(long, global = true)]
    pub no_proxy: bool,

    /// Trust only the CA certificates in FILE (PEM) for https, such as a company's
    /// [default: SSL_CERT_FILE or SSL_CERT_DIR if set, else the system's trust store]
    #[arg(long, global = true, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Let the host's name resolve to a private network (10.x, 172.16-31.x, 192.168.x,
    /// 100.64/10, link-local, fc00::/7, loopback): for a self-hosted Konecty. Cloud
    /// metadata addresses stay refused [also: KONECTY_ALLOW_PRIVATE_NETWORK=1]
    #[arg(long, global = true)]
    pub allow_private_network: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in at a terminal: asks for the recipient and the code, retries, resends
    #[command(after_help = "Examples:
  konecty-session --host https://app.konecty.com login
  konecty-session login --phone '(11) 99999-9999'
  konecty-session login --force      # even if the stored session is still valid

At the code prompt: type the 6 digits (123456, 123 456 or 123-456), `r` to resend.
Without a terminal it exits 0 and says who is logged in when the stored session is valid
(safe to call as \"make sure I am logged in\"), else exits 2: use request-otp and verify-otp.")]
    Login(LoginArgs),
    /// Show which login methods the namespace offers; exit 1 when OTP is off
    #[command(after_help = "Example:
  konecty-session --host https://app.konecty.com login-options --json")]
    LoginOptions,
    /// Ask Konecty to send a 6-digit code by email or WhatsApp (step 1 of 2)
    #[command(after_help = "Examples:
  konecty-session request-otp --email ana@example.com
  konecty-session request-otp --phone '+55 11 99999-9999'   # also (11) 99999-9999

The request (host, recipient, time; never the code) is remembered for an hour in the
credentials directory, so verify-otp may leave out --email/--phone.")]
    RequestOtp(Recipient),
    /// Trade the code for a session and save it to .env and credentials (step 2 of 2)
    #[command(after_help = "Examples:
  echo 123456 | konecty-session verify-otp --otp-stdin
  KONECTY_OTP=123456 konecty-session verify-otp --email ana@example.com
  konecty-session verify-otp --otp 123456 --no-env   # --otp shows in process listings

The code comes from --otp-stdin or --otp, else KONECTY_OTP.")]
    VerifyOtp(Verify),
    /// Who is logged in, with which token from where; exit 0 valid, 1 not, 3 cannot check
    #[command(
        visible_alias = "whoami",
        after_help = "Examples:
  konecty-session status
  konecty-session status --offline --json
  printf %s \"$TOKEN\" | konecty-session status --token-stdin"
    )]
    Status(StatusArgs),
    /// Print the session token alone, for $(konecty-session token)
    #[command(after_help = "Example:
  curl -H \"Authorization: $(konecty-session token)\" https://app.konecty.com/rest/auth/info")]
    Token,
    /// Print KONECTY_URL, KONECTY_TOKEN and KONECTY_USER_ID for eval
    #[command(after_help = "Examples:
  eval \"$(konecty-session env)\"
  konecty-session env --shell fish | source")]
    Env(EnvArgs),
    /// Make a host's stored session the default (credentials [default] and .env)
    #[command(after_help = "Example:
  konecty-session use https://staging.konecty.com")]
    Use(UseArgs),
    /// Revoke the stored session on the server and remove its token from both files
    #[command(after_help = "Example:
  konecty-session --host https://app.konecty.com logout")]
    Logout,
    /// Print a shell completion script
    #[command(after_help = "Examples:
  mkdir -p ~/.local/share/bash-completion/completions
  konecty-session completions bash > ~/.local/share/bash-completion/completions/konecty-session
  konecty-session completions zsh > \"${fpath[1]}/_konecty-session\"")]
    Completions(CompletionsArgs),
    /// Run a local Konecty-compatible server that prints codes instead of sending them
    #[command(after_help = "Example:
  konecty-session dev-server --listen 127.0.0.1:3000 &
  konecty-session --host http://127.0.0.1:3000 login --email dev@example.com")]
    DevServer(DevServerArgs),
    /// Run the whole flow against a built-in server, in a temporary directory
    #[command(after_help = "Example:
  konecty-session demo")]
    Demo,
    /// Serve the commands as Model Context Protocol tools on stdin/stdout, for agents
    #[command(
        after_help = "Tools: login (the code typed into a page on this computer, for clients
with URL-mode elicitation), login_options, request_otp, verify_otp, status, logout (and token
with --expose-token). Each call runs the sandboxed component under the same policy and
options as the command line (--host pins the server to one host; --dir, --timeout,
--resolve, --audit apply to every call). Answers are the objects --json prints.

Example client configuration (Claude Desktop, Cursor and others):
  {\"mcpServers\": {\"konecty\": {\"command\": \"konecty-session\",
                 \"args\": [\"--host\", \"https://app.konecty.com\", \"mcp\"]}}}"
    )]
    Mcp(McpArgs),
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Also offer a `token` tool that returns the session token to the model (by default
    /// the token never leaves the credential files)
    #[arg(long)]
    pub expose_token: bool,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Recipient {
    /// Email address that receives the code
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Phone that receives the code by WhatsApp: +5511999999999, +55 11 99999-9999, or
    /// (11) 99999-9999 (10 or 11 digits get +55)
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
}

/// Like [`Recipient`], but optional.
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct MaybeRecipient {
    /// Email address that receives the code [default: the one of the pending request]
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Phone that receives the code by WhatsApp [default: the one of the pending request]
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub recipient: MaybeRecipient,
    /// The device's location, sent with the code, for namespaces that require it
    /// (--geolocation=-23.55,-46.63)
    #[arg(long, value_name = "LAT,LON", value_parser = parse_geolocation, allow_hyphen_values = true)]
    pub geolocation: Option<Geolocation>,
    /// Log in even if the stored session is still valid
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct Verify {
    #[command(flatten)]
    pub recipient: MaybeRecipient,
    /// The device's location, sent with the code, for namespaces that require it
    /// (--geolocation=-23.55,-46.63); without it such a namespace uses the code up and
    /// refuses
    #[arg(long, value_name = "LAT,LON", value_parser = parse_geolocation, allow_hyphen_values = true)]
    pub geolocation: Option<Geolocation>,
    #[command(flatten)]
    pub code: CodeSource,
    /// Do not write .env
    #[arg(long)]
    pub no_env: bool,
    /// Do not write credentials
    #[arg(long)]
    pub no_credentials: bool,
}

#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct CodeSource {
    /// The 6-digit code (visible in process listings: prefer --otp-stdin or KONECTY_OTP)
    #[arg(long, value_name = "CODE")]
    pub otp: Option<String>,
    /// Read the code from the first line of standard input
    #[arg(long)]
    pub otp_stdin: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Do not ask the server; report what is stored
    #[arg(long)]
    pub offline: bool,
    /// Check the token read from standard input instead of the stored ones
    #[arg(long)]
    pub token_stdin: bool,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Syntax of the lines printed
    #[arg(long, value_enum, default_value_t = ShellSyntax::Sh)]
    pub shell: ShellSyntax,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// A host with a stored session (see `status`)
    // Its own id: the global --host is "host".
    #[arg(id = "use_host", value_name = "HOST")]
    pub host: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DevServerArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Email of the one registered user
    #[arg(long, value_name = "EMAIL", default_value = "dev@example.com")]
    pub user_email: String,
    /// Phone (E.164) of the one registered user
    #[arg(long, value_name = "PHONE", default_value = "+5511999999999")]
    pub user_phone: String,
    /// Turn email codes off
    #[arg(long)]
    pub no_email_otp: bool,
    /// Turn WhatsApp codes off
    #[arg(long)]
    pub no_whatsapp_otp: bool,
}

/// Where a base URL came from, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSource {
    Flag,
    Environment,
    EnvFile,
    Credentials,
    BuiltIn,
}

impl HostSource {
    pub fn name(self) -> &'static str {
        match self {
            HostSource::Flag => "flag",
            HostSource::Environment => "environment",
            HostSource::EnvFile => "env-file",
            HostSource::Credentials => "credentials",
            HostSource::BuiltIn => "default",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            HostSource::Flag => "--host",
            HostSource::Environment => "KONECTY_URL",
            HostSource::EnvFile => "KONECTY_URL in .env",
            HostSource::Credentials => "[default] in credentials",
            HostSource::BuiltIn => "the built-in default",
        }
    }
}

impl From<StoredIn> for HostSource {
    fn from(stored_in: StoredIn) -> HostSource {
        match stored_in {
            StoredIn::EnvFile => HostSource::EnvFile,
            StoredIn::Credentials => HostSource::Credentials,
        }
    }
}

/// Where the component runs and what it may reach, resolved from flags and environment.
#[derive(Clone)]
pub struct Config {
    /// --host, else KONECTY_URL; None when neither was given.
    pub given_host: Option<(Host, HostSource)>,
    pub dir: PathBuf,
    /// --dir, when given.
    pub explicit_dir: Option<PathBuf>,
    pub component: Option<PathBuf>,
    pub json: bool,
    /// KONECTY_TOKEN, when set and not empty.
    pub env_token: Option<String>,
    /// The record of which origin issued each token (none without a state directory).
    pub issued: Option<IssuedTokens>,
    pub limits: Limits,
    pub allow_insecure_http: bool,
    /// Pinned names, proxy, trusted CAs, private networks: fixed at start (`mcp` included).
    pub network: Network,
    pub observer: Arc<Observer>,
}

/// A base URL the user gave, and its origin.
#[derive(Debug, Clone)]
pub struct Host {
    pub url: String,
    pub origin: Origin,
}

impl Host {
    pub fn parse(url: &str) -> Result<Host, Failure> {
        let origin = Origin::of_base_url(url)
            .map_err(|why| Failure::new(Kind::InvalidInput, format!("invalid host: {why}")))?;
        Ok(Host {
            url: url.trim_end_matches('/').to_string(),
            origin,
        })
    }

    /// Same origin and the same path, ignoring a trailing slash.
    pub fn same_as(&self, other: &Host) -> bool {
        let path = |h: &Host| {
            let rest = h.url.split_once("://").map_or("", |(_, rest)| rest);
            rest.find('/')
                .map_or(String::new(), |i| rest[i..].to_string())
        };
        self.origin == other.origin && path(self) == path(other)
    }
}

/// `LAT,LON` for `--geolocation`: degrees, in range, checked before anything is sent.
pub fn parse_geolocation(text: &str) -> Result<Geolocation, String> {
    let expected = "expected LAT,LON in degrees, such as -23.55,-46.63 (latitude from -90 to 90, \
                    longitude from -180 to 180)";
    let (lat, lon) = text.split_once(',').ok_or(expected)?;
    let (latitude, longitude): (f64, f64) = (
        lat.trim().parse().map_err(|_| expected)?,
        lon.trim().parse().map_err(|_| expected)?,
    );
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return Err(expected.to_string());
    }
    Ok(Geolocation {
        latitude,
        longitude,
    })
}

/// `NAME=ADDR` for `--resolve`.
fn parse_pin(text: &str) -> Result<(String, IpAddr), String> {
    let (name, address) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=ADDR"))?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let ip = address
        .parse()
        .map_err(|_| format!("{address:?} is not an IP address"))?;
    if name.is_empty() {
        return Err(format!("{text:?} names no host"));
    }
    Ok((name.to_ascii_lowercase(), ip))
}

/// `KONECTY_ALLOW_PRIVATE_NETWORK`: 1/true/yes or 0/false/no; anything else is a mistake
/// worth saying, not a silent no.
fn private_network_from_env() -> Result<bool, Failure> {
    const NAME: &str = "KONECTY_ALLOW_PRIVATE_NETWORK";
    match env_var(NAME).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(_) => Err(Failure::new(Kind::Usage, format!("{NAME} must be 1 or 0"))),
    }
}

/// An environment variable, with empty counting as unset (as in the SDKs).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    pub fn new(cli: &Cli) -> anyhow::Result<Config> {
        let given_host = match (&cli.host, env_var("KONECTY_URL")) {
            (Some(flag), _) => Some((Host::parse(flag)?, HostSource::Flag)),
            (None, Some(env)) => Some((
                Host::parse(&env).map_err(|f| {
                    Failure::new(Kind::InvalidInput, format!("KONECTY_URL: {}", f.message))
                })?,
                HostSource::Environment,
            )),
            (None, None) => None,
        };
        let dir = match &cli.dir {
            Some(dir) => dir.clone(),
            None => konecty_session::files::credentials_dir::default_dir()
                .map_err(|e| Failure::new(Kind::InvalidInput, format!("{e:#}")))?,
        };
        let verbose = cli.verbose
            || env_var("KONECTY_LOG").is_some_and(|level| level.eq_ignore_ascii_case("debug"));
        let observer = Observer::new(verbose, cli.audit.as_deref())
            .map_err(|e| Failure::new(Kind::Storage, format!("{e:#}")))?;
        let request = Duration::from_secs(cli.timeout);
        let usage = |error: String| Failure::new(Kind::Usage, error);
        let proxy_setting = match (&cli.proxy, cli.no_proxy) {
            (Some(url), _) => ProxySetting::Url(url.clone()),
            (None, true) => ProxySetting::Direct,
            (None, false) => ProxySetting::Environment,
        };
        let proxy = ProxyRules::new(&proxy_setting, &|name| std::env::var(name).ok())
            .map_err(|e| usage(e.to_string()))?;
        let trust = match &cli.cacert {
            Some(path) => Trust::only_file(path).map_err(|e| usage(e.to_string()))?,
            None => Trust::system(),
        };
        let private_network = cli.allow_private_network || private_network_from_env()?;
        Ok(Config {
            given_host,
            dir,
            explicit_dir: cli.dir.clone(),
            component: cli.component.clone(),
            json: cli.json,
            env_token: env_var("KONECTY_TOKEN"),
            issued: IssuedTokens::default_location(),
            limits: Limits {
                connect: Limits::default().connect.min(request),
                request,
                ..Limits::default()
            },
            allow_insecure_http: cli.allow_insecure_http,
            network: Network {
                overrides: cli.resolve.clone().into(),
                proxy: Arc::new(proxy),
                trust,
                private_network,
            },
            observer: Arc::new(observer),
        })
    }

    /// The host, by precedence: --host, KONECTY_URL, `.env`, credentials `[default]`, the
    /// built-in default. The files are read by this process, never by the component, so
    /// that a component never chooses the origin it is granted.
    pub fn host(&self) -> Result<(Host, HostSource), Failure> {
        if let Some(given) = &self.given_host {
            return Ok(given.clone());
        }
        let stored = konecty_session::files::credentials_dir::stored_default_host(&self.dir)
            .map_err(|e| Failure::new(Kind::Storage, format!("{e:#}")))?;
        match stored {
            // A broken stored URL is named, not silently replaced by another host.
            Some((url, stored_in)) => {
                let source = HostSource::from(stored_in);
                Host::parse(&url).map(|host| (host, source)).map_err(|f| {
                    Failure::new(
                        Kind::InvalidInput,
                        format!(
                            "{} in {}: {}",
                            source.describe(),
                            self.dir.display(),
                            f.message
                        ),
                    )
                })
            }
            None => {
                let host = Host::parse(DEFAULT_HOST).expect("the default host is valid");
                Ok((host, HostSource::BuiltIn))
            }
        }
    }

    /// Plain http only to this machine, unless `--allow-insecure-http` (then with a
    /// warning). Checked where HTTP is granted: offline commands send nothing.
    pub fn check_encryption(&self, host: &Host) -> Result<(), Failure> {
        if host.origin.secure() || host.origin.is_loopback() {
            return Ok(());
        }
        if !self.allow_insecure_http {
            return Err(Failure::new(
                Kind::Usage,
                format!(
                    "{} is not encrypted: use https://, or pass --allow-insecure-http",
                    host.url
                ),
            ));
        }
        konecty_session::audit::stderr_line(&format!(
            "warning: {} is not encrypted: the code and the token cross the network in clear text",
            host.url
        ));
        Ok(())
    }

    /// The `login` command line for `host`, with the flags this run was given; with
    /// `name_host`, `--host` even when the host came from elsewhere (the user named it).
    pub fn login_command(&self, host: &Host, name_host: bool) -> String {
        let flags = self.pinning_flags(host);
        if name_host && self.given_host.is_none() {
            format!(
                "konecty-session --host {} {flags}login",
                shell_word(&host.url)
            )
        } else {
            format!("konecty-session {flags}login")
        }
    }

    /// The flags that pin this run's host and directory, for commands shown as a next step.
    pub fn pinning_flags(&self, host: &Host) -> String {
        let mut flags = String::new();
        if self.given_host.is_some() {
            flags.push_str(&format!("--host {} ", shell_word(&host.url)));
        }
        if let Some(dir) = &self.explicit_dir {
            flags.push_str(&format!(
                "--dir {} ",
                shell_word(&dir.display().to_string())
            ));
        }
        flags
    }
}

/// `text` as one word of a shell command line: as it is when nothing in it is special,
/// else single-quoted, so that a suggested command can be pasted as it is.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,~".contains(c));
    if plain && !text.starts_with('~') {
        text.to_string()
    } else {
        single_quoted(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggested_directories_paste_as_one_word() {
        assert_eq!(shell_word("/home/ana/.konecty"), "/home/ana/.konecty");
        assert_eq!(shell_word("/tmp/my dir"), "'/tmp/my dir'");
        assert_eq!(shell_word("/tmp/it's"), r"'/tmp/it'\''s'");
        assert_eq!(shell_word("~ana"), "'~ana'");
        assert_eq!(shell_word(""), "''");
    }
}
