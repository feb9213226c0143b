//! `demo`: the whole flow against a dev server, in a scratch directory.

use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::json;

use konecty_session::audit::Observer;
use konecty_session::dev_server::{DevServer, DevServerConfig};
use konecty_session::files::credentials_dir;
use konecty_session::{Identifier, Limits, Network, SaveTargets};

use crate::cli::args::{Cli, Config, Host, HostSource, StatusArgs};
use crate::cli::commands::login_options::login_options;
use crate::cli::commands::logout::logout;
use crate::cli::commands::request_otp::request_otp;
use crate::cli::commands::status::status;
use crate::cli::commands::verify_otp::verify_otp;
use crate::cli::exit::{Exit, Failure, Kind, one_line};
use crate::cli::output::write_stdout;
use crate::cli::report::Report;

/// The whole flow against a built-in server, through the same sandbox and commands.
pub fn demo(cli: &Cli) -> Result<Report> {
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
        given_host: Some((Host::parse(&server.url())?, HostSource::Flag)),
        dir,
        explicit_dir: cli.dir.clone(),
        component: cli.component.clone(),
        json: cli.json,
        env_token: None,
        issued: None,
        limits: Limits::default(),
        allow_insecure_http: false,
        network: Network::default(),
        observer: Arc::new(Observer::new(cli.verbose, cli.audit.as_deref())?),
    };
    let email = "dev@example.com";
    let who = Identifier::Email(email.into());
    let mut steps = Vec::new();
    // Printed as it goes; a closed stdout ends the demo (main says nothing more).
    let show = |text: &str| -> Result<()> {
        if !config.json {
            write_stdout(text)?;
        }
        Ok(())
    };
    let mut step = |command: String, report: Report| -> Result<Exit> {
        show(&format!(
            "\n$ konecty-session --host {} {command}\n{}",
            server.url(),
            report.text
        ))?;
        steps.push(json!({"command": command, "exit": report.exit as u8, "result": report.json}));
        Ok(report.exit)
    };

    show(&format!(
        "Demo: a Konecty-compatible server runs on {}; files go to {}.\n",
        server.url(),
        config.dir.display()
    ))?;
    step(
        "login-options".into(),
        Report::of(&login_options(&config)?)?,
    )?;
    step(
        format!("request-otp --email {email}"),
        Report::of(&request_otp(&config, &who)?)?,
    )?;
    let code = server
        .code_for(email)
        .context("the built-in server issued no code")?;
    step(
        "verify-otp --otp-stdin   (the built-in server hands the code over)".into(),
        Report::of(&verify_otp(&config, None, &code, SaveTargets::all(), None)?)?,
    )?;
    if !config.json {
        for file in [".env", "credentials"] {
            let path = config.dir.join(file);
            let text = credentials_dir::read_own(&path)
                .map_err(|e| Failure::new(Kind::Storage, format!("{e:#}")))?
                .unwrap_or_default();
            let shown: String = hide_tokens(&text)
                .lines()
                .map(|line| format!("{}\n", one_line(line)))
                .collect();
            show(&format!("\n{} (tokens hidden):\n{shown}", path.display()))?;
        }
    }
    let online = StatusArgs {
        offline: false,
        token_stdin: false,
    };
    step("status".into(), Report::of(&status(&config, &online)?)?)?;
    step("logout".into(), Report::of(&logout(&config)?)?)?;
    let after = step("status".into(), Report::of(&status(&config, &online)?)?)?;
    let text = format!(
        "\nDone: status now exits {} (not logged in), as expected.\n",
        after as u8
    );
    let json = json!({"host": server.url(), "dir": config.dir, "steps": steps});
    Ok(Report::new(Exit::Success, text, json))
}

/// A private temporary directory, removed on drop.
pub struct ScratchDir(std::path::PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "konecty-session-demo-{}-{stamp}",
            std::process::id()
        ));
        credentials_dir::private_umask();
        credentials_dir::prepare(&dir, credentials_dir::DirAccess::ReadWrite)?;
        Ok(ScratchDir(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The file's text with the values of the token keys replaced, layout kept.
pub fn hide_tokens(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((key, _))
                if matches!(
                    key.trim().trim_start_matches("export ").trim(),
                    "KONECTY_TOKEN" | "authId"
                ) =>
            {
                let spacing = if key.ends_with(' ') { " " } else { "" };
                format!("{key}={spacing}<hidden>\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}
