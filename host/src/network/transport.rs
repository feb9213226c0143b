//! Sends one request the policy allowed, replacing wasmtime's `default_send_request`, which
//! resolves the name and connects to whatever DNS says, has no whole-request deadline and
//! no size limit. Here the host resolves the name itself, refuses restricted addresses,
//! connects to the address it checked (so DNS rebinding cannot move the request), or goes
//! through the proxy the rules name (`proxy`), speaks TLS with rustls and the trusted
//! authorities (`trust`), and enforces its limits whatever the component asked for.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http::Uri;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, WasiBody};

use crate::audit::{RequestEvent, RequestOutcome};
use crate::network::addresses::{Restricted, restriction};
use crate::network::in_flight::Watch;
use crate::network::incident::Incident;
use crate::network::limits::Limits;
use crate::network::origin::Denial;
use crate::network::origin::Origin;
use crate::network::proxy::Proxy;
use crate::network::settings::Network;
use crate::network::trust::{Trust, untrusted_reason};

/// `konecty-session/<version>`: the User-Agent of every request, and the `source` the
/// server records with a session.
pub const USER_AGENT: &str = concat!("konecty-session/", env!("CARGO_PKG_VERSION"));

/// How long a connection outlives the request deadline, so that the deadline is what ends it.
const CONNECTION_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Sends `request` to `origin`, which the policy has already matched.
pub async fn send(
    mut request: http::Request<WasiBody>,
    origin: Origin,
    network: Network,
    limits: Limits,
    mut watch: Watch,
) -> Result<http::Response<WasiBody>, Error> {
    let started = Instant::now();
    let route = network.proxy.route(&origin);
    watch.via = route
        .as_ref()
        .ok()
        .and_then(|proxy| proxy.as_ref().map(|p| p.shown().to_string()));
    let pending = Pending {
        watch: Some(watch),
        started,
    };
    let proxy = match route {
        Ok(proxy) => proxy,
        Err(setting) => {
            let why = setting.to_string();
            pending.watch().incident(Incident::ProxySetting(setting));
            pending.failed(why);
            return Err(Error::HttpRequestDenied);
        }
    };
    let deadline = tokio::time::Instant::now() + limits.request;

    // Only the host speaks to a proxy: the component's own `Proxy-*` headers are dropped.
    let proxy_headers: Vec<_> = request
        .headers()
        .keys()
        .filter(|name| name.as_str().starts_with("proxy-"))
        .cloned()
        .collect();
    for name in proxy_headers {
        request.headers_mut().remove(name);
    }
    // Konecty's access log reads this: the host says which program calls, whatever the
    // component claims.
    request.headers_mut().insert(
        http::header::USER_AGENT,
        http::HeaderValue::from_static(USER_AGENT),
    );

    // Name lookup, connecting, the proxy's tunnel and the TLS handshake share one limit.
    let connect_by = deadline.min(tokio::time::Instant::now() + limits.connect);
    let opened = tokio::time::timeout_at(connect_by, open(&origin, proxy.as_ref(), &network))
        .await
        .unwrap_or(Err(Unsendable::TimedOut));
    let stream = match opened {
        Ok(stream) => stream,
        Err(Unsendable::Denied(denial)) => {
            let reason = denial.to_string();
            pending.watch().incident(Incident::Denied(denial));
            pending.report(RequestOutcome::Denied { reason });
            return Err(Error::HttpRequestDenied);
        }
        Err(Unsendable::TimedOut) => {
            pending.watch().incident(Incident::TimedOut {
                origin: origin.clone(),
                limit: limits.connect.min(limits.request),
                connecting: true,
                via: proxy.as_ref().map(|p| p.shown().to_string()),
            });
            pending.failed("connect timed out".into());
            return Err(Error::ConnectionTimeout);
        }
        Err(Unsendable::Stopped(incident, error)) => {
            let why = short_error(&incident.to_string());
            pending.watch().incident(incident);
            pending.failed(why);
            return Err(error);
        }
        Err(Unsendable::Failed(error, why)) => {
            pending.failed(why);
            return Err(error);
        }
    };

    match &proxy {
        // Plain http through a proxy: the request line carries the whole URL (absolute
        // form), and the proxy's credentials go along.
        Some(proxy) if !origin.secure() => {
            if let Some(authorization) = proxy.authorization() {
                request
                    .headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, authorization.clone());
            }
            let absolute: Uri = format!("http://{}:{}{}", origin.host(), origin.port(), {
                request.uri().path_and_query().map_or("/", |p| p.as_str())
            })
            .parse()
            .map_err(|_| Error::HttpRequestUriInvalid)?;
            *request.uri_mut() = absolute;
        }
        // Otherwise the request line carries the path only.
        _ => {
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .parse()
                .map_err(|_| Error::HttpRequestUriInvalid)?;
            *request.uri_mut() = path;
        }
    }

    // The connection counts as in flight until it ends, whatever the component drops first.
    let slot = pending.watch().slot.clone();
    let answered = tokio::time::timeout_at(deadline, async {
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // The connection ends with the request, or shortly after the deadline: late
        // enough that the deadline itself, not a dropped connection, reports the timeout.
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline + CONNECTION_GRACE, connection).await;
            drop(slot);
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
                via: None,
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
    /// Refused by the address rules.
    Denied(Denial),
    /// The connect limit ran out.
    TimedOut,
    /// Stopped for a reason the host tells the user in its own words.
    Stopped(Incident, Error),
    /// Failed as networks do (refused, unreachable): the component's error says enough.
    Failed(Error, String),
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// A connection ready for the request: direct to a checked address, or through the proxy
/// (a CONNECT tunnel for https, the proxy itself for plain http), with TLS for https.
async fn open(
    origin: &Origin,
    proxy: Option<&Proxy>,
    network: &Network,
) -> Result<Box<dyn Stream>, Unsendable> {
    let tcp = match proxy {
        None => {
            let addresses = addresses(origin, &network.overrides, network.private_network).await?;
            connect(&addresses).await?
        }
        Some(proxy) => {
            let tcp = connect_proxy(proxy, origin).await?;
            if !origin.secure() {
                return Ok(Box::new(tcp));
            }
            tunnel(tcp, proxy, origin).await?
        }
    };
    if !origin.secure() {
        return Ok(Box::new(tcp));
    }
    tls(origin, tcp, &network.trust).await
}

/// The addresses to connect to: an address literal as given, else the name's addresses,
/// every one of which must be allowed (see [`check_address`]).
async fn addresses(
    origin: &Origin,
    overrides: &[(String, IpAddr)],
    private_network: bool,
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
        check_address(name, ip, private_network).map_err(Unsendable::Denied)?;
    }
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// Whether `name` may lead to `ip`: public addresses only, `localhost` to loopback only,
/// and with `private_network` also the networks a self-hosted server sits on.
pub fn check_address(name: &str, ip: IpAddr, private_network: bool) -> Result<(), Denial> {
    let class = restriction(ip);
    // `localhost` means this machine, so only loopback (see `Origin::is_loopback`), whatever
    // the flags.
    if name == "localhost" {
        return match class {
            Some(Restricted::Loopback) => Ok(()),
            _ => Err(Denial::NotLoopback {
                host: name.to_string(),
                ip,
            }),
        };
    }
    match class {
        None => Ok(()),
        Some(class) if private_network && class.is_private_network() => Ok(()),
        Some(class) => Err(Denial::Address {
            host: name.to_string(),
            ip,
            class,
        }),
    }
}

async fn connect(addresses: &[SocketAddr]) -> Result<TcpStream, Unsendable> {
    let mut last = Unsendable::Failed(Error::ConnectionRefused, "no address".into());
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                last = Unsendable::Failed(Error::Connect(e), format!("cannot connect to {address}"))
            }
        }
    }
    Err(last)
}

/// A TCP connection to the proxy. Its address is the user's configuration (a loopback proxy
/// is how agent sandboxes let traffic out), so it is not checked like the origin's.
async fn connect_proxy(proxy: &Proxy, origin: &Origin) -> Result<TcpStream, Unsendable> {
    TcpStream::connect(proxy.address()).await.map_err(|e| {
        Unsendable::Stopped(
            Incident::Proxy {
                proxy: proxy.shown().to_string(),
                origin: origin.clone(),
                reason: format!("cannot connect to it ({})", io_reason(&e)),
            },
            Error::ConnectionRefused,
        )
    })
}

/// `CONNECT host:port` through the proxy: TLS then runs end to end with the origin, so the
/// proxy sees neither the code nor the token. Ours rather than hyper-util's `Tunnel`, whose
/// error type is private and drops the proxy's status, the one thing a user needs to see.
async fn tunnel(
    mut tcp: TcpStream,
    proxy: &Proxy,
    origin: &Origin,
) -> Result<TcpStream, Unsendable> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// The most of the proxy's answer read before giving up on it.
    const MAX_ANSWER: usize = 8 * 1024;

    let refused = |reason: String| {
        Unsendable::Stopped(
            Incident::Proxy {
                proxy: proxy.shown().to_string(),
                origin: origin.clone(),
                reason,
            },
            Error::DestinationUnavailable,
        )
    };
    let target = format!("{}:{}", origin.host(), origin.port());
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
    if let Some(authorization) = proxy.authorization() {
        request.extend_from_slice(b"Proxy-Authorization: ");
        request.extend_from_slice(authorization.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    tcp.write_all(&request)
        .await
        .map_err(|e| refused(format!("{} during CONNECT", io_reason(&e))))?;

    // The answer's head, a byte at a time: whatever follows it belongs to TLS.
    let mut answer = Vec::with_capacity(128);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_ANSWER {
            return Err(refused("its answer to CONNECT was too long".into()));
        }
        let byte = tcp
            .read_u8()
            .await
            .map_err(|e| refused(format!("{} during CONNECT", io_reason(&e))))?;
        answer.push(byte);
    }
    match connect_status(&answer) {
        Some((200..=299, _)) => Ok(tcp),
        Some((407, _)) if proxy.authorization().is_some() => Err(refused(
            "it refused the credentials in the proxy URL (407)".into(),
        )),
        Some((407, _)) => Err(refused(
            "it asks for credentials (407): give them in the proxy URL, \
             http://user:password@host:port"
                .into(),
        )),
        Some((status, reason)) => Err(refused(format!("it answered {status} {reason}"))),
        None => Err(refused("its answer to CONNECT was not HTTP".into())),
    }
}

/// The status and reason of an HTTP/1 answer head, the reason made printable and short (it
/// comes from the proxy).
fn connect_status(head: &[u8]) -> Option<(u16, String)> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let rest = line.strip_prefix("HTTP/1.")?.get(2..)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 {
        return None;
    }
    let status = code.parse().ok()?;
    let reason = crate::sanitize::printable(reason.trim(), 60);
    Some((status, reason))
}

async fn tls(
    origin: &Origin,
    tcp: impl Stream,
    trust: &Trust,
) -> Result<Box<dyn Stream>, Unsendable> {
    let server_name =
        match origin.ip_literal() {
            Some(ip) => rustls::pki_types::ServerName::from(ip),
            None => rustls::pki_types::ServerName::try_from(origin.host().to_string()).map_err(
                |_| Unsendable::Failed(Error::HttpRequestUriInvalid, "not a TLS name".into()),
            )?,
        };
    let config = trust
        .client_config()
        .map_err(|e| Unsendable::Stopped(Incident::Trust(e), Error::TlsCertificateError))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    match connector.connect(server_name, tcp).await {
        Ok(tls) => Ok(Box::new(tls)),
        Err(e) => match untrusted_reason(&e) {
            Some(reason) => Err(Unsendable::Stopped(
                Incident::Untrusted {
                    origin: origin.clone(),
                    reason,
                },
                Error::TlsCertificateError,
            )),
            None => {
                let why = short_error(&format!("TLS: {e}"));
                Err(Unsendable::Failed(Error::Tls(e), why))
            }
        },
    }
}

/// An I/O error in a few words, without the OS's error number.
fn io_reason(error: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match error.kind() {
        ConnectionRefused => "connection refused".into(),
        ConnectionReset => "connection reset".into(),
        UnexpectedEof => "connection closed".into(),
        TimedOut => "timed out".into(),
        _ => short_error(&error.to_string()),
    }
}

/// The first line of an error, printable and bounded: for logs, never a body.
fn short_error(text: &str) -> String {
    crate::sanitize::first_line(text, 120)
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
                via: None,
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
            via: self.via.clone(),
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
    fn a_proxys_answer_to_connect_is_read_for_its_status() {
        assert_eq!(
            connect_status(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some((200, "Connection established".into()))
        );
        assert_eq!(
            connect_status(b"HTTP/1.0 403 Forbidden \x1b[31mred\r\nx: y\r\n\r\n"),
            Some((403, "Forbidden \u{FFFD}[31mred".into())),
            "the proxy's words are made printable"
        );
        assert_eq!(
            connect_status(b"HTTP/1.1 502\r\n\r\n"),
            Some((502, String::new()))
        );
        assert_eq!(connect_status(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(connect_status(b"HTTP/1.1 2000 OK\r\n\r\n"), None);
    }

    #[test]
    fn a_name_may_lead_to_a_public_address() {
        assert_eq!(
            check_address("app.konecty.com", ip("203.0.114.9"), false),
            Ok(())
        );
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
                check_address("app.konecty.com", ip(address), false).is_err(),
                "app.konecty.com -> {address} was allowed"
            );
        }
    }

    #[test]
    fn localhost_may_lead_to_loopback_only() {
        assert_eq!(check_address("localhost", ip("127.0.0.1"), false), Ok(()));
        assert_eq!(check_address("localhost", ip("::1"), false), Ok(()));
        assert!(check_address("localhost", ip("10.0.0.1"), false).is_err());
        assert!(check_address("localhost", ip("8.8.8.8"), false).is_err());
        assert!(check_address("localhost.evil.io", ip("127.0.0.1"), false).is_err());
    }

    #[test]
    fn the_private_network_flag_lets_a_name_lead_to_where_self_hosted_servers_sit() {
        for address in [
            "10.0.0.1",
            "192.168.1.9",
            "127.0.0.1",
            "100.64.0.1",
            "fd00::1",
        ] {
            assert_eq!(
                check_address("crm.intranet", ip(address), true),
                Ok(()),
                "crm.intranet -> {address} with --allow-private-network"
            );
        }
    }

    #[test]
    fn no_flag_lets_a_name_lead_to_a_metadata_service() {
        for address in [
            "169.254.169.254",
            "fd00:ec2::254",
            "192.0.0.192",
            "::ffff:169.254.169.254",
        ] {
            assert!(
                matches!(
                    check_address("crm.intranet", ip(address), true),
                    Err(Denial::Address {
                        class: Restricted::Metadata,
                        ..
                    })
                ),
                "crm.intranet -> {address} was allowed"
            );
        }
        assert!(
            check_address("localhost", ip("10.0.0.1"), true).is_err(),
            "localhost stays this machine with the flag too"
        );
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
            .block_on(addresses(&origin, &overrides, false))
            .map_err(|refused| match refused {
                Unsendable::Denied(denial) => denial.to_string(),
                Unsendable::Failed(_, why) => why,
                Unsendable::TimedOut => "timed out".into(),
                Unsendable::Stopped(incident, _) => incident.to_string(),
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
            Err(
                "konecty.test resolves to 10.1.2.3, a private address; for a Konecty on a \
                 private network pass --allow-private-network"
                    .into()
            )
        );
    }
}
