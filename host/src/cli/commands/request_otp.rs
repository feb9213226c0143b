//! `request-otp`: ask the server to send a code.

use anyhow::Result;
use serde_json::json;

use konecty_session::Identifier;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::exit::{Exit, one_line};
use crate::cli::present::{self, mask};
use crate::cli::report::{CODE_LIFETIME_SECS, Report, channel_name, sent_line};
use crate::cli::session::{call, files_are_editable, open};

pub fn request_otp(config: &Config, who: &Identifier) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    files_are_editable(&mut sandbox, &host)?;
    let sent = call(&mut sandbox, |s| s.request_otp(&host.url, who))?;
    let requested_at = present::now();
    let mut text = sent_line(&sent, requested_at);
    let pinned = config.pinning_flags(&host);
    let next = if sent.remembered {
        format!("konecty-session {pinned}verify-otp --otp-stdin")
    } else {
        let flag = match who {
            Identifier::Email(_) => "--email EMAIL",
            Identifier::Phone(_) => "--phone PHONE",
        };
        format!("konecty-session {pinned}verify-otp {flag} --otp-stdin")
    };
    text.push_str(&format!(
        "Next, with the code on standard input:\n  {next}\n"
    ));
    let json = json!({
        "host": host.url,
        "channel": channel_name(sent.channel),
        "sentTo": mask(&sent.sent_to),
        // The default lifetime's end: an estimate, the namespace may set another.
        "likelyExpiresAt": present::rfc3339(requested_at + CODE_LIFETIME_SECS),
        "remembered": sent.remembered,
        "serverMessage": sent.server_message.as_deref().map(one_line),
    });
    Ok(Report::new(Exit::Success, text, json))
}
