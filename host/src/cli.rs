//! Command-line arguments (clap derive), turned into a [`Config`] the commands use.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::exit::{Exit, Failure};
use crate::policy::Origin;

/// Base URL used when neither --host nor KONECTY_URL is given, as in Konecty's SDKs.
pub const DEFAULT_HOST: &str = "http://localhost:3000";

const EXAMPLES: &str = "\
Examples:
  # Two steps, as an agent does it: ask for a code, then trade it for a session.
  export KONECTY_URL=https://app.konecty.com
  konecty-session request-otp --email ana@example.com
  echo 123456 | konecty-session verify-otp --email ana@example.com --otp-stdin

  # Is the stored session still good? Then end it.
  konecty-session status
  konecty-session logout

  # Try everything offline against the bundled Konecty-compatible server.
  konecty-session demo

Exit codes: 0 ok; 1 the server said no (wrong or expired code, unknown user, OTP off,
session invalid); 2 bad input or usage, nothing sent; 3 network or server fault, or a
request the sandbox denied; 4 the credential files could not be read or written.";

/// Konecty's OTP login, run as a sandboxed WebAssembly component.
///
/// The login flow runs inside a component that can send HTTP requests only to the Konecty
/// origin given by --host and can touch only the credentials directory (~/.konecty). It has
/// no environment variables, no sockets and no other files. The session token is written to
/// .env and credentials in that directory (mode 0600), where every Konecty skill and SDK
/// finds it; it is never printed.
#[derive(Debug, Parser)]
#[command(name = "konecty-session", version, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Konecty base URL; the only origin the component may reach [default: KONECTY_URL, else
    /// the stored default session (status, logout), else http://localhost:3000]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "KONECTY_URL",
        hide_env_values = true
    )]
    pub host: Option<String>,

    /// Directory of the credential files, the only one the component may touch
    /// [default: ~/.konecty]
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Run this component instead of the embedded one, under the same policy (it must
    /// implement the konecty:session world)
    #[arg(long, global = true, value_name = "FILE")]
    pub component: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show which login methods the namespace offers; exit 1 when OTP is off
    LoginOptions,
    /// Ask Konecty to send a 6-digit code by email or WhatsApp
    RequestOtp(Recipient),
    /// Trade the code for a session and save it to .env and credentials
    VerifyOtp(Verify),
    /// Show the stored session and check it with the server; exit 0 only if it is valid
    Status,
    /// Revoke the stored session on the server and remove its token from both files
    Logout,
    /// Run a local Konecty-compatible server that prints codes instead of sending them
    DevServer(DevServerArgs),
    /// Run the whole flow against a built-in server, in a temporary directory
    Demo,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Recipient {
    /// Email address that receives the code
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Phone in E.164 form (+5511999999999) that receives the code by WhatsApp
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
}

#[derive(Debug, Args)]
pub struct Verify {
    #[command(flatten)]
    pub recipient: Recipient,
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
#[group(required = true, multiple = false)]
pub struct CodeSource {
    /// The 6-digit code (visible in process listings: prefer --otp-stdin)
    #[arg(long, value_name = "CODE")]
    pub otp: Option<String>,
    /// Read the code from the first line of standard input
    #[arg(long)]
    pub otp_stdin: bool,
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

/// Where the component runs and what it may reach, resolved from flags and environment.
pub struct Config {
    /// The base URL given by --host or KONECTY_URL, checked; None when neither was given.
    pub host: Option<Host>,
    pub dir: PathBuf,
    pub component: Option<PathBuf>,
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
            .map_err(|why| Failure::new(Exit::Usage, format!("invalid --host: {why}")))?;
        Ok(Host {
            url: url.to_string(),
            origin,
        })
    }
}

impl Config {
    pub fn new(cli: &Cli) -> anyhow::Result<Config> {
        // An exported but empty KONECTY_URL counts as unset, as in the SDKs.
        let given = cli.host.as_deref().filter(|h| !h.is_empty());
        let host = given.map(Host::parse).transpose()?;
        let dir = match &cli.dir {
            Some(dir) => dir.clone(),
            None => crate::credentials_dir::default_dir()
                .map_err(|e| Failure::new(Exit::Usage, format!("{e:#}")))?,
        };
        Ok(Config {
            host,
            dir,
            component: cli.component.clone(),
        })
    }

    /// --host, KONECTY_URL, or the built-in default.
    pub fn host_or_default(&self) -> Host {
        self.host
            .clone()
            .unwrap_or_else(|| Host::parse(DEFAULT_HOST).expect("the default host is valid"))
    }
}
