//! `login-options`: which OTP channels the namespace offers.

use std::fmt;

use anyhow::Result;
use serde::Serialize;

use konecty_session::ApiError;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::exit::Failure;
use crate::cli::report::Outcome;
use crate::cli::session::{call, open};

/// The login methods the namespace at `host` offers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginOptions {
    host: String,
    email_otp_enabled: bool,
    #[serde(rename = "whatsAppOtpEnabled")]
    whatsapp_otp_enabled: bool,
    password_enabled: bool,
}

impl fmt::Display for LoginOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |enabled: bool| if enabled { "enabled" } else { "off" };
        writeln!(f, "Login options for {}:", self.host)?;
        writeln!(f, "  email code:    {}", on(self.email_otp_enabled))?;
        writeln!(f, "  WhatsApp code: {}", on(self.whatsapp_otp_enabled))?;
        writeln!(f, "  password:      {}", on(self.password_enabled))
    }
}

impl Outcome for LoginOptions {}

pub fn login_options(config: &Config) -> Result<LoginOptions> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadOnly)?;
    let methods = call(&mut sandbox, |s| s.login_options(&host.url))?;
    if !methods.email_otp_enabled && !methods.whatsapp_otp_enabled {
        return Err(Failure::from(ApiError::OtpNotEnabled(None)).into());
    }
    Ok(LoginOptions {
        host: host.url,
        email_otp_enabled: methods.email_otp_enabled,
        whatsapp_otp_enabled: methods.whatsapp_otp_enabled,
        password_enabled: methods.password_enabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LoginOptions {
        LoginOptions {
            host: "https://app.konecty.com".into(),
            email_otp_enabled: true,
            whatsapp_otp_enabled: false,
            password_enabled: true,
        }
    }

    #[test]
    fn the_text_lists_each_method() {
        assert_eq!(
            options().to_string(),
            "Login options for https://app.konecty.com:\n  email code:    enabled\n  \
             WhatsApp code: off\n  password:      enabled\n"
        );
    }

    #[test]
    fn the_json_keys_keep_their_documented_order_and_spelling() {
        assert_eq!(
            serde_json::to_string(&options()).unwrap(),
            r#"{"host":"https://app.konecty.com","emailOtpEnabled":true,"whatsAppOtpEnabled":false,"passwordEnabled":true}"#
        );
    }
}
