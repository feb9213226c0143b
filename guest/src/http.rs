//! A small blocking HTTP client over `wasi:http/outgoing-handler`.

use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasip2::io::streams::StreamError;

use crate::error::{Error, Result};
use crate::validate::{self, BaseUrl};

/// Konecty's answers are a few KiB; anything larger is refused rather than buffered.
const MAX_BODY: usize = 1024 * 1024;

pub struct Response {
    pub status: u16,
    /// `Retry-After` in seconds (its HTTP-date form is ignored).
    pub retry_after: Option<u32>,
    pub body: Vec<u8>,
}

pub enum Verb {
    Get,
    Post,
}

/// Sends one request to `base` + `path` and reads the whole answer. Redirects are not
/// followed: they come back as ordinary responses.
pub fn send(
    verb: Verb,
    base: &BaseUrl,
    path: &str,
    token: Option<&str>,
    json: Option<&[u8]>,
) -> Result<Response> {
    let broken = |what: &str| Error::Network(format!("{what} for {}", base.origin()));
    let headers = Fields::new();
    let header = |name: &str, value: &[u8]| {
        headers
            .append(name, value)
            .map_err(|_| Error::invalid(format!("the {name} header cannot be sent")))
    };
    header("accept", b"application/json")?;
    header(
        "user-agent",
        concat!("konecty-session/", env!("CARGO_PKG_VERSION")).as_bytes(),
    )?;
    if let Some(json) = json {
        header("content-type", b"application/json")?;
        // A known length instead of chunked encoding: simpler for every server and proxy.
        header("content-length", json.len().to_string().as_bytes())?;
    }
    if let Some(token) = token {
        header("authorization", token.as_bytes())?;
    }

    let request = OutgoingRequest::new(headers);
    let method = match verb {
        Verb::Get => Method::Get,
        Verb::Post => Method::Post,
    };
    let scheme = match base.scheme {
        validate::Scheme::Http => Scheme::Http,
        validate::Scheme::Https => Scheme::Https,
    };
    let target = format!("{}{path}", base.path);
    let set = request.set_method(&method).is_ok()
        && request.set_scheme(Some(&scheme)).is_ok()
        && request.set_authority(Some(&base.authority)).is_ok()
        && request.set_path_with_query(Some(&target)).is_ok();
    if !set {
        return Err(Error::invalid(format!(
            "{base}{path} is not a valid request URL"
        )));
    }
    let body = request.body().map_err(|()| broken("no request body"))?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| transport(base, e))?;
    if let Some(json) = json {
        let stream = body.write().map_err(|()| broken("no request stream"))?;
        // blocking-write-and-flush takes at most 4096 bytes a call.
        for chunk in json.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| broken("the connection closed while sending"))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|e| transport(base, e))?;

    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(transport(base, code)),
        Some(Err(())) | None => return Err(broken("no response")),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .first()
        .and_then(|value| std::str::from_utf8(value).ok()?.trim().parse().ok());
    let incoming = response
        .consume()
        .map_err(|()| broken("no response body"))?;
    let stream = incoming
        .stream()
        .map_err(|()| broken("no response stream"))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(Error::BadResponse(format!(
                        "the reply from {} was larger than {} KiB",
                        base.origin(),
                        MAX_BODY / 1024
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => {
                return Err(broken("the connection broke while reading the reply"));
            }
        }
    }
    Ok(Response {
        status,
        retry_after,
        body,
    })
}

fn transport(base: &BaseUrl, code: ErrorCode) -> Error {
    let origin = base.origin();
    let why = match code {
        ErrorCode::HttpRequestDenied => {
            return Error::Denied(format!("the host's policy refused a request to {origin}"));
        }
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => "no answer in time",
        ErrorCode::ConnectionTerminated => "the connection was closed",
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            "the host name did not resolve"
        }
        ErrorCode::DestinationUnavailable | ErrorCode::DestinationIpUnroutable => "unreachable",
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => "TLS failed (certificate or protocol)",
        ErrorCode::HttpResponseIncomplete => "the reply was cut short",
        ErrorCode::HttpProtocolError => "the server did not speak HTTP",
        _ => return Error::Network(format!("could not reach {origin}: {code:?}")),
    };
    Error::Network(format!("could not reach {origin}: {why}"))
}
