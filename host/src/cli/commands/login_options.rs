//! `login-options`: which OTP channels the namespace offers.

use anyhow::Result;
use serde_json::json;

use konecty_session::ApiError;
use konecty_session::files::credentials_dir::DirAccess;

use crate::cli::args::Config;
use crate::cli::exit::{Exit, Failure};
use crate::cli::report::Report;
use crate::cli::session::{call, open};

pub fn login_options(config: &Config) -> Result<Report> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadOnly)?;
    let methods = call(&mut sandbox, |s| s.login_options(&host.url))?;
    if !methods.email_otp_enabled && !methods.whatsapp_otp_enabled {
        return Err(Failure::from(ApiError::OtpNotEnabled(None)).into());
    }
    let on = |enabled: bool| if enabled { "enabled" } else { "off" };
    let text = format!(
        "Login options for {}:\n  email code:    {}\n  WhatsApp code: {}\n  password:      {}\n",
        host.url,
        on(methods.email_otp_enabled),
        on(methods.whatsapp_otp_enabled),
        on(methods.password_enabled)
    );
    let json = json!({
        "host": host.url,
        "emailOtpEnabled": methods.email_otp_enabled,
        "whatsAppOtpEnabled": methods.whatsapp_otp_enabled,
        "passwordEnabled": methods.password_enabled,
    });
    Ok(Report::new(Exit::Success, text, json))
}
