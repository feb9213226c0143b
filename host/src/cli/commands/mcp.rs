//! `konecty-session mcp`: the commands as tools of a Model Context Protocol server on stdio
//! (rmcp, the official Rust SDK).
//!
//! Every tool call runs the same command function the CLI runs, so the sandboxed component
//! gets the same grant and limits; the answer is the JSON object `--json` would print, and a
//! failure is the same `{"error": ...}` object, marked as a tool error. The session token
//! stays in the credential files: the `token` tool exists only when the server was started
//! with `--expose-token`.
//!
//! A call stuck in a host call past its deadline ends the server, as it ends the CLI (the
//! watchdog): the client sees the server exit and may start it again.
//!
//! `login` keeps the code out of the conversation: with a client that supports URL-mode
//! elicitation (MCP 2025-11-25), it has the code sent, then asks the client to open a page
//! this process serves on 127.0.0.1 (`code_page`), where the person types it.

mod code_page;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{
    CallToolResult, ElicitationAction, Implementation, ProtocolVersion, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::{ElicitationError, ElicitationMode, Peer, RequestContext, RoleServer};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;

use self::code_page::{CodePage, Verify};
use crate::cli::args::{Config, Host, HostSource, StatusArgs};
use crate::cli::commands::{login_options, logout, request_otp, status, token, verify_otp};
use crate::cli::exit::{Exit, Failure, Kind};
use crate::cli::inputs::typed_recipient;
use crate::cli::present::mask;
use crate::cli::report::{Outcome, Report};
use konecty_session::{Geolocation, Identifier, SaveTargets, sanitize};

const INSTRUCTIONS: &str = "\
Konecty login by one-time code (OTP), run in a sandbox. To log in, call login with the \
user's email or phone: the user types the code into a page on this computer that the client \
opens, and the code never enters this conversation. If login says the client cannot open \
pages, call request_otp, ask the user for the 6-digit code they receive (valid about 5 \
minutes unless the namespace set otherwise), then call verify_otp with it; the code then \
passes through the conversation. The session is saved to ~/.konecty (.env and credentials), \
where other Konecty skills and SDKs read it; the token itself is not returned. status says \
whether a valid session exists; logout revokes it. Errors come back as {\"error\": \
{\"kind\", \"message\", \"serverMessage\"}}.";

/// How long the code page waits for the person: Konecty's codes live 5 minutes unless the
/// namespace set more; a code that expired or ran out of tries closes the page sooner.
const CODE_PAGE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// What `login` says to a client that cannot open a page.
const NO_CODE_PAGE: &str = "this MCP client cannot open a page for the code (URL-mode \
    elicitation, MCP 2025-11-25): use request_otp, then verify_otp with the code the user \
    reads out (the code then passes through the conversation)";

/// Serves MCP on stdin/stdout until the client closes stdin.
pub fn serve(mut config: Config, expose_token: bool) -> Result<Report> {
    // stdout carries the protocol: nothing else may print there, not even a failure.
    config.json = false;
    let server = McpServer::new(config, expose_token);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async move {
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|err| anyhow::anyhow!("MCP: the client did not initialize: {err}"))?;
        service
            .waiting()
            .await
            .map_err(|err| anyhow::anyhow!("MCP: {err}"))?;
        Ok(Report::new(Exit::Success, "", serde_json::Value::Null))
    });
    // Reading stdin happens on a blocking thread that cannot be cancelled: waiting for it
    // would hang a server that ended any other way than at EOF.
    runtime.shutdown_background();
    served
}

#[derive(Clone)]
struct McpServer {
    config: Arc<Config>,
    tool_router: ToolRouter<Self>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct HostOnly {
    /// Konecty base URL, such as https://app.konecty.com. Leave out to use the server's
    /// --host, else KONECTY_URL, else the stored default session.
    host: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct RequestOtp {
    /// Konecty base URL; leave out for the default (see login_options).
    host: Option<String>,
    /// Email address that receives the code. Give this or phone, not both.
    email: Option<String>,
    /// Phone that receives the code by WhatsApp, such as +5511999999999. Give this or
    /// email, not both.
    phone: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct VerifyOtp {
    /// Konecty base URL: the same as given to request_otp (leave out if it was left out
    /// there).
    host: Option<String>,
    /// The 6-digit code the user received.
    code: String,
    /// The email the code was sent to; may be left out after request_otp (remembered an hour).
    email: Option<String>,
    /// The phone the code was sent to; may be left out after request_otp (remembered an hour).
    phone: Option<String>,
    /// The device's location, for namespaces that require it (the error says when).
    geolocation: Option<Location>,
    /// Write ~/.konecty/.env (default true).
    save_env: Option<bool>,
    /// Write ~/.konecty/credentials (default true).
    save_credentials: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct Login {
    /// Konecty base URL; leave out for the default (see login_options).
    host: Option<String>,
    /// Email address that receives the code. Give this or phone, not both; leave both out
    /// to have a client with form-mode elicitation ask the user.
    email: Option<String>,
    /// Phone that receives the code by WhatsApp, such as +5511999999999.
    phone: Option<String>,
    /// The device's location, for namespaces that require it.
    geolocation: Option<Location>,
}

/// Degrees: latitude from -90 to 90, longitude from -180 to 180.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct Location {
    latitude: f64,
    longitude: f64,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct Status {
    /// Konecty base URL; leave out for the default.
    host: Option<String>,
    /// Report what is stored without asking the server (default false).
    offline: Option<bool>,
}

#[tool_router]
impl McpServer {
    fn new(config: Config, expose_token: bool) -> Self {
        let mut tool_router = Self::tool_router();
        if !expose_token {
            tool_router.remove_route("token");
        }
        McpServer {
            config: Arc::new(config),
            tool_router,
        }
    }

    #[tool(
        description = "Which login methods the Konecty namespace offers (email code, \
                          WhatsApp code, password). Fails with kind otp-not-enabled when \
                          no code login is possible."
    )]
    async fn login_options(&self, Parameters(args): Parameters<HostOnly>) -> CallToolResult {
        self.run(args.host, login_options::login_options).await
    }

    #[tool(
        description = "Logs the user in without the code passing through this \
                          conversation: Konecty sends a code to the user's email or \
                          WhatsApp, and the client opens a page on this computer where the \
                          user types it. Needs a client with URL-mode elicitation; otherwise \
                          it fails with kind usage: use request_otp and verify_otp. Returns \
                          who is logged in, not the token."
    )]
    async fn login(
        &self,
        Parameters(args): Parameters<Login>,
        context: RequestContext<RoleServer>,
    ) -> CallToolResult {
        if !opens_pages(&context.peer) {
            return failed(&usage(NO_CODE_PAGE));
        }
        let who = match recipient(args.email, args.phone) {
            Ok(Some(who)) => who,
            // Not a secret: the client may ask the person in a form of its own.
            Ok(None) => match ask_recipient(&context.peer).await {
                Ok(who) => who,
                Err(failure) => return failed(&failure),
            },
            Err(failure) => return failed(&failure),
        };
        let geolocation = match location(args.geolocation) {
            Ok(geolocation) => geolocation,
            Err(failure) => return failed(&failure),
        };
        let config = match self.config_for(args.host) {
            Ok(config) => config,
            Err(failure) => return failed(&failure),
        };
        let host = match config.host() {
            Ok((host, _)) => host.url,
            Err(failure) => return failed(&failure),
        };
        let config = Arc::new(config);
        let masked = mask(&who);
        let verify: Verify = {
            let (config, who) = (config.clone(), who.clone());
            Arc::new(move |code: &str| {
                let targets = SaveTargets::ENV_FILE | SaveTargets::CREDENTIALS_FILE;
                verify_otp::verify_otp(&config, Some(&who), code, targets, geolocation)
                    .and_then(|logged_in| Report::of(&logged_in))
                    .map(|report| report.json)
                    .map_err(|err| Failure::of(&err))
            })
        };
        // The page first: no code is sent that could not be typed anywhere.
        let page = match CodePage::open(&masked, &host, verify, CODE_PAGE_LIFETIME).await {
            Ok(page) => page,
            Err(err) => {
                return failed(&Failure::new(
                    Kind::Fault,
                    format!("cannot open the code page on 127.0.0.1: {err}"),
                ));
            }
        };
        let Ok(url) = url::Url::parse(page.url()) else {
            return failed(&Failure::new(Kind::Fault, "the code page has no valid URL"));
        };
        if let Err(failure) =
            call(config, move |config| request_otp::request_otp(config, &who)).await
        {
            return failed(&failure);
        }
        let message = format!(
            "Konecty sent a one-time code to {masked}. Open this page on your computer and type \
             the code there to log in to {host}; it does not pass through the assistant."
        );
        let elicitation_id = match code_page::random_token() {
            Ok(token) => format!("konecty-session-login-{token}"),
            Err(err) => return failed(&Failure::new(Kind::Fault, err.to_string())),
        };
        let closes = page.closes_at();
        let waiting = async {
            match context.peer.elicit_url(message, url, elicitation_id).await {
                Ok(ElicitationAction::Accept) => page.outcome().await,
                Ok(_) => Err(Failure::new(
                    Kind::NotLoggedIn,
                    "the user did not open the code page: nothing was saved, and the code \
                     expires unused; call login again to retry",
                )),
                Err(err) => Err(Failure::new(
                    Kind::Fault,
                    format!(
                        "the client did not open the code page: {}",
                        sanitize::line(&err.to_string())
                    ),
                )),
            }
        };
        // The page closes with the call: when the client cancels it, or at the deadline.
        let outcome = tokio::select! {
            outcome = waiting => outcome,
            () = context.ct.cancelled() => Err(Failure::new(
                Kind::NotLoggedIn,
                "the client cancelled the login: the code page is closed",
            )),
            () = tokio::time::sleep_until(closes) => Err(Failure::new(
                Kind::NotLoggedIn,
                "the client did not open the code page in time: nothing was saved",
            )),
        };
        match outcome {
            Ok(logged_in) => CallToolResult::structured(logged_in),
            Err(failure) => failed(&failure),
        }
    }

    #[tool(
        description = "Step 1 of 2 of the login for clients that cannot open pages (else use \
                          login): asks Konecty to send a 6-digit code to the user's email or \
                          WhatsApp. Then ask the user for the code and call verify_otp while \
                          it lives (about 5 minutes unless the namespace set otherwise). The \
                          code passes through this conversation."
    )]
    async fn request_otp(&self, Parameters(args): Parameters<RequestOtp>) -> CallToolResult {
        let who = match recipient(args.email, args.phone) {
            Ok(Some(who)) => who,
            Ok(None) => return failed(&usage("give email or phone")),
            Err(failure) => return failed(&failure),
        };
        self.run(args.host, move |config| {
            request_otp::request_otp(config, &who)
        })
        .await
    }

    #[tool(
        description = "Step 2 of 2 (after request_otp): trades the code the user read out \
                          for a session and saves it to ~/.konecty/.env and \
                          ~/.konecty/credentials. Returns who is logged in, not the token."
    )]
    async fn verify_otp(&self, Parameters(args): Parameters<VerifyOtp>) -> CallToolResult {
        let who = match recipient(args.email, args.phone) {
            Ok(who) => who,
            Err(failure) => return failed(&failure),
        };
        let mut targets = SaveTargets::empty();
        if args.save_env.unwrap_or(true) {
            targets |= SaveTargets::ENV_FILE;
        }
        if args.save_credentials.unwrap_or(true) {
            targets |= SaveTargets::CREDENTIALS_FILE;
        }
        let geolocation = match location(args.geolocation) {
            Ok(geolocation) => geolocation,
            Err(failure) => return failed(&failure),
        };
        let code = args.code;
        self.run(args.host, move |config| {
            verify_otp::verify_otp(config, who.as_ref(), &code, targets, geolocation)
        })
        .await
    }

    #[tool(
        description = "Whether a stored session exists and the server still accepts it, \
                          with the user and where the token came from (never the token). \
                          loggedIn false means: log in again with request_otp."
    )]
    async fn status(&self, Parameters(args): Parameters<Status>) -> CallToolResult {
        let status = StatusArgs {
            offline: args.offline.unwrap_or(false),
            token_stdin: false,
        };
        self.run(args.host, move |config| status::status(config, &status))
            .await
    }

    #[tool(
        description = "Revokes the stored session on the server and removes its token \
                          from the credential files."
    )]
    async fn logout(&self, Parameters(args): Parameters<HostOnly>) -> CallToolResult {
        self.run(args.host, logout::logout).await
    }

    #[tool(
        description = "Returns the stored session token itself. Only when the user asks \
                          for the token: other Konecty tools read it from ~/.konecty."
    )]
    async fn token(&self, Parameters(args): Parameters<HostOnly>) -> CallToolResult {
        self.run(args.host, token::token).await
    }
}

// The server's own router, from which `new` may have removed `token`.
#[tool_handler(router = self.tool_router)]
impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "konecty-session",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }
}

impl McpServer {
    /// Runs one command (see [`call`]) with the host the call names.
    async fn run<O: Outcome>(
        &self,
        host: Option<String>,
        command: impl FnOnce(&Config) -> Result<O> + Send + 'static,
    ) -> CallToolResult {
        let config = match self.config_for(host) {
            Ok(config) => config,
            Err(failure) => return failed(&failure),
        };
        match call(Arc::new(config), command).await {
            Ok(json) => CallToolResult::structured(json),
            Err(failure) => failed(&failure),
        }
    }

    /// The server's configuration, with the call's host. A server started with --host
    /// serves that host only: the model cannot point the sandbox elsewhere.
    fn config_for(&self, host: Option<String>) -> Result<Config, Failure> {
        let mut config = Config::clone(&self.config);
        let Some(url) = host else {
            return Ok(config);
        };
        let asked = Host::parse(&url)?;
        match &config.given_host {
            Some((pinned, HostSource::Flag)) if !pinned.same_as(&asked) => Err(usage(&format!(
                "this server was started for {} only (--host)",
                pinned.url
            ))),
            _ => {
                config.given_host = Some((asked, HostSource::Flag));
                Ok(config)
            }
        }
    }
}

/// Runs one command on its own thread (the sandbox blocks, and brings its own async
/// runtime for HTTP); its JSON, or the failure.
async fn call<O: Outcome>(
    config: Arc<Config>,
    command: impl FnOnce(&Config) -> Result<O> + Send + 'static,
) -> Result<serde_json::Value, Failure> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("konecty-session-call".into())
        .spawn(move || {
            let _ = answer.send(command(&config).and_then(|outcome| Report::of(&outcome)));
        })
        .map_err(|err| Failure::new(Kind::Fault, format!("cannot start the call: {err}")))?;
    match answered.await {
        Ok(Ok(report)) => Ok(report.json),
        Ok(Err(err)) => Err(Failure::of(&err)),
        Err(_) => Err(Failure::new(
            Kind::Fault,
            "the call ended without an answer",
        )),
    }
}

/// Whether the client can open a page for the code: URL-mode elicitation, on a protocol
/// revision that still lets a server send it requests (2026-07-28 does not).
fn opens_pages(peer: &Peer<RoleServer>) -> bool {
    let revision_allows = peer
        .peer_info()
        .is_some_and(|info| info.protocol_version < ProtocolVersion::V_2026_07_28);
    revision_allows
        && peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Url)
}

/// What the form-mode elicitation of `login` asks for.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AskedRecipient {
    /// Email, or phone for WhatsApp with its country code (+55 11 99999-9999).
    recipient: String,
}
rmcp::elicit_safe!(AskedRecipient);

/// The recipient, asked in the client's own form (form-mode elicitation) when the model gave
/// none: an address is not a secret, the code is.
async fn ask_recipient(peer: &Peer<RoleServer>) -> Result<Identifier, Failure> {
    if !peer
        .supported_elicitation_modes()
        .contains(&ElicitationMode::Form)
    {
        return Err(usage("give email or phone"));
    }
    let asked = peer
        .elicit::<AskedRecipient>("Which email, or phone for WhatsApp, should get the login code?")
        .await;
    match asked {
        Ok(Some(asked)) => typed_recipient(&asked.recipient).ok_or_else(|| {
            Failure::new(
                Kind::InvalidInput,
                "the answer is neither an email nor a phone: call login again",
            )
        }),
        Ok(None) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
            Err(Failure::new(
                Kind::NotLoggedIn,
                "the user gave no email or phone: nothing was sent",
            ))
        }
        Err(err) => Err(Failure::new(
            Kind::Usage,
            format!(
                "give email or phone (the client could not ask: {})",
                sanitize::line(&err.to_string())
            ),
        )),
    }
}

fn location(location: Option<Location>) -> Result<Option<Geolocation>, Failure> {
    location
        .map(|g| crate::cli::args::parse_geolocation(&format!("{},{}", g.latitude, g.longitude)))
        .transpose()
        .map_err(|why| Failure::new(Kind::InvalidInput, why))
}

fn recipient(email: Option<String>, phone: Option<String>) -> Result<Option<Identifier>, Failure> {
    match (email, phone) {
        (Some(_), Some(_)) => Err(usage("give email or phone, not both")),
        (Some(email), None) => Ok(Some(Identifier::Email(email))),
        (None, Some(phone)) => Ok(Some(Identifier::Phone(phone))),
        (None, None) => Ok(None),
    }
}

fn usage(message: &str) -> Failure {
    Failure::new(Kind::Usage, message)
}

fn failed(failure: &Failure) -> CallToolResult {
    CallToolResult::structured_error(failure.to_json())
}
