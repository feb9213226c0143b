//! Input checks done before anything is sent or written.

use crate::error::{Error, Result};
use crate::konecty::session::types::Geolocation;

/// Longest email the guest accepts (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;
/// Longest session token or user id written to the credential files.
const MAX_SECRET: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A Konecty base URL: `http(s)://authority[/path]`, no query, fragment or user info. The
/// WIT passes hosts as plain strings; this is one that parsed, in the normalised form files
/// and requests use, so every function parses its `host` into one first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: Scheme,
    /// `host[:port]`, host lower-cased.
    pub authority: String,
    /// Empty, or a path starting with `/` and without a trailing slash.
    pub path: String,
}

impl BaseUrl {
    pub fn parse(text: &str) -> Result<Self> {
        // The input is not repeated: it could hold a password (`https://user:pw@…`).
        let bad = |why: &str| Error::invalid(format!("host is not a valid base URL: {why}"));
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "http://") {
            (Scheme::Http, rest)
        } else {
            return Err(bad("it must start with https:// or http://"));
        };
        if rest.contains(['?', '#']) {
            return Err(bad("it must not have a query or fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(bad("it must not contain user info"));
        }
        validate_authority(authority).map_err(&bad)?;
        let path = path.trim_end_matches('/');
        if !path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
        {
            return Err(bad("its path has characters a base URL does not use"));
        }
        Ok(BaseUrl {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path: path.to_string(),
        })
    }

    /// `scheme://authority`, the origin the host grants.
    pub fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}", self.authority)
    }
}

impl core::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn validate_authority(authority: &str) -> core::result::Result<(), &'static str> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']').ok_or("unclosed [ in an IPv6 address")?;
        let literal = &rest[..end];
        if literal.is_empty()
            || !literal
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b))
        {
            return Err("bad IPv6 address");
        }
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return Err("unexpected text after the IPv6 address"),
        };
        (literal, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host name");
    }
    if !authority.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
    {
        return Err("its host name has characters host names do not use");
    }
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !ok {
            return Err("its port must be a number from 1 to 65535");
        }
    }
    Ok(())
}

/// The server's own rule, `^[^\s@]+@[^\s@]+\.[^\s@]+$`, plus a length cap and no control
/// characters.
pub fn email(text: &str) -> Result<&str> {
    let bad = || Error::invalid("email must look like name@example.com");
    // U+FEFF counts as `\s` in the server's JavaScript regex but not in Rust.
    if text.len() > MAX_EMAIL || text.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return Err(bad());
    }
    let (local, domain) = text.split_once('@').ok_or_else(bad)?;
    let word = |s: &str| !s.is_empty() && !s.contains('@') && !s.chars().any(char::is_whitespace);
    let dotted = domain
        .char_indices()
        .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len());
    if word(local) && word(domain) && dotted {
        Ok(text)
    } else {
        Err(bad())
    }
}

/// Longest phone text accepted before normalizing (separators included).
const MAX_PHONE_TEXT: usize = 32;

/// A phone as people type it, in E.164 (`^\+[1-9]\d{1,14}$`): spaces, dashes, dots and
/// parentheses are dropped, and 10 or 11 digits without `+` are a Brazilian number
/// (`+55`), as Konecty's own MCP server assumes.
pub fn phone(text: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::invalid(format!(
            "phone {why}: write it with its country code, such as +55 11 99999-9999"
        ))
    };
    let text = text.trim();
    if text.len() > MAX_PHONE_TEXT {
        return Err(bad("is too long"));
    }
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(bad(
                    "may hold only digits, spaces, dashes, dots and parentheses",
                ));
            }
        }
    }
    let e164 = match (plus, digits.len()) {
        (true, _) => format!("+{digits}"),
        (false, 10 | 11) => format!("+55{digits}"),
        (false, _) => return Err(bad("has no country code")),
    };
    let national = &e164[1..];
    if (2..=15).contains(&national.len()) && !national.starts_with('0') {
        Ok(e164)
    } else {
        Err(bad("is not a valid international number (E.164)"))
    }
}

/// Six ASCII digits; spaces and dashes between them (`123 456`, `123-456`) are dropped.
pub fn otp_code(text: &str) -> Result<String> {
    let code: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(Error::invalid("code must be 6 digits"))
    }
}

/// The location, if in range: latitude -90..=90, longitude -180..=180, finite.
pub fn geolocation(place: Geolocation) -> Result<Geolocation> {
    // Written so that NaN fails too.
    if !(place.latitude.abs() <= 90.0 && place.longitude.abs() <= 180.0) {
        return Err(Error::invalid("geolocation out of range"));
    }
    Ok(place)
}

/// A token or user id is written unquoted into `.env`, which shells source: allow only the
/// characters Konecty's base64 tokens and ids use, so a hostile server cannot inject code.
pub fn file_safe(what: &str, value: &str) -> core::result::Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_SECRET
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("the {what} has an unexpected shape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geolocations_out_of_range_or_not_numbers_are_refused() {
        let geolocation = |latitude, longitude| {
            super::geolocation(Geolocation {
                latitude,
                longitude,
            })
        };
        assert!(geolocation(-23.55, -46.63).is_ok());
        assert!(geolocation(90.0, 180.0).is_ok());
        for (lat, lon) in [
            (90.5, 0.0),
            (0.0, -180.1),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            assert!(geolocation(lat, lon).is_err(), "{lat},{lon} was accepted");
        }
    }

    #[test]
    fn base_urls_are_normalised() {
        let url = BaseUrl::parse("HTTPS://App.Konecty.com/").unwrap();
        assert_eq!(url.to_string(), "https://app.konecty.com");
        let url = BaseUrl::parse("http://127.0.0.1:3000/konecty//").unwrap();
        assert_eq!(url.to_string(), "http://127.0.0.1:3000/konecty");
        assert_eq!(url.origin(), "http://127.0.0.1:3000");
        let url = BaseUrl::parse("http://[::1]:8080").unwrap();
        assert_eq!(url.origin(), "http://[::1]:8080");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for text in [
            "",
            "app.konecty.com",
            "ftp://x.com",
            "https://",
            "https://user:pw@x.com",
            "https://x.com?a=1",
            "https://x.com#f",
            "https://x.com:0",
            "https://x.com:65536",
            "https://x.com:",
            "https://x .com",
            "https://x.com/a b",
            "https://x.com/$(id)",
            "https://[::1",
            "https://[zz]",
        ] {
            assert!(
                BaseUrl::parse(text).is_err(),
                "expected {text:?} to be refused"
            );
        }
    }

    #[test]
    fn emails_follow_the_server_rule() {
        for ok in ["a@b.c", "ana.silva+crm@example.com.br"] {
            assert_eq!(email(ok), Ok(ok));
        }
        for bad in [
            "", "a", "a@b", "a@.c", "a@b.", "@b.c", "a@@b.c", "a b@c.d", "a@b.c\n", "a@b\tc.d",
        ] {
            assert!(email(bad).is_err(), "expected {bad:?} to be refused");
        }
        assert!(email(&format!("{}@b.c", "a".repeat(260))).is_err());
    }

    #[test]
    fn e164_phones_pass_unchanged() {
        for ok in ["+5511999999999", "+12", "+123456789012345"] {
            assert_eq!(phone(ok).as_deref(), Ok(ok));
        }
    }

    #[test]
    fn phones_as_people_type_them_become_e164() {
        for (typed, e164) in [
            ("+55 11 99999-9999", "+5511999999999"),
            ("(11) 99999-9999", "+5511999999999"),
            ("11999999999", "+5511999999999"),
            ("11 3333-4444", "+551133334444"),
            (" +1 (415) 555.0100 ", "+14155550100"),
        ] {
            assert_eq!(phone(typed).as_deref(), Ok(e164), "typed {typed:?}");
        }
    }

    #[test]
    fn phones_that_cannot_be_made_e164_are_refused() {
        for bad in [
            "",
            "+",
            "+1",
            "5511999999999",
            "999999999",
            "+0511999999999",
            "+1234567890123456",
            "+55119999x9999",
            "++5511999999999",
            "+55+11999999999",
            "\u{ff11}1999999999",
            &"1".repeat(40),
        ] {
            assert!(phone(bad).is_err(), "expected {bad:?} to be refused");
        }
    }

    #[test]
    fn codes_are_six_digits_with_optional_separators() {
        for (typed, code) in [
            ("012345", "012345"),
            ("123 456", "123456"),
            ("123-456", "123456"),
        ] {
            assert_eq!(otp_code(typed).as_deref(), Ok(code), "typed {typed:?}");
        }
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "12_456",
            "123 4567",
        ] {
            assert!(otp_code(bad).is_err(), "expected {bad:?} to be refused");
        }
    }

    #[test]
    fn file_values_cannot_inject_shell() {
        assert!(file_safe("token", "abcDEF0123+/=").is_ok());
        for bad in ["", "a b", "a\nb", "$(id)", "`id`", "a;b", "'x'", "\"x\""] {
            assert!(
                file_safe("token", bad).is_err(),
                "expected {bad:?} to be refused"
            );
        }
    }

    // The property tests of the file editors (formats/src/strategies.rs) write tokens and
    // base URLs of the shapes below, standing for what the guest writes: keep them in step.

    #[test]
    fn every_character_of_the_editors_test_tokens_is_file_safe() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-";
        assert_eq!(file_safe("token", alphabet), Ok(()));
    }

    #[cfg(not(target_family = "wasm"))]
    proptest::proptest! {
        #[test]
        fn the_editors_test_urls_are_base_urls_as_written(
            url in "https?://([a-z][a-z0-9-]{0,8}(\\.[a-z]{2,6}){0,2}|127\\.0\\.0\\.1|\\[::1\\])(:[1-9][0-9]{0,3})?(/[a-z0-9._-]{1,8}){0,2}",
        ) {
            proptest::prop_assert_eq!(BaseUrl::parse(&url).map(|u| u.to_string()), Ok(url));
        }
    }
}
