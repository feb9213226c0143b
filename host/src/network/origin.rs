//! An origin, `scheme://host:port`: what a grant names and what every request is matched
//! against, port and scheme included; and why a request was denied.

use std::fmt;
use std::net::IpAddr;

use http::Uri;

use crate::network::addresses::Restricted;

/// `scheme://host:port`, with the port always explicit and the host lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    secure: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of a base URL given by the user, such as `--host https://app.konecty.com/`.
    pub fn of_base_url(url: &str) -> Result<Origin, String> {
        // Refused without echoing it: the part before `@` may be a password.
        if url.contains('@') {
            return Err("a host URL must not carry a user name or password (user@host)".into());
        }
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
            Denial::Port(port) => format!("{url:?}: port {port} is not a port number (1-65535)"),
            other => format!("{url:?}: {other}"),
        })
    }

    pub(crate) fn of_uri(uri: &Uri) -> Result<Origin, Denial> {
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
        // What follows the host: nothing, or `:port` with a real port. `http::Uri` reads an
        // out-of-range port as no port, which would mean the scheme's default.
        let written_port = authority.as_str()[host.len()..].strip_prefix(':');
        let port = match written_port {
            None | Some("") => {
                if secure {
                    443
                } else {
                    80
                }
            }
            Some(text) => match text.parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(Denial::Port(text.chars().take(20).collect())),
            },
        };
        Ok(Origin {
            secure,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl Origin {
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// The host as in the URL: a lower-case name, an IPv4 address, or `[v6]`.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address, when the host is given as one.
    pub fn ip_literal(&self) -> Option<IpAddr> {
        let bare = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host);
        bare.parse().ok()
    }

    /// This machine: `localhost` or a loopback address. Plain http is fine here (nothing
    /// crosses a network); elsewhere it needs `--allow-insecure-http`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.ip_literal().is_some_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
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
    /// A port outside 1..=65535 (which a URI parser would otherwise read as "none").
    Port(String),
    /// A well-formed URL for another origin.
    OtherOrigin { granted: Origin, requested: Origin },
    /// The granted origin's name resolves to an address a name may not lead to.
    Address {
        host: String,
        ip: IpAddr,
        class: Restricted,
    },
    /// `localhost` resolves somewhere other than this machine.
    NotLoopback { host: String, ip: IpAddr },
    /// The request carries a token the record says another origin issued.
    TokenOfAnotherOrigin { issuer: String },
    /// The record of issued tokens cannot be trusted, so no token is sent.
    TokenRecord(String),
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::NoGrant => write!(f, "no HTTP access was granted for this call"),
            Denial::Scheme(s) => write!(f, "scheme {s:?} is not http or https"),
            Denial::NoAuthority => write!(f, "the URL names no host"),
            Denial::UserInfo => write!(f, "URLs with user info are refused"),
            Denial::Port(port) => write!(f, "port {port} is not a port number (1-65535)"),
            Denial::OtherOrigin { granted, requested } => {
                write!(f, "{requested} is not the granted origin {granted}")
            }
            Denial::Address { host, ip, class } if class.is_private_network() => write!(
                f,
                "{host} resolves to {ip}, {class}; for a Konecty on a private network pass \
                 --allow-private-network"
            ),
            Denial::Address { host, ip, class } => write!(f, "{host} resolves to {ip}, {class}"),
            Denial::NotLoopback { host, ip } => {
                write!(f, "{host} resolves to {ip}, which is not this machine")
            }
            Denial::TokenOfAnotherOrigin { issuer } => write!(
                f,
                "the request carries a token that {issuer} issued; it goes to no other host"
            ),
            Denial::TokenRecord(why) => write!(f, "no token is sent: {why}"),
        }
    }
}
