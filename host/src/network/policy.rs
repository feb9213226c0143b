//! The outbound HTTP grant: one exact origin. Anything not proven to be that origin is
//! denied, and the denial is both returned to the component (as `http-request-denied`) and
//! kept for the host to report.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use http::Uri;
use wasmtime_wasi_http::{RequestOptions, WasiBody, WasiHttpHooks};

use crate::audit::{Observer, RequestEvent, RequestOutcome};
use crate::files::issued::IssuedTokens;
use crate::network::in_flight::{InFlight, Watch};
use crate::network::incident::{Incident, Incidents};
use crate::network::limits::Limits;
use crate::network::origin::Denial;
use crate::network::origin::Origin;
use crate::network::settings::Network;
use crate::network::transport;
/// The `WasiHttpHooks` of a sandbox: the grant, and what it refused or stopped.
pub struct HttpPolicy {
    granted: Option<Origin>,
    limits: Limits,
    network: Network,
    incidents: Incidents,
    observer: Arc<Observer>,
    in_flight: Arc<AtomicUsize>,
    issued: Option<IssuedTokens>,
}

impl HttpPolicy {
    pub fn new(
        granted: Option<Origin>,
        limits: Limits,
        network: Network,
        observer: Arc<Observer>,
        issued: Option<IssuedTokens>,
    ) -> Self {
        HttpPolicy {
            granted,
            limits,
            network,
            incidents: Incidents::default(),
            observer,
            in_flight: Arc::default(),
            issued,
        }
    }

    /// What was refused or stopped so far, oldest first.
    pub fn incidents(&self) -> Vec<Incident> {
        self.incidents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// A token in the request goes only to the origin that issued it (when the record knows).
    pub fn check_token(
        &self,
        request: &http::Request<WasiBody>,
        origin: &Origin,
    ) -> Result<(), Denial> {
        let Some(issued) = &self.issued else {
            return Ok(());
        };
        let Some(token) = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(());
        };
        match issued.origin_of(token) {
            Ok(Some(issuer)) if issuer != origin.to_string() => {
                Err(Denial::TokenOfAnotherOrigin { issuer })
            }
            Ok(_) => Ok(()),
            Err(e) => Err(Denial::TokenRecord(format!("{e:#}"))),
        }
    }

    pub fn check(&self, uri: &Uri) -> Result<Origin, Denial> {
        let granted = self.granted.as_ref().ok_or(Denial::NoGrant)?;
        let requested = Origin::of_uri(uri)?;
        if requested == *granted {
            Ok(requested)
        } else {
            Err(Denial::OtherOrigin {
                granted: granted.clone(),
                requested,
            })
        }
    }
}

type Io = Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;
type Sent = Result<(http::Response<WasiBody>, Io), wasmtime_wasi_http::Error>;

impl WasiHttpHooks for HttpPolicy {
    /// Bodies the component sends (small JSON) are buffered 64 KiB at a time, not 1 MiB.
    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        64 * 1024
    }

    /// The component's own timeouts are ignored: the host's limits apply to every request.
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _response_errors: Io,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        let watch = Watch {
            observer: Arc::clone(&self.observer),
            incidents: Arc::clone(&self.incidents),
            method: request.method().to_string(),
            origin: request_origin(request.uri()),
            path: loggable_path(request.uri()),
            via: None,
            slot: None,
        };
        let origin = match self
            .check(request.uri())
            .and_then(|origin| self.check_token(&request, &origin).map(|()| origin))
        {
            Ok(origin) => origin,
            Err(denial) => {
                watch.observer.request(&RequestEvent {
                    method: watch.method.clone(),
                    origin: watch.origin.clone(),
                    path: watch.path.clone(),
                    via: None,
                    outcome: RequestOutcome::Denied {
                        reason: denial.to_string(),
                    },
                });
                watch.incident(Incident::Denied(denial));
                return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
            }
        };
        let Some(slot) = InFlight::take(&self.in_flight) else {
            watch.observer.request(&RequestEvent {
                method: watch.method.clone(),
                origin: watch.origin.clone(),
                path: watch.path.clone(),
                via: None,
                outcome: RequestOutcome::Denied {
                    reason: Incident::TooManyInFlight.to_string(),
                },
            });
            watch.incident(Incident::TooManyInFlight);
            return Box::new(async { Err(wasmtime_wasi_http::Error::ConnectionLimitReached) });
        };
        let mut watch = watch;
        watch.slot = Some(Arc::new(slot));
        let (limits, network) = (self.limits, self.network.clone());
        Box::new(async move {
            let response = transport::send(request, origin, network, limits, watch).await?;
            Ok((response, Box::new(async { Ok(()) }) as Io))
        })
    }
}

/// The origin a request names, for the audit trail, even when it is not a valid one.
fn request_origin(uri: &Uri) -> String {
    match Origin::of_uri(uri) {
        Ok(origin) => origin.to_string(),
        // The host alone: the authority could carry `user:password@`.
        Err(_) => {
            let scheme = uri.scheme_str().unwrap_or("");
            let host = uri.host().unwrap_or("");
            loggable(&format!("{scheme}://{host}"))
        }
    }
}

/// The path alone, for logs: no query (it could carry anything), printable, bounded. Headers
/// and bodies, where tokens, codes, emails and phones travel, are never logged.
fn loggable_path(uri: &Uri) -> String {
    loggable(uri.path())
}

/// Printable and bounded.
fn loggable(text: &str) -> String {
    crate::sanitize::printable(text, 120)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::network::addresses::Restricted;

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
            Limits::default(),
            Network::default(),
            Arc::default(),
            None,
        )
    }

    fn verdict(policy: &HttpPolicy, url: &str) -> Result<(), Denial> {
        policy.check(&url.parse::<Uri>().unwrap()).map(drop)
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
        let p = HttpPolicy::new(
            None,
            Limits::default(),
            Network::default(),
            Arc::default(),
            None,
        );
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
    fn ports_out_of_range_are_refused_not_read_as_the_default() {
        for url in [
            "http://127.0.0.1:65616",
            "https://a.com:0",
            "https://a.com:99999",
            "https://a.com:-1",
            "https://a.com:8o",
        ] {
            let refused = Origin::of_base_url(url);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains("is not a port number")),
                "{url}: expected a port error, got {refused:?}"
            );
        }
        assert_eq!(
            verdict(&policy("http://127.0.0.1:80"), "http://127.0.0.1:65616/"),
            Err(Denial::Port("65616".into())),
            "a request to an impossible port is no request to port 80"
        );
        assert_eq!(Origin::of_base_url("https://a.com:").unwrap().port(), 443);
        assert_eq!(
            Origin::of_base_url("http://[::1]:8080").unwrap().port(),
            8080
        );
    }

    #[test]
    fn only_this_machine_counts_as_loopback() {
        for url in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://127.9.9.9:1",
            "http://[::1]:80",
        ] {
            assert!(
                Origin::of_base_url(url).unwrap().is_loopback(),
                "{url} is loopback"
            );
        }
        for url in [
            "http://a.com",
            "http://10.0.0.1",
            "http://localhost.evil.io",
            "http://[::2]",
        ] {
            assert!(
                !Origin::of_base_url(url).unwrap().is_loopback(),
                "{url} is not loopback"
            );
        }
    }

    #[test]
    fn address_literals_are_recognized_in_both_families() {
        let literal = |url: &str| Origin::of_base_url(url).unwrap().ip_literal();
        assert_eq!(
            literal("http://127.0.0.1:1"),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            literal("https://[::ffff:10.0.0.1]"),
            Some("::ffff:10.0.0.1".parse().unwrap())
        );
        assert_eq!(literal("https://app.konecty.com"), None);
    }

    #[test]
    fn incidents_say_what_the_host_stopped() {
        let origin = Origin::of_base_url("http://127.0.0.1:9").unwrap();
        let timed_out = Incident::TimedOut {
            origin: origin.clone(),
            limit: Duration::from_secs(2),
            connecting: false,
            via: None,
        };
        assert_eq!(
            timed_out.to_string(),
            "no answer from http://127.0.0.1:9 within 2 s (--timeout)"
        );
        let too_large = Incident::TooLarge {
            origin,
            limit: 1024 * 1024,
        };
        assert!(
            too_large.to_string().contains("larger than 1 MiB"),
            "got {too_large}"
        );
        let address = Denial::Address {
            host: "konecty.test".into(),
            ip: "10.1.2.3".parse().unwrap(),
            class: Restricted::Private,
        };
        assert_eq!(
            address.to_string(),
            "konecty.test resolves to 10.1.2.3, a private address; for a Konecty on a private \
             network pass --allow-private-network"
        );
        let origin = Origin::of_base_url("https://crm.example").unwrap();
        let proxy = Incident::Proxy {
            proxy: "http://10.0.0.1:3128".into(),
            origin: origin.clone(),
            reason: "it answered 403 Forbidden".into(),
        };
        assert_eq!(
            proxy.to_string(),
            "could not reach https://crm.example:443 through the proxy http://10.0.0.1:3128: it \
             answered 403 Forbidden"
        );
        let untrusted = Incident::Untrusted {
            origin,
            reason: "expired".into(),
        }
        .to_string();
        assert!(
            untrusted.starts_with("the certificate of crm.example is not trusted (expired)")
                && untrusted.contains("--cacert FILE or SSL_CERT_FILE"),
            "got {untrusted}"
        );
        let metadata = Denial::Address {
            host: "konecty.test".into(),
            ip: "169.254.169.254".parse().unwrap(),
            class: Restricted::Metadata,
        };
        assert_eq!(
            metadata.to_string(),
            "konecty.test resolves to 169.254.169.254, a cloud metadata address",
            "no flag allows a metadata address, so none is suggested"
        );
    }
}
