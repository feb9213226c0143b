//! The `konecty:session` component: maps the WIT API onto the flow's modules, which take
//! and return the WIT-generated types themselves (no copies to keep in step); only types that
//! mean more than their WIT counterpart, such as a validated `Who` or a parsed `BaseUrl`, are
//! the guest's own.
//!
//! - `validate`: input checks and normalization, before anything is sent or written;
//! - `http`, `json` and `api`: Konecty's endpoints over `wasi:http`;
//! - `store`: the credential files, edited key by key with `konecty_session_formats`;
//! - `pending`: the code request verify-otp may continue; `clock`: timestamps in the files.

mod api;
mod clock;
mod error;
mod http;
mod json;
mod pending;
mod store;
mod validate;

wit_bindgen::generate!({
    world: "session",
    path: "../wit",
    // The flow's tests compare results, errors included.
    additional_derives: [PartialEq],
});

use exports::konecty::session::api::Guest;
use konecty::session::types as wit;

use crate::api::Who;
use crate::error::{Channel, Error};
use crate::validate::BaseUrl;

struct Component;

impl Guest for Component {
    fn login_options(host: String) -> Result<wit::LoginMethods, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        api::login_options(&base)
    }

    fn request_otp(host: String, who: wit::Identifier) -> Result<wit::OtpSent, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let who = checked(&who)?;
        offers_channel(&api::login_options(&base)?, &who)?;
        let server_message = api::request_otp(&base, &who)?;
        // The code is on its way: failing to remember the request only costs convenience.
        let remembered = pending::remember(&base, &who, clock::now()).is_ok();
        let channel = match who {
            Who::Email(_) => wit::Channel::Email,
            Who::Phone(_) => wit::Channel::Whatsapp,
        };
        Ok(wit::OtpSent {
            channel,
            sent_to: who.into(),
            server_message,
            remembered,
        })
    }

    fn verify_otp(
        host: String,
        who: wit::Identifier,
        code: String,
        label: Option<wit::ClientLabel>,
        geolocation: Option<wit::Geolocation>,
    ) -> Result<wit::Session, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let code = validate::otp_code(&code)?;
        let geolocation = geolocation.map(validate::geolocation).transpose()?;
        let who = checked(&who)?;
        let session = api::verify_otp(&base, &who, &code, label.as_ref(), geolocation)?;
        // The code is spent; a leftover entry would only expire.
        let _ = pending::forget(&base);
        Ok(session)
    }

    fn pending_request(host: String) -> Result<Option<wit::CodeRequest>, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        Ok(
            pending::lookup(&base, clock::now())?.map(|(who, requested_at)| wit::CodeRequest {
                host: base.to_string(),
                recipient: who.into(),
                requested_at,
            }),
        )
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

    fn read_sessions(host: String) -> Result<Vec<wit::StoredSession>, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        store::stored(&base)
    }

    fn stored_hosts() -> Result<Vec<String>, wit::Error> {
        store::hosts()
    }

    fn use_session(host: String) -> Result<Option<wit::StoredSession>, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        store::make_default(&base)
    }

    fn check_session(host: String, token: String) -> Result<wit::SessionCheck, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        if token.is_empty() {
            return Err(Error::invalid("token must not be empty"));
        }
        api::session_info(&base, &token)
    }

    fn logout(host: String) -> Result<wit::LogoutOutcome, wit::Error> {
        let base = BaseUrl::parse(&host)?;
        let mut tokens: Vec<String> = store::stored(&base)?.into_iter().map(|s| s.token).collect();
        tokens.dedup();
        if tokens.is_empty() {
            return Ok(wit::LogoutOutcome {
                revoked_on_server: false,
                server_message: None,
                removed_locally: false,
            });
        }
        let mut revoked = false;
        let mut refusal = None;
        for token in &tokens {
            match api::logout(&base, token)? {
                None => revoked = true,
                Some(message) => refusal = refusal.or(Some(message)),
            }
        }
        let removed_locally = store::forget(&base)?;
        Ok(wit::LogoutOutcome {
            revoked_on_server: revoked,
            server_message: if revoked { None } else { refusal },
            removed_locally,
        })
    }
}

/// Stops early, with a clear reason, when the namespace cannot send a code that way.
fn offers_channel(options: &wit::LoginMethods, who: &Who) -> Result<(), Error> {
    let (email, whatsapp) = (options.email_otp_enabled, options.whatsapp_otp_enabled);
    match who {
        _ if !email && !whatsapp => Err(Error::OtpNotEnabled(None)),
        Who::Email(_) if !email => Err(Error::OtpNotEnabled(Some(Channel::Whatsapp))),
        Who::Phone(_) if !whatsapp => Err(Error::OtpNotEnabled(Some(Channel::Email))),
        _ => Ok(()),
    }
}

/// The identifier, validated, and for phones normalized to E.164.
fn checked(who: &wit::Identifier) -> Result<Who, Error> {
    match who {
        wit::Identifier::Email(e) => Who::email(e),
        wit::Identifier::Phone(p) => Who::phone(p),
    }
}

impl From<Who> for wit::Identifier {
    fn from(who: Who) -> Self {
        match who {
            Who::Email(e) => wit::Identifier::Email(e),
            Who::Phone(p) => wit::Identifier::Phone(p),
        }
    }
}

export!(Component);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_requested_only_through_a_channel_the_namespace_offers() {
        let options = |email, whatsapp| wit::LoginMethods {
            password_enabled: true,
            email_otp_enabled: email,
            whatsapp_otp_enabled: whatsapp,
        };
        let email = Who::Email("ana@example.com".into());
        let phone = Who::Phone("+5511999999999".into());
        assert_eq!(offers_channel(&options(true, true), &email), Ok(()));
        assert_eq!(offers_channel(&options(false, true), &phone), Ok(()));
        assert_eq!(
            offers_channel(&options(false, false), &email),
            Err(Error::OtpNotEnabled(None))
        );
        assert_eq!(
            offers_channel(&options(false, true), &email),
            Err(Error::OtpNotEnabled(Some(Channel::Whatsapp)))
        );
        assert_eq!(
            offers_channel(&options(true, false), &phone),
            Err(Error::OtpNotEnabled(Some(Channel::Email)))
        );
    }
}
