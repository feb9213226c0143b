//! Konecty's auth endpoints: requests, and answers turned into typed results.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Reply, Result};
use crate::http::{self, Response, Verb};
use crate::validate::{self, BaseUrl};

/// Who receives the code: checked, and for phones normalized to E.164.
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

/// What verify-otp tells the server about this client (`source`, `fingerprint`).
pub struct Label<'a> {
    pub source: &'a str,
    pub fingerprint: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginOptions {
    #[serde(default)]
    pub password_enabled: bool,
    #[serde(default)]
    pub email_otp_enabled: bool,
    #[serde(default, rename = "whatsAppOtpEnabled")]
    pub whatsapp_otp_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Check {
    pub logged_in: bool,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

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
}

impl<'a> OtpBody<'a> {
    fn new(who: &'a Who, otp_code: Option<&'a str>, label: Option<&Label<'a>>) -> Self {
        let (email, phone_number) = match who {
            Who::Email(e) => (Some(e.as_str()), None),
            Who::Phone(p) => (None, Some(p.as_str())),
        };
        OtpBody {
            email,
            phone_number,
            otp_code,
            source: label.map(|l| l.source),
            fingerprint: label.and_then(|l| l.fingerprint),
        }
    }
}

/// The parts of Konecty's answers this client reads. Every field is optional so that the
/// checks below, not serde, decide what a missing field means.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Answer {
    success: Option<bool>,
    logged: Option<bool>,
    message: Option<String>,
    errors: Option<Vec<ErrorItem>>,
    auth_id: Option<String>,
    user: Option<User>,
}

#[derive(Deserialize)]
struct ErrorItem {
    message: Option<String>,
}

#[derive(Deserialize)]
struct User {
    #[serde(rename = "_id")]
    id: Option<String>,
    name: Option<String>,
    email: Option<EmailField>,
}

/// Konecty users carry `email` as a string in the OTP answer and as
/// `[{"address": ...}]` in stored records; accept both.
#[derive(Deserialize)]
#[serde(untagged)]
enum EmailField {
    Text(String),
    List(Vec<EmailEntry>),
}

#[derive(Deserialize)]
struct EmailEntry {
    address: Option<String>,
}

impl EmailField {
    fn first(self) -> Option<String> {
        match self {
            EmailField::Text(text) => Some(text),
            EmailField::List(list) => list.into_iter().find_map(|e| e.address),
        }
    }
}

impl Answer {
    fn server_message(&self) -> Option<String> {
        let from_errors = self
            .errors
            .as_ref()
            .and_then(|errors| errors.iter().find_map(|e| e.message.clone()));
        from_errors
            .or_else(|| self.message.clone())
            .map(|m| printable(&m))
    }
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

pub fn login_options(base: &BaseUrl) -> Result<LoginOptions> {
    let response = http::send(Verb::Get, base, "/api/auth/login-options", None, None)?;
    if response.status != 200 {
        return Err(failure(&response));
    }
    parse::<LoginOptions>(&response)
}

/// Returns the server's message, such as `OTP sent via email`.
pub fn request_otp(base: &BaseUrl, who: &Who) -> Result<Option<String>> {
    let body = to_json(&OtpBody::new(who, None, None))?;
    let response = http::send(Verb::Post, base, "/api/auth/request-otp", None, Some(&body))?;
    let answer = expect_success(&response)?;
    Ok(answer.message)
}

pub fn verify_otp(base: &BaseUrl, who: &Who, code: &str, label: Option<&Label>) -> Result<Session> {
    let body = to_json(&OtpBody::new(who, Some(code), label))?;
    let response = http::send(Verb::Post, base, "/api/auth/verify-otp", None, Some(&body))?;
    let answer = expect_success(&response)?;
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
        token,
        user_id,
        name: user.name.as_deref().map(printable),
        email: user
            .email
            .and_then(EmailField::first)
            .as_deref()
            .map(printable),
    })
}

pub fn session_info(base: &BaseUrl, token: &str) -> Result<Check> {
    let response = http::send(Verb::Get, base, "/rest/auth/info", Some(token), None)?;
    match response.status {
        200 => {}
        // An expired or unknown token is an answer, not a failure.
        401 | 403 => return Ok(Check::default()),
        _ => return Err(failure(&response)),
    }
    let answer = parse::<Answer>(&response)?;
    let logged = answer
        .logged
        .ok_or_else(|| Error::BadResponse("the server's reply had no `logged` field".into()))?;
    let user = answer.user.filter(|_| logged);
    Ok(Check {
        logged_in: logged,
        user_id: user.as_ref().and_then(|u| u.id.clone()),
        name: user.as_ref().and_then(|u| u.name.as_deref()).map(printable),
        email: user
            .and_then(|u| u.email.and_then(EmailField::first))
            .as_deref()
            .map(printable),
    })
}

/// Ok(None) when the server revoked the token; Ok(Some(message)) when it said it did not
/// know it (already revoked or expired).
pub fn logout(base: &BaseUrl, token: &str) -> Result<Option<String>> {
    let response = http::send(Verb::Get, base, "/rest/auth/logout", Some(token), None)?;
    match response.status {
        200 => {}
        401 | 403 => {
            return Ok(Some(
                message_of(&response).unwrap_or_else(|| "unauthorized".into()),
            ));
        }
        _ => return Err(failure(&response)),
    }
    let answer = parse::<Answer>(&response)?;
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
    let answer = parse::<Answer>(response)?;
    match answer.success {
        Some(true) => Ok(answer),
        Some(false) => Err(Error::Rejected(Reply {
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
        400..=499 => Error::Rejected(reply),
        500..=599 => Error::ServerError(reply),
        300..=399 => Error::BadResponse(format!(
            "the server answered with a redirect (HTTP {status}); redirects are not followed"
        )),
        _ => Error::BadResponse(format!("the server answered with HTTP {status}")),
    }
}

fn message_of(response: &Response) -> Option<String> {
    serde_json::from_slice::<Answer>(&response.body)
        .ok()?
        .server_message()
}

fn parse<'de, T: Deserialize<'de>>(response: &'de Response) -> Result<T> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadResponse(format!(
            "the server's reply (HTTP {}) was empty",
            response.status
        )));
    }
    serde_json::from_slice(&response.body).map_err(|err| {
        let what = if err.is_eof() {
            "was cut short"
        } else {
            "was not the JSON Konecty sends"
        };
        Error::BadResponse(format!(
            "the server's reply (HTTP {}) {what}",
            response.status
        ))
    })
}

fn to_json(body: &impl Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(body).map_err(|e| Error::invalid(format!("cannot encode the request: {e}")))
}
