//! The page where a person types the one-time code that the MCP `login` tool had Konecty
//! send: served by this process on 127.0.0.1 at a random path, so that the code goes from the
//! person's browser to the sandbox and never through the MCP client or the model (URL-mode
//! elicitation, MCP 2025-11-25).
//!
//! The page is single use (closed once a code worked, or once the code can no longer work),
//! expires, and takes a code only from its own form: a POST must carry the form's random
//! token and, when the browser says where it came from, come from the page's own origin; every
//! request must name the page's own address as its Host (no DNS rebinding). What it shows is
//! escaped and one line.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::cli::exit::{Failure, Kind};
use konecty_session::RejectionReason;
use konecty_session::sanitize;

/// Trades a code for a session: who logged in (the JSON `verify-otp --json` prints), or why
/// not.
pub type Verify = Arc<dyn Fn(&str) -> Result<Value, Failure> + Send + Sync>;

/// A form holds a code and a token: anything larger is not ours.
const MAX_FORM: usize = 4096;

/// Security headers of every answer: nothing loads, nothing frames the page, nothing is kept.
const HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

/// The page, running until it is dropped or its outcome is taken.
pub struct CodePage {
    url: String,
    outcome: oneshot::Receiver<Result<Value, Failure>>,
    lifetime: Duration,
    /// When the page closes, counted from its opening.
    deadline: tokio::time::Instant,
    server: tokio::task::JoinHandle<()>,
}

struct Page {
    /// `/` and the random secret: the page exists nowhere else.
    path: String,
    /// The form's token, which a POST must send back.
    form_token: String,
    /// `127.0.0.1:PORT`, the only Host answered.
    authority: String,
    /// `http://127.0.0.1:PORT`, the only Origin a POST may come from.
    origin: String,
    sent_to: String,
    host: String,
    verify: Verify,
    /// One code at a time, so two tabs cannot race the server's tries.
    checking: Arc<tokio::sync::Mutex<()>>,
    /// Taken by the answer that ends the page; closed when the tool stopped waiting.
    outcome: Mutex<Option<oneshot::Sender<Result<Value, Failure>>>>,
}

impl CodePage {
    /// Starts the page for a code sent to `sent_to` (already masked) by `host`.
    pub async fn open(
        sent_to: &str,
        host: &str,
        verify: Verify,
        lifetime: Duration,
    ) -> std::io::Result<CodePage> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let authority = listener.local_addr()?.to_string();
        let (sender, outcome) = oneshot::channel();
        let page = Arc::new(Page {
            path: format!("/{}", random_token()?),
            form_token: random_token()?,
            origin: format!("http://{authority}"),
            authority,
            sent_to: sanitize::line(sent_to),
            host: sanitize::line(host),
            verify,
            checking: Arc::new(tokio::sync::Mutex::new(())),
            outcome: Mutex::new(Some(sender)),
        });
        let url = format!("{}{}", page.origin, page.path);
        let server = tokio::spawn(serve(listener, page));
        Ok(CodePage {
            url,
            outcome,
            lifetime,
            deadline: tokio::time::Instant::now() + lifetime,
            server,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// When the page closes, whatever happens on it.
    pub fn closes_at(&self) -> tokio::time::Instant {
        self.deadline
    }

    /// Waits until a code worked, the code can no longer work, or the page expires; the
    /// page is gone when this returns.
    pub async fn outcome(mut self) -> Result<Value, Failure> {
        match tokio::time::timeout_at(self.deadline, &mut self.outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(Failure::new(Kind::Fault, "the code page stopped")),
            Err(_) => Err(Failure::new(
                Kind::NotLoggedIn,
                format!(
                    "no code was typed into the page within {} minutes: nothing was saved; \
                     call login again for a new code",
                    self.lifetime.as_secs() / 60
                ),
            )),
        }
    }
}

impl Drop for CodePage {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// 32 random bytes in URL-safe base64: the page's path, its form token, an elicitation id.
pub fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

async fn serve(listener: TcpListener, page: Arc<Page>) {
    while let Ok((stream, _)) = listener.accept().await {
        let page = page.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let page = page.clone();
                async move { Ok::<_, Infallible>(page.answer(request).await) }
            });
            // One request per connection: no connection outlives the page.
            let _ = http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Page {
    async fn answer(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let host = request.headers().get(header::HOST);
        if host.and_then(|h| h.to_str().ok()) != Some(self.authority.as_str()) {
            return plain(
                StatusCode::MISDIRECTED_REQUEST,
                "This page answers at its own address only.",
            );
        }
        if request.uri().path() != self.path {
            return plain(StatusCode::NOT_FOUND, "Not found.");
        }
        if self.ended() {
            return html(
                StatusCode::GONE,
                &self.ended_page("This page was used or has expired."),
            );
        }
        match *request.method() {
            Method::GET => html(StatusCode::OK, &self.form(None)),
            Method::POST => self.clone().submit(request).await,
            _ => plain(StatusCode::METHOD_NOT_ALLOWED, "Use the form."),
        }
    }

    /// Used, expired, or no longer awaited by the tool.
    fn ended(&self) -> bool {
        self.outcome.lock().map_or(true, |sender| {
            sender.as_ref().is_none_or(|sender| sender.is_closed())
        })
    }

    fn end(&self, outcome: Result<Value, Failure>) {
        if let Some(sender) = self.outcome.lock().ok().and_then(|mut s| s.take()) {
            let _ = sender.send(outcome);
        }
    }

    /// A form post from this page itself: its Origin when the browser sends one, its
    /// Sec-Fetch-Site likewise, and a form body.
    fn from_this_page(&self, headers: &HeaderMap) -> bool {
        let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or(""));
        let origin_ok = text("origin").is_none_or(|origin| origin == self.origin);
        let site_ok = text("sec-fetch-site").is_none_or(|site| site == "same-origin");
        let form = text("content-type")
            .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
        origin_ok && site_ok && form
    }

    async fn submit(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if !self.from_this_page(request.headers()) {
            return plain(
                StatusCode::FORBIDDEN,
                "The code must be typed into this page itself.",
            );
        }
        let body = match Limited::new(request.into_body(), MAX_FORM).collect().await {
            Ok(body) => body.to_bytes(),
            Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."),
        };
        let (mut token, mut code) = (None, None);
        for (name, value) in form_urlencoded::parse(&body) {
            match name.as_ref() {
                "token" => token = Some(value.into_owned()),
                "code" => code = Some(value.trim().to_string()),
                _ => {}
            }
        }
        if token.as_deref() != Some(self.form_token.as_str()) {
            return plain(
                StatusCode::FORBIDDEN,
                "The code must be typed into this page itself.",
            );
        }
        let code = code.unwrap_or_default();
        let one_at_a_time = self.checking.clone().lock_owned().await;
        if self.ended() {
            return html(
                StatusCode::GONE,
                &self.ended_page("This page was used or has expired."),
            );
        }
        // The check and its outcome run apart from this request: a browser that goes away
        // mid-check must not lose a session that was saved.
        let page = self.clone();
        let checking = tokio::spawn(async move {
            let _one_at_a_time = one_at_a_time;
            let verify = page.verify.clone();
            let checked = tokio::task::spawn_blocking(move || verify(&code))
                .await
                .unwrap_or_else(|_| Err(Failure::new(Kind::Fault, "checking the code failed")));
            page.conclude(checked)
        });
        match checking.await {
            Ok(content) => html(StatusCode::OK, &content),
            Err(_) => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Checking the code failed.",
            ),
        }
    }

    /// The page after a check: who logged in, the form again, or why it ended.
    fn conclude(&self, checked: Result<Value, Failure>) -> String {
        match checked {
            Ok(who) => {
                let name = who["user"]["name"]
                    .as_str()
                    .map(sanitize::line)
                    .unwrap_or_default();
                self.end(Ok(who));
                self.logged_in_page(&name)
            }
            Err(failure) if another_code_may_work(&failure) => self.form(Some(&failure.message)),
            Err(failure) => {
                let page = self.ended_page(&format!(
                    "{} Nothing was saved; ask your assistant to start the login again.",
                    sanitize::line(&failure.message)
                ));
                self.end(Err(failure));
                page
            }
        }
    }

    fn form(&self, problem: Option<&str>) -> String {
        let problem = problem
            .map(|text| format!("<p class=problem>{}</p>", escape(&sanitize::line(text))))
            .unwrap_or_default();
        format!(
            "<h1>Konecty login</h1>\
             <p>{host} sent a one-time code to <b>{sent_to}</b>. Type it here: it goes to \
             konecty-session on this computer, not to your assistant.</p>{problem}\
             <form method=post action=\"{path}\">\
             <input type=hidden name=token value=\"{token}\">\
             <label>Code <input name=code inputmode=numeric autocomplete=one-time-code \
             required autofocus></label> <button>Log in</button></form>",
            host = escape(&self.host),
            sent_to = escape(&self.sent_to),
            path = escape(&self.path),
            token = escape(&self.form_token),
        )
    }

    fn logged_in_page(&self, name: &str) -> String {
        let who = match name {
            "" => "You are".to_string(),
            name => format!("{} is", escape(name)),
        };
        format!(
            "<h1>Logged in</h1><p>{who} logged in to {}. You can close this page and go back \
             to your assistant.</p>",
            escape(&self.host)
        )
    }

    fn ended_page(&self, why: &str) -> String {
        format!("<h1>Konecty login</h1><p>{}</p>", escape(why))
    }
}

/// A wrong code (the server keeps a few tries) or one that is not a code: the person may
/// type another. Anything else ends the page.
fn another_code_may_work(failure: &Failure) -> bool {
    failure.kind == Kind::InvalidInput
        || (failure.kind == Kind::Rejected && failure.reason == Some(RejectionReason::WrongCode))
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn with_headers(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in HEADERS {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    response
}

fn html(status: StatusCode, content: &str) -> Response<Full<Bytes>> {
    let page = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width\"><title>Konecty login</title>\
         <style>body{{font:16px system-ui,sans-serif;max-width:32em;margin:3em auto;\
         padding:0 1em}}.problem{{color:#a00}}input{{font-size:1.2em;width:8em}}</style>\
         </head><body>{content}</body></html>"
    );
    with_headers(status, "text/html; charset=utf-8", page)
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    with_headers(status, "text/plain; charset=utf-8", format!("{text}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn only_a_wrong_code_or_a_malformed_one_leaves_the_page_open() {
        let wrong = Failure {
            reason: Some(RejectionReason::WrongCode),
            ..Failure::new(Kind::Rejected, "the server refused")
        };
        let expired = Failure {
            reason: Some(RejectionReason::Expired),
            ..Failure::new(Kind::Rejected, "the server refused")
        };
        let unknown = Failure::new(Kind::Rejected, "the server refused");
        assert!(another_code_may_work(&wrong));
        assert!(another_code_may_work(&Failure::new(
            Kind::InvalidInput,
            "x"
        )));
        assert!(!another_code_may_work(&expired));
        assert!(!another_code_may_work(&unknown));
        assert!(!another_code_may_work(&Failure::new(Kind::Network, "x")));
    }

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64, got {a:?}");
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{a:?}"
        );
    }
}
