//! One function per command. Each prints its result on stdout and returns the exit code;
//! errors go back to `main` as [`Failure`]s.

use std::io::BufRead;

use anyhow::{Context, Result};

use crate::cli::{Cli, CodeSource, Command, Config, DevServerArgs, Host, Recipient, Verify};
use crate::credentials_dir;
use crate::dev_server::{DevServer, DevServerConfig, DevUser};
use crate::exit::{Exit, Failure, one_line};
use crate::policy::Timeouts;
use crate::sandbox::{ApiError, Channel, ComponentSource, Grant, Identifier, Sandbox, SaveTargets};

pub fn run(cli: &Cli) -> Result<Exit> {
    // These two make their own configuration: neither reads KONECTY_URL nor HOME.
    match &cli.command {
        Command::DevServer(args) => return dev_server(args),
        Command::Demo => return demo(cli),
        _ => {}
    }
    let config = Config::new(cli)?;
    match &cli.command {
        Command::LoginOptions => login_options(&config),
        Command::RequestOtp(recipient) => request_otp(&config, &identifier(recipient)),
        Command::VerifyOtp(verify) => {
            let code = read_code(&verify.code)?;
            verify_otp(
                &config,
                &identifier(&verify.recipient),
                &code,
                targets(verify),
            )
        }
        Command::Status => status(&config),
        Command::Logout => logout(&config),
        Command::DevServer(_) | Command::Demo => unreachable!("handled above"),
    }
}

pub fn login_options(config: &Config) -> Result<Exit> {
    let host = config.host_or_default();
    let mut sandbox = open(config, &host)?;
    let methods = call(&mut sandbox, |s| s.login_options(&host.url))?;
    let on = |enabled: bool| if enabled { "enabled" } else { "off" };
    println!("Login options for {}:", host.url);
    println!("  email code:    {}", on(methods.email_otp_enabled));
    println!("  WhatsApp code: {}", on(methods.whatsapp_otp_enabled));
    println!("  password:      {}", on(methods.password_enabled));
    if !methods.email_otp_enabled && !methods.whatsapp_otp_enabled {
        return Err(Failure::from(ApiError::OtpNotEnabled(None)).into());
    }
    Ok(Exit::Success)
}

pub fn request_otp(config: &Config, who: &Identifier) -> Result<Exit> {
    let host = config.host_or_default();
    let mut sandbox = open(config, &host)?;
    let sent = call(&mut sandbox, |s| s.request_otp(&host.url, who))?;
    let channel = match sent.channel {
        Channel::Email => "email",
        Channel::Whatsapp => "WhatsApp",
    };
    let flag = match who {
        Identifier::Email(_) => "--email EMAIL",
        Identifier::Phone(_) => "--phone PHONE",
    };
    match sent.server_message {
        Some(message) => println!(
            "A 6-digit code was sent by {channel} (server: {}).",
            one_line(&message)
        ),
        None => println!("A 6-digit code was sent by {channel}."),
    }
    println!("It is valid for a few minutes (5 by default). Next, with the same {flag}:");
    println!("  konecty-session verify-otp {flag} --otp-stdin");
    Ok(Exit::Success)
}

pub fn verify_otp(
    config: &Config,
    who: &Identifier,
    code: &str,
    targets: SaveTargets,
) -> Result<Exit> {
    let host = config.host_or_default();
    let mut sandbox = open(config, &host)?;
    let session = call(&mut sandbox, |s| s.verify_otp(&host.url, who, code))?;
    if targets != SaveTargets::empty() {
        call(&mut sandbox, |s| s.save_session(&session, targets))?;
    }
    tighten(config)?;
    print_logged_in(&host, session.name.as_deref(), &session.user_id);
    let dir = config.dir.display();
    match (
        targets.contains(SaveTargets::ENV_FILE),
        targets.contains(SaveTargets::CREDENTIALS_FILE),
    ) {
        (true, true) => println!("Saved to {dir}/.env and {dir}/credentials."),
        (true, false) => println!("Saved to {dir}/.env."),
        (false, true) => println!("Saved to {dir}/credentials."),
        (false, false) => println!("Not saved (--no-env and --no-credentials)."),
    }
    Ok(Exit::Success)
}

pub fn status(config: &Config) -> Result<Exit> {
    let host = session_host(config);
    let mut sandbox = open(config, &host)?;
    let Some(stored) = call(&mut sandbox, |s| s.read_session(Some(&host.url)))? else {
        println!(
            "Not logged in to {}: no session stored in {}.",
            host.url,
            config.dir.display()
        );
        return Ok(Exit::Refused);
    };
    let check = call(&mut sandbox, |s| s.check_session(&host.url, &stored.token))?;
    if check.logged_in {
        let id = check
            .user_id
            .or(stored.user_id)
            .unwrap_or_else(|| "?".into());
        print_logged_in(&host, check.name.as_deref(), &id);
        Ok(Exit::Success)
    } else {
        println!(
            "Not logged in to {}: the server no longer accepts the stored session; log in again.",
            host.url
        );
        Ok(Exit::Refused)
    }
}

pub fn logout(config: &Config) -> Result<Exit> {
    let host = session_host(config);
    let mut sandbox = open(config, &host)?;
    let outcome = call(&mut sandbox, |s| s.logout(&host.url))?;
    tighten(config)?;
    let server = match (outcome.revoked_on_server, &outcome.server_message) {
        (true, _) => "revoked on the server".to_string(),
        (false, Some(message)) => format!("the server no longer knew it ({})", one_line(message)),
        (false, None) => "nothing to revoke on the server".to_string(),
    };
    if outcome.removed_locally || outcome.revoked_on_server {
        let local = if outcome.removed_locally {
            "token removed from the credential files"
        } else {
            "no token was stored"
        };
        println!("Logged out of {}: {server}; {local}.", host.url);
    } else {
        println!("No session stored for {}: nothing to log out.", host.url);
    }
    Ok(Exit::Success)
}

fn print_logged_in(host: &Host, name: Option<&str>, user_id: &str) {
    let name = name.map(one_line).unwrap_or_else(|| "?".into());
    println!(
        "Logged in to {} as {name} (user id {}).",
        host.url,
        one_line(user_id)
    );
}

/// For status and logout: --host or KONECTY_URL, else the stored default session's host
/// (read by this process, never taken from the component), else the built-in default.
fn session_host(config: &Config) -> Host {
    if let Some(host) = &config.host {
        return host.clone();
    }
    credentials_dir::stored_default_host(&config.dir)
        .and_then(|url| Host::parse(&url).ok())
        .unwrap_or_else(|| config.host_or_default())
}

/// Leaves the credential files 0600, whatever the component did.
fn tighten(config: &Config) -> Result<()> {
    credentials_dir::tighten_files(&config.dir)
        .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")).into())
}

fn dev_server(args: &DevServerArgs) -> Result<Exit> {
    let config = DevServerConfig {
        listen: args.listen,
        email_otp: !args.no_email_otp,
        whatsapp_otp: !args.no_whatsapp_otp,
        users: vec![DevUser {
            id: "devUser0000000001".into(),
            name: "Dev User".into(),
            email: args.user_email.clone(),
            phone: args.user_phone.clone(),
        }],
        announce_codes: true,
        ..DevServerConfig::default()
    };
    let server =
        DevServer::start(config).with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!(
        "dev-server: Konecty-compatible auth server on {} (codes are printed here, never sent)",
        server.url()
    );
    eprintln!(
        "dev-server: registered user {} / {}",
        args.user_email, args.user_phone
    );
    eprintln!(
        "dev-server: try  konecty-session --host {} request-otp --email {}",
        server.url(),
        args.user_email
    );
    server.wait();
    Ok(Exit::Success)
}

/// The whole flow against a built-in server, through the same sandbox and commands.
fn demo(cli: &Cli) -> Result<Exit> {
    let server =
        DevServer::start(DevServerConfig::default()).context("cannot start the built-in server")?;
    // Without --dir, a private temporary directory, removed when the demo ends.
    let (dir, _scratch) = match &cli.dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let scratch = ScratchDir::new()?;
            (scratch.0.clone(), Some(scratch))
        }
    };
    let config = Config {
        host: Some(Host::parse(&server.url())?),
        dir,
        component: cli.component.clone(),
    };
    let email = "dev@example.com";
    let who = Identifier::Email(email.into());
    let show = |command: &str| println!("\n$ konecty-session --host {} {command}", server.url());

    println!(
        "Demo: a Konecty-compatible server runs on {}; files go to {}.",
        server.url(),
        config.dir.display()
    );
    show("login-options");
    login_options(&config)?;
    show(&format!("request-otp --email {email}"));
    request_otp(&config, &who)?;
    let code = server
        .code_for(email)
        .context("the built-in server issued no code")?;
    println!("(the built-in server hands the code over directly; it is not shown)");
    show(&format!("verify-otp --email {email} --otp-stdin"));
    verify_otp(&config, &who, &code, SaveTargets::all())?;
    for file in [".env", "credentials"] {
        println!("\n{}/{file} (tokens hidden):", config.dir.display());
        let path = config.dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::new(
                Exit::Storage,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        print!("{}", hide_tokens(&text));
    }
    show("status");
    status(&config)?;
    show("logout");
    logout(&config)?;
    show("status");
    let after = status(&config)?;
    println!(
        "\nDone: status now exits {} (not logged in), as expected.",
        after as u8
    );
    Ok(Exit::Success)
}

/// A private temporary directory, removed on drop.
struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "konecty-session-demo-{}-{stamp}",
            std::process::id()
        ));
        credentials_dir::prepare(&dir)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file's text with the values of the token keys replaced, layout kept.
fn hide_tokens(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _)) if matches!(key.trim(), "KONECTY_TOKEN" | "authId") => {
                let spacing = if key.ends_with(' ') { " " } else { "" };
                format!("{key}={spacing}<hidden>\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

fn identifier(recipient: &Recipient) -> Identifier {
    match (&recipient.email, &recipient.phone) {
        (Some(email), _) => Identifier::Email(email.clone()),
        (None, Some(phone)) => Identifier::Phone(phone.clone()),
        (None, None) => unreachable!("clap requires --email or --phone"),
    }
}

fn targets(verify: &Verify) -> SaveTargets {
    let mut targets = SaveTargets::empty();
    if !verify.no_env {
        targets |= SaveTargets::ENV_FILE;
    }
    if !verify.no_credentials {
        targets |= SaveTargets::CREDENTIALS_FILE;
    }
    targets
}

fn read_code(source: &CodeSource) -> Result<String> {
    if let Some(code) = &source.otp {
        return Ok(code.clone());
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::new(
            Exit::Usage,
            format!("cannot read the code from standard input: {e}"),
        )
    })?;
    let code = line.trim();
    if code.is_empty() {
        return Err(Failure::new(Exit::Usage, "no code on standard input (--otp-stdin)").into());
    }
    Ok(code.to_string())
}

/// Prepares the credentials directory and loads the component with its grant.
fn open(config: &Config, host: &Host) -> Result<Sandbox> {
    credentials_dir::prepare(&config.dir)
        .map_err(|e| Failure::new(Exit::Storage, format!("{e:#}")))?;
    let source = match &config.component {
        Some(path) => ComponentSource::File(path),
        None => ComponentSource::Embedded,
    };
    let grant = Grant {
        dir: config.dir.clone(),
        origin: Some(host.origin.clone()),
        timeouts: Timeouts::default(),
    };
    Sandbox::new(source, grant)
}

/// Calls the component; its error becomes a [`Failure`] that also says what the policy
/// refused during this call.
fn call<T>(
    sandbox: &mut Sandbox,
    function: impl FnOnce(&mut Sandbox) -> Result<Result<T, ApiError>>,
) -> Result<T> {
    let denied_before = sandbox.denials().len();
    match function(sandbox)? {
        Ok(value) => Ok(value),
        Err(err) => {
            let mut failure = Failure::from(err);
            if let Some(denial) = sandbox.denials().get(denied_before..).and_then(<[_]>::last) {
                failure.message = format!("{} ({denial})", failure.message);
                failure.exit = Exit::Unavailable;
            }
            Err(failure.into())
        }
    }
}
