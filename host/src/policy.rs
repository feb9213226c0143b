//! The outbound HTTP grant: one exact origin. Anything not proven to be that origin is
//! denied, and the denial is both returned to the component (as `http-request-denied`) and
//! kept for the host to report.

use std::fmt;
use std::time::{Duration, Instant};

use http::Uri;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

/// `scheme://host:port`, with the port always explicit and the host lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    secure: bool,
    host: String,
    port: u16,
}

/// Why a request was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The host granted no HTTP at all for this call.
    NoGrant,
    /// Not `http` or `https`.
    Scheme(String),
    /// No host in the URL.
    NoAuthority,
    /// `user@host` URLs are refused rather than interpreted.
    UserInfo,
    /// A well-formed URL for another origin.
    OtherOrigin { granted: Origin, requested: Origin },
}

impl Origin {
    /// The origin of a base URL given by the user, such as `--host https://app.konecty.com/`.
    pub fn of_base_url(url: &str) -> Result<Origin, String> {
        let uri: Uri = url
            .parse()
            .map_err(|_| format!("{url:?} is not a URL such as https://app.konecty.com"))?;
        if uri.query().is_some() {
            return Err(format!("{url:?} must not have a query"));
        }
        Origin::of_uri(&uri).map_err(|denial| match denial {
            Denial::Scheme(_) | Denial::NoAuthority => {
                format!("{url:?} must start with https:// or http:// and name a host")
            }
            other => format!("{url:?}: {other}"),
        })
    }

    fn of_uri(uri: &Uri) -> Result<Origin, Denial> {
        let secure = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(Denial::Scheme(other.unwrap_or("").to_string())),
        };
        let authority = uri.authority().ok_or(Denial::NoAuthority)?;
        if authority.as_str().contains('@') {
            return Err(Denial::UserInfo);
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(Denial::NoAuthority);
        }
        let port = authority
            .port_u16()
            .unwrap_or(if secure { 443 } else { 80 });
        Ok(Origin {
            secure,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::NoGrant => write!(f, "no HTTP access was granted for this call"),
            Denial::Scheme(s) => write!(f, "scheme {s:?} is not http or https"),
            Denial::NoAuthority => write!(f, "the URL names no host"),
            Denial::UserInfo => write!(f, "URLs with user info are refused"),
            Denial::OtherOrigin { granted, requested } => {
                write!(f, "{requested} is not the granted origin {granted}")
            }
        }
    }
}

/// Connect and read limits applied to every request, whatever the component asks for.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
        }
    }
}

/// The `WasiHttpHooks` of a sandbox: the grant, and what it refused.
pub struct HttpPolicy {
    granted: Option<Origin>,
    timeouts: Timeouts,
    denials: Vec<Denial>,
    /// Log one line per request on stderr (`--verbose`).
    log: bool,
}

impl HttpPolicy {
    pub fn new(granted: Option<Origin>, timeouts: Timeouts, log: bool) -> Self {
        HttpPolicy {
            granted,
            timeouts,
            denials: Vec::new(),
            log,
        }
    }

    /// What was refused so far, oldest first.
    pub fn denials(&self) -> &[Denial] {
        &self.denials
    }

    pub fn check(&self, uri: &Uri) -> Result<(), Denial> {
        let granted = self.granted.as_ref().ok_or(Denial::NoGrant)?;
        let requested = Origin::of_uri(uri)?;
        if requested == *granted {
            Ok(())
        } else {
            Err(Denial::OtherOrigin {
                granted: granted.clone(),
                requested,
            })
        }
    }

    /// The component's own timeouts, but never longer than the host's.
    fn clamp(&self, asked: Option<RequestOptions>) -> RequestOptions {
        let asked = asked.unwrap_or_default();
        let cap = |wanted: Option<Duration>, limit: Duration| {
            Some(wanted.map_or(limit, |w| w.min(limit)))
        };
        RequestOptions {
            connect_timeout: cap(asked.connect_timeout, self.timeouts.connect),
            first_byte_timeout: cap(asked.first_byte_timeout, self.timeouts.read),
            between_bytes_timeout: cap(asked.between_bytes_timeout, self.timeouts.read),
        }
    }
}

type Io = Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;
type Sent = Result<(http::Response<WasiBody>, Io), wasmtime_wasi_http::Error>;

impl WasiHttpHooks for HttpPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _response_errors: Io,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        let line = self
            .log
            .then(|| format!("{} {}", request.method(), loggable_path(request.uri())));
        if let Err(denial) = self.check(request.uri()) {
            if let Some(line) = line {
                eprintln!("konecty-session: {line} denied: {denial}");
            }
            self.denials.push(denial);
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }
        let options = self.clamp(options);
        Box::new(async move {
            let started = Instant::now();
            // Sends to the checked origin only; hyper does not follow redirects.
            let sent = wasmtime_wasi_http::default_send_request(request, Some(options)).await;
            if let Some(line) = line {
                let ms = started.elapsed().as_millis();
                match &sent {
                    Ok((response, _)) => {
                        eprintln!(
                            "konecty-session: {line} {} {ms} ms",
                            response.status().as_u16()
                        )
                    }
                    Err(_) => eprintln!("konecty-session: {line} no response {ms} ms"),
                }
            }
            let (response, io) = sent?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Io))
        })
    }
}

/// The path alone, for logs: no query (it could carry anything), printable, bounded. Headers
/// and bodies, where tokens, codes, emails and phones travel, are never logged.
fn loggable_path(uri: &Uri) -> String {
    const MAX_CHARS: usize = 120;
    uri.path()
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .take(MAX_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_paths_drop_the_query() {
        let uri: Uri = "http://a.com/api/auth/x?email=ana@example.com&otp=123456"
            .parse()
            .unwrap();
        assert_eq!(loggable_path(&uri), "/api/auth/x");
    }

    fn policy(granted: &str) -> HttpPolicy {
        HttpPolicy::new(
            Some(Origin::of_base_url(granted).unwrap()),
            Timeouts::default(),
            false,
        )
    }

    fn verdict(policy: &HttpPolicy, url: &str) -> Result<(), Denial> {
        policy.check(&url.parse::<Uri>().unwrap())
    }

    #[test]
    fn the_granted_origin_is_allowed_on_any_path() {
        let p = policy("https://app.konecty.com");
        assert_eq!(
            verdict(&p, "https://app.konecty.com/api/auth/login-options"),
            Ok(())
        );
    }

    #[test]
    fn default_ports_are_the_same_origin() {
        assert_eq!(
            verdict(&policy("https://a.com"), "https://a.com:443/x"),
            Ok(())
        );
        assert_eq!(
            verdict(&policy("http://a.com:80"), "http://a.com/x"),
            Ok(())
        );
    }

    #[test]
    fn host_names_compare_without_case() {
        assert_eq!(
            verdict(
                &policy("https://App.Konecty.com"),
                "https://app.KONECTY.com/"
            ),
            Ok(())
        );
    }

    #[test]
    fn another_scheme_is_denied() {
        let p = policy("https://a.com");
        assert!(matches!(
            verdict(&p, "http://a.com/"),
            Err(Denial::OtherOrigin { .. })
        ));
        assert!(matches!(
            verdict(&p, "ftp://a.com/"),
            Err(Denial::Scheme(_))
        ));
    }

    #[test]
    fn another_port_is_denied() {
        let p = policy("http://127.0.0.1:3000");
        assert!(matches!(
            verdict(&p, "http://127.0.0.1:3001/"),
            Err(Denial::OtherOrigin { .. })
        ));
        assert!(matches!(
            verdict(&p, "http://127.0.0.1/"),
            Err(Denial::OtherOrigin { .. })
        ));
    }

    #[test]
    fn another_host_is_denied_even_if_it_is_the_same_machine() {
        let p = policy("http://127.0.0.1:3000");
        assert!(matches!(
            verdict(&p, "http://localhost:3000/"),
            Err(Denial::OtherOrigin { .. })
        ));
        assert!(matches!(
            verdict(&p, "http://127.0.0.2:3000/"),
            Err(Denial::OtherOrigin { .. })
        ));
        assert!(matches!(
            verdict(&p, "http://[::1]:3000/"),
            Err(Denial::OtherOrigin { .. })
        ));
    }

    #[test]
    fn suffixes_and_trailing_dots_are_other_hosts() {
        let p = policy("https://a.com");
        for url in [
            "https://a.com.evil.io/",
            "https://evila.com/",
            "https://a.com./",
        ] {
            assert!(
                matches!(verdict(&p, url), Err(Denial::OtherOrigin { .. })),
                "{url} was allowed"
            );
        }
    }

    #[test]
    fn user_info_is_denied() {
        let p = policy("https://a.com");
        assert_eq!(verdict(&p, "https://evil.io@a.com/"), Err(Denial::UserInfo));
    }

    #[test]
    fn a_path_only_uri_is_denied() {
        assert_eq!(
            verdict(&policy("https://a.com"), "/api"),
            Err(Denial::Scheme(String::new()))
        );
    }

    #[test]
    fn no_grant_denies_everything() {
        let p = HttpPolicy::new(None, Timeouts::default(), false);
        assert_eq!(verdict(&p, "https://a.com/"), Err(Denial::NoGrant));
    }

    #[test]
    fn ipv6_literals_match_exactly() {
        let p = policy("http://[::1]:8080");
        assert_eq!(verdict(&p, "http://[::1]:8080/x"), Ok(()));
        assert!(verdict(&p, "http://[::2]:8080/x").is_err());
    }

    #[test]
    fn base_urls_that_are_not_origins_are_refused() {
        for url in [
            "app.konecty.com",
            "ftp://a.com",
            "https://u:p@a.com",
            "https://a.com/?x=1",
            "",
        ] {
            assert!(Origin::of_base_url(url).is_err(), "{url:?} was accepted");
        }
    }

    #[test]
    fn component_timeouts_are_capped_by_the_host() {
        let p = policy("https://a.com");
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_secs(600)),
            first_byte_timeout: Some(Duration::from_secs(1)),
            between_bytes_timeout: None,
        };
        let applied = p.clamp(Some(asked));
        assert_eq!(applied.connect_timeout, Some(Duration::from_secs(10)));
        assert_eq!(applied.first_byte_timeout, Some(Duration::from_secs(1)));
        assert_eq!(applied.between_bytes_timeout, Some(Duration::from_secs(30)));
    }
}
