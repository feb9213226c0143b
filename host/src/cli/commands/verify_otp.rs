//! `verify-otp`: trade the code for a session and save it.

use anyhow::Result;

use konecty_session::files::credentials_dir::DirAccess;
use konecty_session::{Geolocation, Identifier, Sandbox, SaveTargets};

use crate::cli::args::{Config, Host};
use crate::cli::exit::{Failure, Kind, one_line};
use crate::cli::present::mask;
use crate::cli::report::LoggedIn;
use crate::cli::session::{call, client_label, files_are_editable, open, save};

pub fn verify_otp(
    config: &Config,
    who: Option<&Identifier>,
    code: &str,
    targets: SaveTargets,
    geolocation: Option<Geolocation>,
) -> Result<LoggedIn> {
    let (host, _) = config.host()?;
    let mut sandbox = open(config, Some(&host), DirAccess::ReadWrite)?;
    if targets != SaveTargets::empty() {
        files_are_editable(&mut sandbox, &host)?;
    }
    let (who, remembered) = match who {
        Some(who) => (who.clone(), false),
        None => (pending_recipient(config, &mut sandbox, &host)?, true),
    };
    let label = client_label();
    // Whoever edited pending-otp, the person sees whose code was tried, failed or not.
    let masked = remembered.then(|| mask(&who));
    let session = call(&mut sandbox, |s| {
        s.verify_otp(&host.url, &who, code, Some(&label), geolocation)
    })
    .map_err(|err| match (&masked, err.downcast::<Failure>()) {
        (Some(masked), Ok(mut failure)) => {
            failure.message = format!(
                "{} (the pending request's code, sent to {masked})",
                failure.message
            );
            failure.into()
        }
        (_, Ok(failure)) => failure.into(),
        (_, Err(other)) => other,
    })?;
    let mut logged_in = save(config, &mut sandbox, &host, &session, targets)?;
    logged_in.verified_for = masked;
    Ok(logged_in)
}

/// The recipient of the code request remembered for `host` (kept an hour: the server says
/// when the code itself expired); it must be this host's.
pub fn pending_recipient(
    config: &Config,
    sandbox: &mut Sandbox,
    host: &Host,
) -> Result<Identifier> {
    let name_it = "name the recipient (--email or --phone), or request a new code";
    let Some(request) = call(sandbox, |s| s.pending_request(&host.url))? else {
        return Err(Failure::new(
            Kind::InvalidInput,
            format!(
                "no code was requested for {} in the last hour: {name_it}",
                host.url
            ),
        )
        .into());
    };
    if !Host::parse(&request.host).is_ok_and(|stored| stored.same_as(host)) {
        return Err(Failure::new(
            Kind::InvalidInput,
            format!(
                "the pending request in {}/pending-otp is for {}, not {}: {name_it}",
                config.dir.display(),
                one_line(&request.host),
                host.url
            ),
        )
        .into());
    }
    Ok(request.recipient)
}
