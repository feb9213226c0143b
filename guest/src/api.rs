//! Konecty's auth endpoints: requests, and answers turned into typed results.

use core::fmt;

use serde::de::{DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{Error, Rejection, RejectionReason, Reply, Result};
use crate::http::{self, Response, Verb};
use crate::json::{self, Object, ReadError};
use crate::konecty::session::types::{
    ClientLabel, Geolocation, LoginMethods, Session, SessionCheck,
};
use crate::validate::{self, BaseUrl};

#[cfg(all(test, not(target_family = "wasm")))]
mod properties;

/// Who receives the code: checked, and for phones normalized to E.164. Kept beside the WIT
/// `identifier` because it means more: only `validate` makes one, so holding a `Who` means
/// the address or phone was checked (and the phone normalized) before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Email(String),
    Phone(String),
}

impl Who {
    /// Validates the identifier the way the server would, before anything is sent.
    pub fn email(text: &str) -> Result<Who> {
        validate::email(text).map(|e| Who::Email(e.to_string()))
    }

    pub fn phone(text: &str) -> Result<Who> {
        validate::phone(text).map(Who::Phone)
    }
}

/// What `GET /api/auth/login-options` answers; an absent or null flag means "no". Konecty's
/// spelling of the fields, read into the WIT `login-methods` by `methods`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginOptions {
    password_enabled: Option<bool>,
    email_otp_enabled: Option<bool>,
    #[serde(rename = "whatsAppOtpEnabled")]
    whatsapp_otp_enabled: Option<bool>,
}

impl LoginOptions {
    fn methods(self) -> LoginMethods {
        LoginMethods {
            password_enabled: self.password_enabled.unwrap_or(false),
            email_otp_enabled: self.email_otp_enabled.unwrap_or(false),
            whatsapp_otp_enabled: self.whatsapp_otp_enabled.unwrap_or(false),
        }
    }
}

/// What `GET /rest/auth/info` says of an unknown, expired or revoked token.
fn logged_out() -> SessionCheck {
    SessionCheck {
        logged_in: false,
        user_id: None,
        name: None,
        email: None,
    }
}

/// The body of request-otp and verify-otp: `{"email" | "phoneNumber", "otpCode"?, ...}`,
/// absent members left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtpBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    otp_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    geolocation: Option<Location>,
}

/// `{"longitude", "latitude"}`, as Konecty reads a geolocation: numbers written by `degrees`.
#[derive(Serialize)]
struct Location {
    longitude: Box<RawValue>,
    latitude: Box<RawValue>,
}

fn otp_body(
    who: &Who,
    otp_code: Option<&str>,
    label: Option<&ClientLabel>,
    geolocation: Option<Geolocation>,
) -> Result<Vec<u8>> {
    // Cannot happen: the members are strings, and numbers `degrees` wrote.
    let unwritable = |_| Error::invalid("the request body could not be written as JSON");
    let (email, phone_number) = match who {
        Who::Email(e) => (Some(e.as_str()), None),
        Who::Phone(p) => (None, Some(p.as_str())),
    };
    let number = |value| RawValue::from_string(degrees(value)).map_err(unwritable);
    let geolocation = match geolocation {
        Some(g) => Some(Location {
            longitude: number(g.longitude)?,
            latitude: number(g.latitude)?,
        }),
        None => None,
    };
    let body = OtpBody {
        email,
        phone_number,
        otp_code,
        source: label.map(|l| l.source.as_str()),
        fingerprint: label.and_then(|l| l.fingerprint.as_deref()),
        geolocation,
    };
    serde_json::to_vec(&body).map_err(unwritable)
}

/// Degrees in range (see `validate::geolocation`) as a JSON number with up to 7 decimals
/// (about a centimetre). By integer arithmetic: Rust's float printing would add some 20 KB
/// to the component.
fn degrees(value: f64) -> String {
    let scaled = value * 10_000_000.0;
    let units = if scaled < 0.0 {
        scaled - 0.5
    } else {
        scaled + 0.5
    } as i64;
    let sign = if units < 0 { "-" } else { "" };
    let units = units.unsigned_abs();
    let mut text = String::from(if units == 0 { "" } else { sign });
    text.push_str(&(units / 10_000_000).to_string());
    let mut fraction = units % 10_000_000;
    if fraction > 0 {
        text.push('.');
        let mut place = 1_000_000;
        while fraction > 0 {
            text.push(char::from(b'0' + (fraction / place) as u8));
            fraction %= place;
            place /= 10;
        }
    }
    text
}

/// The parts of Konecty's answers this client reads. Every field is optional so that the
/// checks below decide what a missing field means; a field of the wrong type, though,
/// makes the whole answer unreadable (see `json`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    success: Option<bool>,
    logged: Option<bool>,
    message: Option<String>,
    /// `message` of the first item of `errors` that has one.
    #[serde(default, rename = "errors", deserialize_with = "first_error")]
    first_error: Option<String>,
    auth_id: Option<String>,
    #[serde(default, deserialize_with = "json::optional_object")]
    user: Option<User>,
}

#[derive(Deserialize)]
struct User {
    #[serde(rename = "_id")]
    id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "first_email")]
    email: Option<String>,
}

impl Answer {
    fn server_message(&self) -> Option<String> {
        self.first_error
            .as_ref()
            .or(self.message.as_ref())
            .map(|m| printable(m))
    }
}

/// An item of `errors`.
#[derive(Deserialize)]
struct ErrorItem {
    message: Option<String>,
}

/// An item of a user's `email` list.
#[derive(Deserialize)]
struct EmailEntry {
    address: Option<String>,
}

/// `errors`, a list of objects: the first `message` in it.
fn first_error<'de, D: Deserializer<'de>>(errors: D) -> Result<Option<String>, D::Error> {
    let items = Option::<Vec<Object<ErrorItem>>>::deserialize(errors)?;
    Ok(items
        .into_iter()
        .flatten()
        .find_map(|Object(item)| item.message))
}

/// Konecty users carry `email` as a string in the OTP answer and as
/// `[{"address": ...}]` in stored records; accept both.
fn first_email<'de, D: Deserializer<'de>>(email: D) -> Result<Option<String>, D::Error> {
    struct FirstEmail;

    impl<'de> Visitor<'de> for FirstEmail {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an email address, or a list of {\"address\": ...}")
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
            Ok(Some(text.to_string()))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut entries: A) -> Result<Self::Value, A::Error> {
            let mut first = None;
            while let Some(Object(entry)) = entries.next_element::<Object<EmailEntry>>()? {
                first = first.or(entry.address);
            }
            Ok(first)
        }
    }

    email.deserialize_any(FirstEmail)
}

/// Server text crosses the WIT boundary to hosts that may print it as it is: one line of
/// printable characters, of reasonable length.
fn printable(text: &str) -> String {
    const MAX_CHARS: usize = 500;
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect()
}

pub fn login_options(base: &BaseUrl) -> Result<LoginMethods> {
    let response = http::send(Verb::Get, base, "/api/auth/login-options", None, None)?;
    login_options_reply(&response)
}

/// Returns the server's message, such as `OTP sent via email`.
pub fn request_otp(base: &BaseUrl, who: &Who) -> Result<Option<String>> {
    let body = otp_body(who, None, None, None)?;
    let response = http::send(Verb::Post, base, "/api/auth/request-otp", None, Some(&body))?;
    request_otp_reply(&response)
}

pub fn verify_otp(
    base: &BaseUrl,
    who: &Who,
    code: &str,
    label: Option<&ClientLabel>,
    geolocation: Option<Geolocation>,
) -> Result<Session> {
    let body = otp_body(who, Some(code), label, geolocation)?;
    let response = http::send(Verb::Post, base, "/api/auth/verify-otp", None, Some(&body))?;
    verify_otp_reply(base, &response)
}

pub fn session_info(base: &BaseUrl, token: &str) -> Result<SessionCheck> {
    let response = http::send(Verb::Get, base, "/rest/auth/info", Some(token), None)?;
    session_info_reply(&response)
}

/// Ok(None) when the server revoked the token; Ok(Some(message)) when it said it did not
/// know it (already revoked or expired).
pub fn logout(base: &BaseUrl, token: &str) -> Result<Option<String>> {
    let response = http::send(Verb::Get, base, "/rest/auth/logout", Some(token), None)?;
    logout_reply(&response)
}

// What each endpoint's reply means, apart from sending the request, so that it can be
// tested natively.

fn login_options_reply(response: &Response) -> Result<LoginMethods> {
    if response.status != 200 {
        return Err(failure(response));
    }
    parse(response).map(LoginOptions::methods)
}

fn request_otp_reply(response: &Response) -> Result<Option<String>> {
    let answer = expect_success(response)?;
    Ok(answer.message)
}

/// The session the answer opened on `base`.
fn verify_otp_reply(base: &BaseUrl, response: &Response) -> Result<Session> {
    let answer = expect_success(response)?;
    let token = answer
        .auth_id
        .ok_or_else(|| Error::BadResponse("the server's reply had no authId".into()))?;
    validate::file_safe("session token", &token).map_err(Error::BadResponse)?;
    let user = answer
        .user
        .ok_or_else(|| Error::BadResponse("the server's reply had no user".into()))?;
    let user_id = user
        .id
        .ok_or_else(|| Error::BadResponse("the server's reply had no user _id".into()))?;
    validate::file_safe("user id", &user_id).map_err(Error::BadResponse)?;
    Ok(Session {
        host: base.to_string(),
        token,
        user_id,
        name: user.name.as_deref().map(printable),
        email: user.email.as_deref().map(printable),
    })
}

fn session_info_reply(response: &Response) -> Result<SessionCheck> {
    match response.status {
        200 => {}
        // An expired or unknown token is an answer, not a failure.
        401 | 403 => return Ok(logged_out()),
        _ => return Err(failure(response)),
    }
    let answer = parse_answer(response)?;
    let logged = answer
        .logged
        .ok_or_else(|| Error::BadResponse("the server's reply had no `logged` field".into()))?;
    let user = answer.user.filter(|_| logged);
    Ok(SessionCheck {
        logged_in: logged,
        user_id: user.as_ref().and_then(|u| u.id.clone()),
        name: user.as_ref().and_then(|u| u.name.as_deref()).map(printable),
        email: user.and_then(|u| u.email).as_deref().map(printable),
    })
}

fn logout_reply(response: &Response) -> Result<Option<String>> {
    match response.status {
        200 => {}
        401 | 403 => {
            return Ok(Some(
                message_of(response).unwrap_or_else(|| "unauthorized".into()),
            ));
        }
        _ => return Err(failure(response)),
    }
    let answer = parse_answer(response)?;
    match answer.success {
        Some(true) => Ok(None),
        Some(false) => Ok(Some(
            answer
                .server_message()
                .unwrap_or_else(|| "not revoked".into()),
        )),
        None => Err(Error::BadResponse(
            "the server's reply had no `success` field".into(),
        )),
    }
}

fn expect_success(response: &Response) -> Result<Answer> {
    if response.status != 200 {
        return Err(failure(response));
    }
    let answer = parse_answer(response)?;
    match answer.success {
        Some(true) => Ok(answer),
        Some(false) => Err(rejected(Reply {
            status: 200,
            message: answer.server_message(),
            retry_after: None,
        })),
        None => Err(Error::BadResponse(
            "the server's reply had no `success` field".into(),
        )),
    }
}

/// Classifies a non-200 answer, keeping the server's own message when it sent one.
fn failure(response: &Response) -> Error {
    let status = response.status;
    let reply = Reply {
        status,
        message: message_of(response),
        retry_after: response.retry_after,
    };
    match status {
        429 => Error::RateLimited(reply),
        401 | 403 => Error::Unauthorized(reply),
        400..=499 => rejected(reply),
        500..=599 => Error::ServerError(reply),
        300..=399 => Error::BadResponse(format!(
            "the server answered with a redirect (HTTP {status}); redirects are not followed"
        )),
        _ => Error::BadResponse(format!("the server answered with HTTP {status}")),
    }
}

/// A refusal, with what it means when the message is one of Konecty's own
/// (`src/server/routes/api/auth/otp.ts`; ../shared/konecty-auth-api.md in the project).
fn rejected(reply: Reply) -> Error {
    let message = reply.message.as_deref().unwrap_or("").trim();
    let reason = if message == "Invalid OTP code" {
        Some(RejectionReason::WrongCode)
    } else if message.starts_with("Maximum verification attempts") {
        Some(RejectionReason::NoTriesLeft)
    } else if message.starts_with("OTP not found or expired") {
        Some(RejectionReason::Expired)
    } else if message == "Geolocation required" {
        Some(RejectionReason::GeolocationRequired)
    } else if message.starts_with("Não foi possível enviar o código de verificação") {
        // Konecty's answer for an email or phone no active user has (404, or 400).
        Some(RejectionReason::UnknownUser)
    } else {
        None
    };
    Error::Rejected(Rejection { reason, reply })
}

fn message_of(response: &Response) -> Option<String> {
    json::read::<Answer>(&response.body).ok()?.server_message()
}

fn parse_answer(response: &Response) -> Result<Answer> {
    parse(response)
}

/// Reads the body as a `T`; an empty, cut-short or unexpected body is a bad response.
fn parse<T: DeserializeOwned>(response: &Response) -> Result<T> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadResponse(format!(
            "the server's reply (HTTP {}) was empty",
            response.status
        )));
    }
    let what = match json::read(&response.body) {
        Ok(read) => return Ok(read),
        Err(ReadError::CutShort) => "was cut short",
        Err(ReadError::Invalid | ReadError::WrongShape) => "was not the JSON Konecty sends",
    };
    Err(Error::BadResponse(format!(
        "the server's reply (HTTP {}) {what}",
        response.status
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Response {
        Response {
            status,
            retry_after: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn bad(message: &str) -> Error {
        Error::BadResponse(message.to_string())
    }

    const HOST: &str = "https://a.konecty.com";

    fn verify_otp_reply(response: &Response) -> Result<Session> {
        super::verify_otp_reply(&BaseUrl::parse(HOST).unwrap(), response)
    }

    #[test]
    fn failures_are_classified_by_status_and_keep_the_servers_message() {
        let body = r#"{"success":false,"errors":[{"code":1},{"message":"Too many\ncodes"}],"message":"later"}"#;
        let replied = |status, message: Option<&str>, retry_after| Reply {
            status,
            message: message.map(String::from),
            retry_after,
        };
        let mut limited = reply(429, body);
        limited.retry_after = Some(30);
        assert_eq!(
            login_options_reply(&limited),
            Err(Error::RateLimited(replied(
                429,
                Some("Too many codes"),
                Some(30)
            )))
        );
        for status in [401, 403] {
            assert_eq!(
                request_otp_reply(&reply(status, r#"{"message":"no"}"#)),
                Err(Error::Unauthorized(replied(status, Some("no"), None)))
            );
        }
        assert_eq!(
            verify_otp_reply(&reply(400, body)),
            Err(Error::Rejected(Rejection {
                reason: None,
                reply: replied(400, Some("Too many codes"), None)
            }))
        );
        assert_eq!(
            session_info_reply(&reply(503, "<html>busy</html>")),
            Err(Error::ServerError(replied(503, None, None)))
        );
        assert_eq!(
            logout_reply(&reply(302, "")),
            Err(bad(
                "the server answered with a redirect (HTTP 302); redirects are not followed"
            ))
        );
        assert_eq!(
            login_options_reply(&reply(204, "")),
            Err(bad("the server answered with HTTP 204"))
        );
    }

    #[test]
    fn konectys_refusals_say_what_they_mean() {
        let unknown = "Não foi possível enviar o código de verificação. Verifique seus dados \
                       de cadastro com o administrador.";
        for (status, message, expected) in [
            (400, "Invalid OTP code", Some(RejectionReason::WrongCode)),
            (
                400,
                "Maximum verification attempts exceeded. Please request a new OTP.",
                Some(RejectionReason::NoTriesLeft),
            ),
            (
                400,
                "OTP not found or expired. Please request a new OTP.",
                Some(RejectionReason::Expired),
            ),
            (
                400,
                "Geolocation required",
                Some(RejectionReason::GeolocationRequired),
            ),
            (404, unknown, Some(RejectionReason::UnknownUser)),
            (400, unknown, Some(RejectionReason::UnknownUser)),
            // The server's format check: the component checks the format first, so this
            // is not a wrong code.
            (400, "Invalid OTP code format. Must be 6 digits", None),
            (404, "Not Found", None),
            (400, "Invalid email format", None),
        ] {
            let body = format!(r#"{{"success":false,"errors":[{{"message":"{message}"}}]}}"#);
            let Err(Error::Rejected(rejection)) = verify_otp_reply(&reply(status, &body)) else {
                panic!("expected a rejection for {status} {message:?}");
            };
            assert_eq!(rejection.reason, expected, "for {status} {message:?}");
            assert_eq!(
                rejection.reply.message.as_deref(),
                Some(message),
                "the server's words are kept"
            );
        }
    }

    #[test]
    fn bodies_that_are_not_konectys_json_are_bad_responses() {
        for (body, what) in [
            (" \n", "was empty"),
            (r#"{"emailOtpEnabled":"#, "was cut short"),
            (
                r#"{"emailOtpEnabled":"yes"}"#,
                "was not the JSON Konecty sends",
            ),
            ("<html>", "was not the JSON Konecty sends"),
        ] {
            assert_eq!(
                login_options_reply(&reply(200, body)),
                Err(bad(&format!("the server's reply (HTTP 200) {what}"))),
                "for {body:?}"
            );
        }
    }

    #[test]
    fn login_options_default_to_off() {
        assert_eq!(
            login_options_reply(&reply(200, r#"{"emailOtpEnabled":true,"other":1}"#)),
            Ok(LoginMethods {
                password_enabled: false,
                email_otp_enabled: true,
                whatsapp_otp_enabled: false,
            })
        );
    }

    #[test]
    fn a_code_request_needs_success() {
        assert_eq!(
            request_otp_reply(&reply(
                200,
                r#"{"success":true,"message":"OTP sent via email"}"#
            )),
            Ok(Some("OTP sent via email".to_string()))
        );
        assert_eq!(
            request_otp_reply(&reply(200, r#"{"success":true}"#)),
            Ok(None)
        );
        assert_eq!(
            request_otp_reply(&reply(
                200,
                r#"{"success":false,"errors":[{"message":"User not found"}]}"#
            )),
            Err(Error::Rejected(Rejection {
                reason: None,
                reply: Reply {
                    status: 200,
                    message: Some("User not found".to_string()),
                    retry_after: None,
                }
            }))
        );
        assert_eq!(
            request_otp_reply(&reply(200, "{}")),
            Err(bad("the server's reply had no `success` field"))
        );
    }

    #[test]
    fn a_verified_code_gives_a_session_that_is_safe_to_store() {
        let verified = |auth_id: &str, user: &str| {
            verify_otp_reply(&reply(
                200,
                &format!(r#"{{"success":true,"authId":{auth_id},"user":{user}}}"#),
            ))
        };
        let user =
            r#"{"_id":"u1","name":"Ana\tLima","email":[{"x":1},{"address":"ana@example.com"}]}"#;
        assert_eq!(
            verified(r#""t0k3n/+=""#, user),
            Ok(Session {
                host: HOST.to_string(),
                token: "t0k3n/+=".to_string(),
                user_id: "u1".to_string(),
                name: Some("Ana Lima".to_string()),
                email: Some("ana@example.com".to_string()),
            })
        );
        assert_eq!(
            verify_otp_reply(&reply(200, r#"{"success":true,"user":{"_id":"u1"}}"#)),
            Err(bad("the server's reply had no authId"))
        );
        assert_eq!(
            verified(r#""a b""#, user),
            Err(bad("the session token has an unexpected shape"))
        );
        assert_eq!(
            verify_otp_reply(&reply(200, r#"{"success":true,"authId":"t"}"#)),
            Err(bad("the server's reply had no user"))
        );
        assert_eq!(
            verified(r#""t""#, r#"{"name":"Ana"}"#),
            Err(bad("the server's reply had no user _id"))
        );
        assert_eq!(
            verified(r#""t""#, r#"{"_id":"$(reboot)"}"#),
            Err(bad("the user id has an unexpected shape"))
        );
    }

    #[test]
    fn session_info_answers_for_unknown_tokens() {
        for status in [401, 403] {
            assert_eq!(session_info_reply(&reply(status, "")), Ok(logged_out()));
        }
        let user = r#""user":{"_id":"u1","name":"Ana","email":"ana@example.com"}"#;
        assert_eq!(
            session_info_reply(&reply(200, &format!(r#"{{"logged":true,{user}}}"#))),
            Ok(SessionCheck {
                logged_in: true,
                user_id: Some("u1".to_string()),
                name: Some("Ana".to_string()),
                email: Some("ana@example.com".to_string()),
            })
        );
        assert_eq!(
            session_info_reply(&reply(200, &format!(r#"{{"logged":false,{user}}}"#))),
            Ok(logged_out())
        );
        assert_eq!(
            session_info_reply(&reply(200, r#"{"success":true}"#)),
            Err(bad("the server's reply had no `logged` field"))
        );
    }

    #[test]
    fn logout_tells_revoked_from_unknown() {
        assert_eq!(logout_reply(&reply(200, r#"{"success":true}"#)), Ok(None));
        assert_eq!(
            logout_reply(&reply(
                200,
                r#"{"success":false,"message":"Token not found"}"#
            )),
            Ok(Some("Token not found".to_string()))
        );
        assert_eq!(
            logout_reply(&reply(200, r#"{"success":false}"#)),
            Ok(Some("not revoked".to_string()))
        );
        assert_eq!(
            logout_reply(&reply(401, r#"{"errors":[{"message":"expired"}]}"#)),
            Ok(Some("expired".to_string()))
        );
        assert_eq!(
            logout_reply(&reply(403, "")),
            Ok(Some("unauthorized".to_string()))
        );
        assert_eq!(
            logout_reply(&reply(200, "{}")),
            Err(bad("the server's reply had no `success` field"))
        );
        assert!(matches!(
            logout_reply(&reply(500, "")),
            Err(Error::ServerError(_))
        ));
    }

    #[test]
    fn a_geolocation_is_sent_as_an_object_of_numbers() {
        let who = Who::Email("ana@example.com".into());
        let body = otp_body(
            &who,
            Some("123456"),
            None,
            Some(Geolocation {
                latitude: -23.55,
                longitude: -46.63,
            }),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"email":"ana@example.com","otpCode":"123456","geolocation":{"longitude":-46.63,"latitude":-23.55}}"#
        );
        assert_eq!(degrees(0.0), "0");
        assert_eq!(degrees(-0.00000004), "0");
        assert_eq!(degrees(180.0), "180");
        assert_eq!(degrees(-89.9999999), "-89.9999999");
        assert_eq!(degrees(0.5), "0.5");
        let without = otp_body(&who, Some("123456"), None, None).unwrap();
        assert_eq!(
            String::from_utf8(without).unwrap(),
            r#"{"email":"ana@example.com","otpCode":"123456"}"#
        );
        // Strings are escaped as the hand-written writer did.
        let label = ClientLabel {
            source: "a\"b\\c\n\u{1}é".into(),
            fingerprint: None,
        };
        let escaped = otp_body(
            &Who::Phone("+5511999999999".into()),
            None,
            Some(&label),
            None,
        );
        assert_eq!(
            String::from_utf8(escaped.unwrap()).unwrap(),
            r#"{"phoneNumber":"+5511999999999","source":"a\"b\\c\n\u0001é"}"#
        );
    }
}
