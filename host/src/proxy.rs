//! Which proxy a request goes through, by curl's rules: `https_proxy`/`HTTPS_PROXY` for
//! https origins, `http_proxy` (lower case only: a CGI server sets `HTTP_PROXY` from a
//! request header, "httpoxy") for http ones, `no_proxy`/`NO_PROXY` to go direct, and
//! `--proxy URL` / `--no-proxy` over the environment. Matching `no_proxy` and parsing
//! credentials are hyper-util's (`Matcher`, the rules reqwest uses); what is ours is
//! validating each URL first, so that a proxy setting we cannot use is an error rather
//! than a silent direct connection, and never echoing a URL that may hold a password.

use std::fmt;

use http::{HeaderValue, Uri};
use hyper_util::client::proxy::matcher::Matcher;

use crate::policy::Origin;

/// Port of a proxy URL that names none (curl's default).
const DEFAULT_PROXY_PORT: u16 = 1080;

/// Where proxy settings come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxySetting {
    /// `https_proxy`, `http_proxy`, `no_proxy` as in the environment (the CLI's default).
    Environment,
    /// `--proxy URL`: every origin, except those `no_proxy` exempts.
    Url(String),
    /// `--no-proxy`, and the embedding API's default: always connect directly.
    Direct,
}

/// The proxy rules of one run: data, consulted once per request by [`ProxyRules::route`].
#[derive(Default)]
pub struct ProxyRules {
    matcher: Option<Matcher>,
}

/// A proxy a request goes through.
#[derive(Clone)]
pub struct Proxy {
    /// `http://host:port`, without credentials: what logs and errors show.
    shown: String,
    host: String,
    port: u16,
    /// `Proxy-Authorization: Basic …`, from the URL's `user:password@`.
    authorization: Option<HeaderValue>,
}

/// A proxy setting that cannot be used. The URL itself is never shown: it may hold a
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    /// Where the setting came from: `--proxy`, `HTTPS_PROXY`, …
    pub source: String,
    pub problem: &'static str,
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.problem)
    }
}

impl std::error::Error for ProxyError {}

/// The environment, as a function so that the rules can be tested without touching it.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl ProxyRules {
    /// Always direct.
    pub fn direct() -> ProxyRules {
        ProxyRules::default()
    }

    /// The rules for `setting`, reading variables through `env` (empty counts as unset).
    pub fn new(setting: &ProxySetting, env: Lookup) -> Result<ProxyRules, ProxyError> {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|name| env(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        };
        let (http, https) = match setting {
            ProxySetting::Direct => return Ok(ProxyRules::direct()),
            ProxySetting::Url(url) => {
                let url = checked("--proxy", url)?;
                (Some(url.clone()), Some(url))
            }
            ProxySetting::Environment => {
                let http = first(&["http_proxy"])
                    .map(|(name, url)| checked(name, &url))
                    .transpose()?;
                let https = first(&["https_proxy", "HTTPS_PROXY"])
                    .map(|(name, url)| checked(name, &url))
                    .transpose()?;
                (http, https)
            }
        };
        if http.is_none() && https.is_none() {
            return Ok(ProxyRules::direct());
        }
        let no = first(&["no_proxy", "NO_PROXY"]).map_or(String::new(), |(_, list)| list);
        // `*` means every host, addresses too (hyper-util applies it to names only).
        if no.split(',').any(|entry| entry.trim() == "*") {
            return Ok(ProxyRules::direct());
        }
        let matcher = Matcher::builder()
            .http(http.unwrap_or_default())
            .https(https.unwrap_or_default())
            .no(no)
            .build();
        Ok(ProxyRules {
            matcher: Some(matcher),
        })
    }

    /// The proxy for `origin`, or none to connect directly.
    pub fn route(&self, origin: &Origin) -> Option<Proxy> {
        let matcher = self.matcher.as_ref()?;
        let scheme = if origin.secure() { "https" } else { "http" };
        let uri: Uri = format!("{scheme}://{}:{}/", origin.host(), origin.port())
            .parse()
            .ok()?;
        let intercept = matcher.intercept(&uri)?;
        let proxy = intercept.uri();
        let host = proxy.host()?.to_string();
        let port = proxy.port_u16().unwrap_or(DEFAULT_PROXY_PORT);
        Some(Proxy {
            shown: format!("http://{host}:{port}"),
            host,
            port,
            authorization: intercept.basic_auth().cloned(),
        })
    }
}

/// A proxy URL we can use, with `http://` added when it has no scheme (as curl does).
fn checked(source: &'static str, url: &str) -> Result<String, ProxyError> {
    let error = |problem| ProxyError {
        source: source.to_string(),
        problem,
    };
    let url = url.trim();
    let url = if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    let uri: Uri = url
        .parse()
        .map_err(|_| error("not a proxy URL such as http://proxy.example:3128"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(error(
                "https:// proxies are not supported: use http:// (TLS to Konecty stays end to end through it)",
            ));
        }
        Some(scheme) if scheme.starts_with("socks") => {
            return Err(error(
                "SOCKS proxies are not supported: use an http:// proxy",
            ));
        }
        _ => return Err(error("a proxy URL must start with http://")),
    }
    let authority = uri
        .authority()
        .ok_or_else(|| error("a proxy URL must name a host"))?;
    let host = authority.host();
    if host.is_empty() {
        return Err(error("a proxy URL must name a host"));
    }
    // What follows the host is nothing or `:port`, and the port is a real one.
    let after_host = authority
        .as_str()
        .rsplit('@')
        .next()
        .and_then(|host_port| host_port.strip_prefix(host))
        .unwrap_or("");
    if let Some(port) = after_host.strip_prefix(':')
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err(error("the proxy port is not a number from 1 to 65535"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(error(
            "a proxy URL is scheme://host:port, without a path or query",
        ));
    }
    Ok(url)
}

impl Proxy {
    /// `http://host:port`, never with credentials.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Host and port to connect to.
    pub fn address(&self) -> (&str, u16) {
        let host = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host);
        (host, self.port)
    }

    pub fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }
}

impl fmt::Debug for Proxy {
    // Credentials stay out of debug output too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy").field("shown", &self.shown).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(setting: ProxySetting, vars: &[(&str, &str)]) -> Result<ProxyRules, ProxyError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyRules::new(&setting, &move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn via(rules: &ProxyRules, origin: &str) -> Option<String> {
        rules
            .route(&Origin::of_base_url(origin).unwrap())
            .map(|p| p.shown().to_string())
    }

    const PROXY: &str = "http://127.0.0.1:3128";

    #[test]
    fn https_origins_use_https_proxy_in_either_case() {
        for name in ["https_proxy", "HTTPS_PROXY"] {
            let r = rules(ProxySetting::Environment, &[(name, PROXY)]).unwrap();
            assert_eq!(
                via(&r, "https://app.konecty.com"),
                Some(PROXY.into()),
                "{name}"
            );
            assert_eq!(via(&r, "http://app.konecty.com"), None, "{name}");
        }
    }

    #[test]
    fn the_lower_case_variable_wins_as_in_curl() {
        let r = rules(
            ProxySetting::Environment,
            &[("https_proxy", PROXY), ("HTTPS_PROXY", "http://10.9.9.9:1")],
        )
        .unwrap();
        assert_eq!(via(&r, "https://a.com"), Some(PROXY.into()));
    }

    #[test]
    fn http_origins_use_lower_case_http_proxy_only() {
        let upper = rules(ProxySetting::Environment, &[("HTTP_PROXY", PROXY)]).unwrap();
        assert_eq!(via(&upper, "http://a.com"), None, "HTTP_PROXY is httpoxy");
        let lower = rules(ProxySetting::Environment, &[("http_proxy", PROXY)]).unwrap();
        assert_eq!(via(&lower, "http://a.com"), Some(PROXY.into()));
        assert_eq!(via(&lower, "https://a.com"), None);
    }

    #[test]
    fn no_proxy_matches_domain_suffixes_addresses_and_star() {
        let r = rules(
            ProxySetting::Environment,
            &[
                ("https_proxy", PROXY),
                ("no_proxy", "intranet, .corp.example,10.0.0.0/8, ::1"),
            ],
        )
        .unwrap();
        for direct in [
            "https://intranet",
            "https://crm.intranet",
            "https://crm.corp.example",
            "https://10.1.2.3",
            "https://[::1]:8443",
        ] {
            assert_eq!(via(&r, direct), None, "{direct} should go direct");
        }
        for proxied in [
            "https://myintranet",
            "https://corp.example.com",
            "https://11.0.0.1",
        ] {
            assert_eq!(
                via(&r, proxied),
                Some(PROXY.into()),
                "{proxied} should be proxied"
            );
        }
        let star = rules(
            ProxySetting::Environment,
            &[("https_proxy", PROXY), ("NO_PROXY", "*")],
        )
        .unwrap();
        assert_eq!(via(&star, "https://a.com"), None);
        assert_eq!(
            via(&star, "https://127.0.0.1:8443"),
            None,
            "* covers addresses too"
        );
    }

    #[test]
    fn the_flag_overrides_the_environment_but_no_proxy_still_applies() {
        let env = [("https_proxy", "http://10.9.9.9:1"), ("no_proxy", "b.com")];
        let r = rules(ProxySetting::Url(PROXY.into()), &env).unwrap();
        assert_eq!(via(&r, "https://a.com"), Some(PROXY.into()));
        assert_eq!(via(&r, "http://a.com"), Some(PROXY.into()));
        assert_eq!(via(&r, "https://b.com"), None);
        let direct = rules(ProxySetting::Direct, &env).unwrap();
        assert_eq!(via(&direct, "https://a.com"), None);
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let r = rules(ProxySetting::Environment, &[("https_proxy", "")]).unwrap();
        assert_eq!(via(&r, "https://a.com"), None);
    }

    #[test]
    fn credentials_become_basic_authorization_and_are_never_shown() {
        let r = rules(
            ProxySetting::Url("http://ana:s%40cret@127.0.0.1:3128".into()),
            &[],
        )
        .unwrap();
        let proxy = r
            .route(&Origin::of_base_url("https://a.com").unwrap())
            .unwrap();
        assert_eq!(proxy.shown(), PROXY);
        // base64("ana:s@cret")
        assert_eq!(
            proxy.authorization().map(|v| v.as_bytes()),
            Some(&b"Basic YW5hOnNAY3JldA=="[..])
        );
        assert!(!format!("{proxy:?}").contains("cret"), "{proxy:?}");
    }

    #[test]
    fn a_url_without_scheme_or_port_gets_curls_defaults() {
        let r = rules(ProxySetting::Url("proxy.corp".into()), &[]).unwrap();
        assert_eq!(
            via(&r, "https://a.com"),
            Some("http://proxy.corp:1080".into())
        );
    }

    #[test]
    fn unusable_settings_are_errors_that_do_not_echo_the_url() {
        for (url, expected) in [
            ("https://u:secret@p:1", "https:// proxies"),
            ("socks5h://u:secret@p:1", "SOCKS"),
            ("ftp://u:secret@p:1", "must start with http://"),
            ("http://u:secret@p:notaport", "port"),
            ("http://u:secret@p:1/path", "without a path"),
            ("http://", "not a proxy URL"),
        ] {
            let error = rules(ProxySetting::Url(url.into()), &[]).err();
            let shown = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                shown.starts_with("--proxy: ") && shown.contains(expected),
                "{url}: expected an error about {expected:?}, got {shown:?}"
            );
            assert!(!shown.contains("secret"), "{shown}");
        }
        let env = rules(
            ProxySetting::Environment,
            &[("HTTPS_PROXY", "socks5://p:1")],
        );
        assert_eq!(env.err().map(|e| e.source), Some("HTTPS_PROXY".to_string()));
    }
}
