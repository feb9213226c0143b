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

use crate::network::origin::Origin;

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
    /// Variables naming a proxy we cannot use, by scheme, with the hosts they would apply
    /// to: an error only for a request that would go through them, so that a SOCKS
    /// `ALL_PROXY` does not stop `token` or a request `no_proxy` sends direct.
    unusable: Option<(Matcher, Option<ProxyError>, Option<ProxyError>)>,
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
    /// A `--proxy` URL we cannot use is an error now; a variable, when a request would use
    /// it.
    pub fn new(setting: &ProxySetting, env: Lookup) -> Result<ProxyRules, ProxyError> {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|name| env(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
        };
        let variable = |names: &[&'static str]| first(names).map(|(name, url)| checked(name, &url));
        let (http, https) = match setting {
            ProxySetting::Direct => return Ok(ProxyRules::direct()),
            ProxySetting::Url(url) => {
                let url = checked("--proxy", url)?;
                (Some(Ok(url.clone())), Some(Ok(url)))
            }
            // As curl: the scheme's own variable, else ALL_PROXY; never HTTP_PROXY (httpoxy).
            ProxySetting::Environment => (
                variable(&["http_proxy", "all_proxy", "ALL_PROXY"]),
                variable(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]),
            ),
        };
        let no = first(&["no_proxy", "NO_PROXY"]).map_or(String::new(), |(_, list)| list);
        // `*` alone means every host, addresses too (hyper-util applies it to names only).
        if no.trim() == "*" || (http.is_none() && https.is_none()) {
            return Ok(ProxyRules::direct());
        }
        let usable = |entry: &Option<Result<String, ProxyError>>| match entry {
            Some(Ok(url)) => url.clone(),
            _ => String::new(),
        };
        let unusable = |entry: &Option<Result<String, ProxyError>>| match entry {
            Some(Err(error)) => Some(error.clone()),
            _ => None,
        };
        let matcher = Matcher::builder()
            .http(usable(&http))
            .https(usable(&https))
            .no(no.clone())
            .build();
        let (bad_http, bad_https) = (unusable(&http), unusable(&https));
        // The same no_proxy rules decide whether a request would use an unusable setting.
        let stand_in = |bad: &Option<ProxyError>| {
            if bad.is_some() {
                "http://unusable.invalid:1".to_string()
            } else {
                String::new()
            }
        };
        let unusable = (bad_http.is_some() || bad_https.is_some()).then(|| {
            let would_use = Matcher::builder()
                .http(stand_in(&bad_http))
                .https(stand_in(&bad_https))
                .no(no)
                .build();
            (would_use, bad_http, bad_https)
        });
        Ok(ProxyRules {
            matcher: Some(matcher),
            unusable,
        })
    }

    /// The proxy for `origin`, or none to connect directly; an error when the setting that
    /// applies to it cannot be used.
    pub fn route(&self, origin: &Origin) -> Result<Option<Proxy>, ProxyError> {
        let Some(matcher) = &self.matcher else {
            return Ok(None);
        };
        let scheme = if origin.secure() { "https" } else { "http" };
        // A name's trailing dot does not make it another host for no_proxy (as curl).
        let host = origin.host().strip_suffix('.').unwrap_or(origin.host());
        let Ok(uri) = format!("{scheme}://{host}:{}/", origin.port()).parse::<Uri>() else {
            return Ok(None);
        };
        if let Some((would_use, bad_http, bad_https)) = &self.unusable {
            let bad = if origin.secure() { bad_https } else { bad_http };
            if let Some(error) = bad
                && would_use.intercept(&uri).is_some()
            {
                return Err(error.clone());
            }
        }
        let Some(intercept) = matcher.intercept(&uri) else {
            return Ok(None);
        };
        let proxy = intercept.uri();
        let Some(host) = proxy.host() else {
            return Ok(None);
        };
        let port = proxy.port_u16().unwrap_or(DEFAULT_PROXY_PORT);
        Ok(Some(Proxy {
            shown: format!("http://{host}:{port}"),
            host: host.to_string(),
            port,
            authorization: intercept.basic_auth().cloned(),
        }))
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
    // Two readers would split `user:p@ss@host` differently: say how to write it.
    if authority.as_str().matches('@').count() > 1 {
        return Err(error("write an @ in the user name or password as %40"));
    }
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
            .expect("a usable setting")
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
            .unwrap()
            .expect("a proxy for https");
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
            ("http://u:se@cret@p:1", "%40"),
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
    }

    #[test]
    fn an_unusable_variable_is_an_error_only_for_requests_that_would_use_it() {
        let r = rules(
            ProxySetting::Environment,
            &[
                ("HTTPS_PROXY", "socks5://p:1"),
                ("http_proxy", PROXY),
                ("no_proxy", "direct.example"),
            ],
        )
        .expect("variables are judged when used");
        let route = |url: &str| r.route(&Origin::of_base_url(url).unwrap());
        assert_eq!(
            route("https://a.com").err().map(|e| e.to_string()),
            Some("HTTPS_PROXY: SOCKS proxies are not supported: use an http:// proxy".into())
        );
        assert!(
            matches!(route("https://direct.example"), Ok(None)),
            "no_proxy exempts it"
        );
        assert!(
            matches!(route("http://a.com"), Ok(Some(_))),
            "http uses its own variable"
        );
    }

    #[test]
    fn all_proxy_is_the_fallback_for_both_schemes() {
        let r = rules(ProxySetting::Environment, &[("ALL_PROXY", PROXY)]).unwrap();
        assert_eq!(via(&r, "https://a.com"), Some(PROXY.into()));
        assert_eq!(via(&r, "http://a.com"), Some(PROXY.into()));
        let own = rules(
            ProxySetting::Environment,
            &[("all_proxy", "http://10.9.9.9:1"), ("https_proxy", PROXY)],
        )
        .unwrap();
        assert_eq!(
            via(&own, "https://a.com"),
            Some(PROXY.into()),
            "the scheme's own wins"
        );
    }

    #[test]
    fn a_trailing_dot_does_not_escape_no_proxy() {
        let r = rules(
            ProxySetting::Environment,
            &[("https_proxy", PROXY), ("no_proxy", "konecty.com")],
        )
        .unwrap();
        assert_eq!(via(&r, "https://app.konecty.com."), None);
    }
}
