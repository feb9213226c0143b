//! `request-otp`: ask the server to send a code.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use konecty_session::Identifier;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::present;
use crate::cli::report::{CodeSent, Outcome};
use crate::cli::session::{call, files_are_editable, open};

/// The code on its way from `host`, and the command that trades it for a session.
#[derive(Serialize)]
pub struct OtpRequested {
    host: String,
    #[serde(flatten)]
    sent: CodeSent,
    /// The verify-otp command line, with the flags that pin this run's host and directory.
    #[serde(skip)]
    next_step: String,
}

impl fmt::Display for OtpRequested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sent)?;
        writeln!(f, "Next, with the code on standard input:")?;
        writeln!(f, "  {}", self.next_step)
    }
}

impl Outcome for OtpRequested {}

pub fn request_otp(config: &Config, who: &Identifier) -> Result<OtpRequested> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    files_are_editable(&mut sandbox, &host)?;
    let sent = call(&mut sandbox, |s| s.request_otp(&host.url, who))?;
    let sent = CodeSent::new(&sent, present::now());
    let pinned = config.pinning_flags(&host);
    let next_step = if sent.remembered() {
        format!("konecty-session {pinned}verify-otp --otp-stdin")
    } else {
        let flag = match who {
            Identifier::Email(_) => "--email EMAIL",
            Identifier::Phone(_) => "--phone PHONE",
        };
        format!("konecty-session {pinned}verify-otp {flag} --otp-stdin")
    };
    Ok(OtpRequested {
        host: host.url,
        sent,
        next_step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use konecty_session::{Channel, OtpSent};

    fn requested() -> OtpRequested {
        let sent = OtpSent {
            channel: Channel::Email,
            sent_to: Identifier::Email("ana@example.com".into()),
            server_message: Some("OTP sent via email".into()),
            remembered: true,
        };
        OtpRequested {
            host: "https://app.konecty.com".into(),
            // 2026-11-23T14:00:00Z
            sent: CodeSent::new(&sent, 1_795_442_400),
            next_step: "konecty-session verify-otp --otp-stdin".into(),
        }
    }

    #[test]
    fn the_json_is_the_one_the_readme_shows() {
        assert_eq!(
            serde_json::to_string(&requested()).unwrap(),
            r#"{"host":"https://app.konecty.com","channel":"email","sentTo":"a***@example.com","likelyExpiresAt":"2026-11-23T14:05:00Z","remembered":true,"serverMessage":"OTP sent via email"}"#
        );
    }

    #[test]
    fn the_text_says_where_the_code_went_and_what_to_run_next() {
        assert_eq!(
            requested().to_string(),
            "Sent a 6-digit code to a***@example.com via email (server: OTP sent via email).\n\
             It expires in about 5 minutes unless the namespace set otherwise (around 14:05 \
             UTC).\nNext, with the code on standard input:\n  \
             konecty-session verify-otp --otp-stdin\n"
        );
    }
}
