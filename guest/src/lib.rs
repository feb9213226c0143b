//! The `konecty:session` component: maps the WIT API onto the flow's modules.
//!
//! - `validate`: input checks, before anything is sent or written;
//! - `http` and `api`: Konecty's endpoints over `wasi:http`;
//! - `store`, `dotenv`, `ini`: the credential files, edited key by key.

mod api;
mod dotenv;
mod error;
mod http;
mod ini;
mod store;
mod validate;

wit_bindgen::generate!({ world: "session", path: "../wit" });

use exports::konecty::session::api::Guest;
use konecty::session::types as wit;

use crate::api::Who;
use crate::error::{Channel, Error, Reply};
use crate::validate::BaseUrl;

struct Component;

impl Guest for Component {
    fn login_options(host: String) -> Result<wit::LoginMethods, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let options = api::login_options(&base)?;
        Ok(wit::LoginMethods {
            password_enabled: options.password_enabled,
            email_otp_enabled: options.email_otp_enabled,
            whatsapp_otp_enabled: options.whatsapp_otp_enabled,
        })
    }

    fn request_otp(host: String, who: wit::Identifier) -> Result<wit::OtpSent, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let who = who_of(&who).checked()?;
        offers_channel(&api::login_options(&base)?, &who)?;
        let server_message = api::request_otp(&base, &who)?;
        let channel = match who {
            Who::Email(_) => wit::Channel::Email,
            Who::Phone(_) => wit::Channel::Whatsapp,
        };
        Ok(wit::OtpSent {
            channel,
            server_message,
        })
    }

    fn verify_otp(
        host: String,
        who: wit::Identifier,
        code: String,
    ) -> Result<wit::Session, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let who = who_of(&who).checked()?;
        let code = validate::otp_code(&code)?;
        let session = api::verify_otp(&base, &who, code)?;
        Ok(wit::Session {
            host: base.to_string(),
            token: session.token,
            user_id: session.user_id,
            name: session.name,
            email: session.email,
        })
    }

    fn save_session(session: wit::Session, targets: wit::SaveTargets) -> Result<(), wit::Error> {
        let base = BaseUrl::parse(&session.host)?;
        let saved = store::Saved {
            host: &base,
            token: &session.token,
            user_id: &session.user_id,
        };
        store::save(
            &saved,
            targets.contains(wit::SaveTargets::ENV_FILE),
            targets.contains(wit::SaveTargets::CREDENTIALS_FILE),
        )?;
        Ok(())
    }

    fn read_session(host: Option<String>) -> Result<Option<wit::StoredSession>, wit::Error> {
        let base = host.as_deref().map(BaseUrl::parse).transpose()?;
        let stored = store::load(base.as_ref())?;
        Ok(stored.map(|s| wit::StoredSession {
            host: s.host,
            token: s.token,
            user_id: s.user_id,
        }))
    }

    fn check_session(host: String, token: String) -> Result<wit::SessionCheck, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        if token.is_empty() {
            return Err(Error::invalid("token must not be empty").into());
        }
        let check = api::session_info(&base, &token)?;
        Ok(wit::SessionCheck {
            logged_in: check.logged_in,
            user_id: check.user_id,
            name: check.name,
            email: check.email,
        })
    }

    fn logout(host: String) -> Result<wit::LogoutOutcome, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let Some(stored) = store::load(Some(&base))? else {
            return Ok(wit::LogoutOutcome {
                revoked_on_server: false,
                server_message: None,
                removed_locally: false,
            });
        };
        let refusal = api::logout(&base, &stored.token)?;
        let removed_locally = store::forget(&base)?;
        Ok(wit::LogoutOutcome {
            revoked_on_server: refusal.is_none(),
            server_message: refusal,
            removed_locally,
        })
    }
}

/// Stops early, with a clear reason, when the namespace cannot send a code that way.
fn offers_channel(options: &api::LoginOptions, who: &Who) -> Result<(), Error> {
    let (email, whatsapp) = (options.email_otp_enabled, options.whatsapp_otp_enabled);
    match who {
        _ if !email && !whatsapp => Err(Error::OtpNotEnabled(None)),
        Who::Email(_) if !email => Err(Error::OtpNotEnabled(Some(Channel::Whatsapp))),
        Who::Phone(_) if !whatsapp => Err(Error::OtpNotEnabled(Some(Channel::Email))),
        _ => Ok(()),
    }
}

fn who_of(who: &wit::Identifier) -> Who<'_> {
    match who {
        wit::Identifier::Email(e) => Who::Email(e),
        wit::Identifier::Phone(p) => Who::Phone(p),
    }
}

impl From<Reply> for wit::ServerReply {
    fn from(reply: Reply) -> Self {
        wit::ServerReply {
            status: reply.status,
            message: reply.message,
        }
    }
}

impl From<Error> for wit::Error {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidInput(m) => wit::Error::InvalidInput(m),
            Error::OtpNotEnabled(only) => wit::Error::OtpNotEnabled(only.map(|c| match c {
                Channel::Email => wit::Channel::Email,
                Channel::Whatsapp => wit::Channel::Whatsapp,
            })),
            Error::Rejected(r) => wit::Error::Rejected(r.into()),
            Error::RateLimited(r) => wit::Error::RateLimited(r.into()),
            Error::Unauthorized(r) => wit::Error::Unauthorized(r.into()),
            Error::ServerError(r) => wit::Error::ServerError(r.into()),
            Error::Network(m) => wit::Error::Network(m),
            Error::Denied(m) => wit::Error::Denied(m),
            Error::BadResponse(m) => wit::Error::BadResponse(m),
            Error::Storage(m) => wit::Error::Storage(m),
        }
    }
}

export!(Component);
