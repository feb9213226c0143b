//! Sends one request the policy allowed, replacing wasmtime's `default_send_request`, which
//! resolves the name and connects to whatever DNS says, has no whole-request deadline and
//! no size limit. Here the host resolves the name itself, refuses restricted addresses,
//! connects to the address it checked (so DNS rebinding cannot move the request), speaks
//! TLS with rustls and the webpki roots, and enforces its limits whatever the component
//! asked for.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, WasiBody};

use crate::addresses::{Restricted, restriction};
use crate::audit::{RequestEvent, RequestOutcome};
use crate::policy::{Denial, Incident, Limits, Origin, Watch};

/// How long a connection outlives the request deadline, so that the deadline is what ends it.
const CONNECTION_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Names pinned to addresses by `--resolve`, lower-cased.
pub type Overrides = Arc<[(String, IpAddr)]>;

/// Sends `request` to `origin`, which the policy has already matched.
pub async fn send(
    mut request: http::Request<WasiBody>,
    origin: Origin,
    overrides: Overrides,
    limits: Limits,
    watch: Watch,
) -> Result<http::Response<WasiBody>, Error> {
    let started = Instant::now();
    let pending = Pending {
        watch: Some(watch),
        started,
    };
    let deadline = tokio::time::Instant::now() + limits.request;

    let connect_by = deadline.min(tokio::time::Instant::now() + limits.connect);
    // Name lookup counts as connecting: a resolver that never answers is bounded too.
    let looked_up = tokio::time::timeout_at(connect_by, addresses(&origin, &overrides))
        .await
        .unwrap_or_else(|_| {
            Err(Unsendable::Failed(
                Error::DnsTimeout,
                "name lookup timed out".into(),
            ))
        });
    let connected = match looked_up {
        Ok(addresses) => connect(&origin, &addresses, connect_by).await,
        Err(Unsendable::Denied(denial)) => {
            let reason = denial.to_string();
            pending.watch().incident(Incident::Denied(denial));
            pending.report(RequestOutcome::Denied { reason });
            return Err(Error::HttpRequestDenied);
        }
        Err(Unsendable::Failed(error, why)) => Err((error, why)),
    };
    let stream = match connected {
        Ok(stream) => stream,
        Err((error, why)) => {
            // Looking up and connecting share one limit.
            if matches!(error, Error::DnsTimeout | Error::ConnectionTimeout) {
                pending.watch().incident(Incident::TimedOut {
                    origin: origin.clone(),
                    limit: limits.connect.min(limits.request),
                    connecting: true,
                });
            }
            pending.failed(why);
            return Err(error);
        }
    };

    // The request line carries the path only; scheme and authority are for proxies.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .parse()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    *request.uri_mut() = path;

    let answered = tokio::time::timeout_at(deadline, async {
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // The connection ends with the request, or shortly after the deadline: late
        // enough that the deadline itself, not a dropped connection, reports the timeout.
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline + CONNECTION_GRACE, connection).await;
        });
        sender.send_request(request).await
    })
    .await;

    let response = match answered {
        Ok(Ok(response)) => response,
        Ok(Err(error)) if tokio::time::Instant::now() < deadline => {
            pending.failed(short_error(&error.to_string()));
            return Err(error.into());
        }
        Ok(Err(_)) | Err(_) => {
            pending.watch().incident(Incident::TimedOut {
                origin,
                limit: limits.request,
                connecting: false,
            });
            pending.failed("timed out".into());
            return Err(Error::HttpResponseTimeout);
        }
    };

    let status = response.status().as_u16();
    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, incoming) = response.into_parts();
    let mut body = LimitedBody {
        incoming: Some(incoming),
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        limits,
        origin,
        read: 0,
        status,
        started,
        error: None,
        watch: Some(pending.answered()),
    };
    // A declared length over the cap fails now, before a byte of it is read.
    if declared.is_some_and(|length| length > limits.body) {
        body.too_large();
        return Err(Error::HttpResponseBodySize(declared));
    }
    Ok(http::Response::from_parts(parts, WasiBody::new(body)))
}

enum Unsendable {
    Denied(Denial),
    Failed(Error, String),
}

/// The addresses to connect to: an address literal as given, else the name's addresses,
/// every one of which must be public (`localhost` may only be loopback).
async fn addresses(
    origin: &Origin,
    overrides: &[(String, IpAddr)],
) -> Result<Vec<SocketAddr>, Unsendable> {
    let port = origin.port();
    if let Some(ip) = origin.ip_literal() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let name = origin.host();
    let ips: Vec<IpAddr> = match overrides.iter().find(|(pinned, _)| pinned == name) {
        Some((_, ip)) => vec![*ip],
        None => tokio::net::lookup_host((name, port))
            .await
            .map_err(|e| {
                Unsendable::Failed(
                    Error::DestinationNotFound,
                    format!("cannot resolve {name}: {e}"),
                )
            })?
            .map(|addr| addr.ip())
            .collect(),
    };
    if ips.is_empty() {
        return Err(Unsendable::Failed(
            Error::DestinationNotFound,
            format!("{name} has no address"),
        ));
    }
    for &ip in &ips {
        check_address(name, ip).map_err(Unsendable::Denied)?;
    }
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// Whether `name` may lead to `ip`.
pub fn check_address(name: &str, ip: IpAddr) -> Result<(), Denial> {
    match restriction(ip) {
        // `localhost` means this machine, so only loopback (see `Origin::is_loopback`).
        Some(Restricted::Loopback) if name == "localhost" => Ok(()),
        None if name != "localhost" => Ok(()),
        None => Err(Denial::NotLoopback {
            host: name.to_string(),
            ip,
        }),
        Some(class) => Err(Denial::Address {
            host: name.to_string(),
            ip,
            class,
        }),
    }
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

async fn connect(
    origin: &Origin,
    addresses: &[SocketAddr],
    by: tokio::time::Instant,
) -> Result<Box<dyn Stream>, (Error, String)> {
    let mut last = (Error::ConnectionRefused, "no address".to_string());
    let mut tcp = None;
    for address in addresses {
        match tokio::time::timeout_at(by, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Ok(Err(e)) => last = (Error::Connect(e), format!("cannot connect to {address}")),
            Err(_) => return Err((Error::ConnectionTimeout, "connect timed out".into())),
        }
    }
    let Some(tcp) = tcp else { return Err(last) };
    if !origin.secure() {
        return Ok(Box::new(tcp));
    }
    let server_name = match origin.ip_literal() {
        Some(ip) => rustls::pki_types::ServerName::from(ip),
        None => rustls::pki_types::ServerName::try_from(origin.host().to_string())
            .map_err(|_| (Error::HttpRequestUriInvalid, "not a TLS name".into()))?,
    };
    let connector = tokio_rustls::TlsConnector::from(tls_config());
    match tokio::time::timeout_at(by, connector.connect(server_name, tcp)).await {
        Ok(Ok(tls)) => Ok(Box::new(tls)),
        Ok(Err(e)) => {
            let why = format!("TLS: {e}");
            Err((Error::Tls(e), why))
        }
        Err(_) => Err((Error::ConnectionTimeout, "TLS handshake timed out".into())),
    }
}

/// rustls with the ring provider named explicitly (no process-wide default to race for)
/// and the Mozilla roots from webpki-roots.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// The first line of an error, bounded: for logs, never a body.
fn short_error(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}

/// A response body that stops at the size cap and at the request's deadline, and reports
/// the request (with the bytes read) when it is dropped.
struct LimitedBody {
    incoming: Option<Incoming>,
    deadline: Pin<Box<Sleep>>,
    limits: Limits,
    origin: Origin,
    read: u64,
    status: u16,
    started: Instant,
    error: Option<String>,
    watch: Option<Watch>,
}

impl LimitedBody {
    fn too_large(&mut self) {
        self.error = Some(format!(
            "larger than {}",
            Limits::describe_size(self.limits.body)
        ));
        if let Some(watch) = &self.watch {
            watch.incident(Incident::TooLarge {
                origin: self.origin.clone(),
                limit: self.limits.body,
            });
        }
        self.incoming = None;
    }
}

impl LimitedBody {
    fn timed_out(&mut self) -> Error {
        self.error = Some("timed out".into());
        if let Some(watch) = &self.watch {
            watch.incident(Incident::TimedOut {
                origin: self.origin.clone(),
                limit: self.limits.request,
                connecting: false,
            });
        }
        Error::HttpResponseTimeout
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        let Some(incoming) = this.incoming.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                    if this.read > this.limits.body {
                        this.too_large();
                        return Poll::Ready(Some(Err(Error::HttpResponseBodySize(Some(
                            this.limits.body,
                        )))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.incoming = None;
                // Past the deadline, a cut connection is the deadline's doing.
                if this.deadline.is_elapsed() {
                    return Poll::Ready(Some(Err(this.timed_out())));
                }
                this.error = Some(short_error(&error.to_string()));
                Poll::Ready(Some(Err(error.into())))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.incoming = None;
                    return Poll::Ready(Some(Err(this.timed_out())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.as_ref().is_none_or(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Incoming::size_hint)
    }
}

impl Drop for LimitedBody {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.event(RequestOutcome::Answered {
                status: self.status,
                bytes: self.read,
                elapsed: self.started.elapsed(),
                error: self.error.take(),
            });
        }
    }
}

/// A request not yet answered. Whatever ends it, the component dropping it midway
/// included, reports it exactly once.
struct Pending {
    watch: Option<Watch>,
    started: Instant,
}

impl Pending {
    fn watch(&self) -> &Watch {
        self.watch
            .as_ref()
            .expect("a pending request has its watch until reported")
    }

    fn report(mut self, outcome: RequestOutcome) {
        if let Some(watch) = self.watch.take() {
            watch.event(outcome);
        }
    }

    fn failed(self, error: String) {
        let elapsed = self.started.elapsed();
        self.report(RequestOutcome::Failed { error, elapsed });
    }

    /// Headers arrived: from here the body reports the request.
    fn answered(mut self) -> Watch {
        self.watch
            .take()
            .expect("a pending request has its watch until reported")
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.event(RequestOutcome::Failed {
                error: "abandoned before an answer".into(),
                elapsed: self.started.elapsed(),
            });
        }
    }
}

impl Watch {
    fn event(&self, outcome: RequestOutcome) {
        self.observer.request(&RequestEvent {
            method: self.method.clone(),
            origin: self.origin.clone(),
            path: self.path.clone(),
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_name_may_lead_to_a_public_address() {
        assert_eq!(check_address("app.konecty.com", ip("203.0.114.9")), Ok(()));
    }

    #[test]
    fn a_name_may_not_lead_to_a_restricted_address() {
        for address in [
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "::ffff:127.0.0.1",
            "fd00::1",
        ] {
            assert!(
                check_address("app.konecty.com", ip(address)).is_err(),
                "app.konecty.com -> {address} was allowed"
            );
        }
    }

    #[test]
    fn localhost_may_lead_to_loopback_only() {
        assert_eq!(check_address("localhost", ip("127.0.0.1")), Ok(()));
        assert_eq!(check_address("localhost", ip("::1")), Ok(()));
        assert!(check_address("localhost", ip("10.0.0.1")).is_err());
        assert!(check_address("localhost", ip("8.8.8.8")).is_err());
        assert!(check_address("localhost.evil.io", ip("127.0.0.1")).is_err());
    }

    fn resolved(url: &str, overrides: &[(&str, &str)]) -> Result<Vec<SocketAddr>, String> {
        let origin = Origin::of_base_url(url).unwrap();
        let overrides: Vec<(String, IpAddr)> = overrides
            .iter()
            .map(|(n, a)| (n.to_string(), ip(a)))
            .collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(addresses(&origin, &overrides))
            .map_err(|refused| match refused {
                Unsendable::Denied(denial) => denial.to_string(),
                Unsendable::Failed(_, why) => why,
            })
    }

    #[test]
    fn address_literals_are_used_as_given() {
        assert_eq!(
            resolved("http://10.0.0.7:8080", &[]),
            Ok(vec!["10.0.0.7:8080".parse().unwrap()])
        );
        assert_eq!(
            resolved("https://[::1]", &[]),
            Ok(vec!["[::1]:443".parse().unwrap()])
        );
    }

    #[test]
    fn pinned_names_are_checked_like_resolved_ones() {
        assert_eq!(
            resolved("https://konecty.test", &[("konecty.test", "203.0.114.9")]),
            Ok(vec!["203.0.114.9:443".parse().unwrap()])
        );
        assert_eq!(
            resolved("https://konecty.test", &[("konecty.test", "10.1.2.3")]),
            Err("konecty.test resolves to 10.1.2.3, a private address".into())
        );
    }
}
