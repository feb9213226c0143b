//! Implements the konecty:session world but opens a TCP socket of its own, so it imports
//! `wasi:sockets`. The host must refuse to run it at all.

wit_bindgen::generate!({ world: "session", path: "../../../wit" });

use exports::konecty::session::api::Guest;
use konecty::session::types::*;

struct Sockets;

fn unused<T>() -> Result<T, Error> {
    Err(Error::InvalidInput(
        "this test component only opens sockets".into(),
    ))
}

impl Guest for Sockets {
    fn login_options(host: String) -> Result<LoginMethods, Error> {
        let address = host.trim_start_matches("http://");
        match std::net::TcpStream::connect(address) {
            Ok(_) => Err(Error::BadResponse("BREACH: opened a socket".into())),
            Err(err) => Err(Error::Network(format!("socket refused: {err}"))),
        }
    }

    fn request_otp(_: String, _: Identifier) -> Result<OtpSent, Error> {
        unused()
    }

    fn verify_otp(
        _: String,
        _: Identifier,
        _: String,
        _: Option<ClientLabel>,
        _: Option<Geolocation>,
    ) -> Result<Session, Error> {
        unused()
    }

    fn save_session(_: Session, _: SaveTargets) -> Result<(), Error> {
        unused()
    }

    fn read_sessions(_: String) -> Result<Vec<StoredSession>, Error> {
        unused()
    }

    fn stored_hosts() -> Result<Vec<String>, Error> {
        unused()
    }

    fn use_session(_: String) -> Result<Option<StoredSession>, Error> {
        unused()
    }

    fn check_session(_: String, _: String) -> Result<SessionCheck, Error> {
        unused()
    }

    fn logout(_: String) -> Result<LogoutOutcome, Error> {
        unused()
    }

    fn pending_request(_: String) -> Result<Option<CodeRequest>, Error> {
        unused()
    }
}

export!(Sockets);
