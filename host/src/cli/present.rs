//! How values are shown: masked recipients, times, and shell-quoted assignments.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use konecty_session::Identifier;

/// `d***@example.com`: enough to recognise the address, not enough to harvest it.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            konecty_session::sanitize::printable(&format!("{first}***@{domain}"), 120)
        }
        None => "***".to_string(),
    }
}

/// `+5511*****9999`: the country and area code show that normalization did what the user
/// meant; the middle digits stay private.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let (head, tail) = if chars.len() > 10 { (5, 4) } else { (2, 2) };
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let middle = chars.len() - head - tail;
    let head: String = chars[..head].iter().collect();
    let tail: String = chars[chars.len() - tail..].iter().collect();
    konecty_session::sanitize::printable(&format!("{head}{}{tail}", "*".repeat(middle)), 40)
}

/// The recipient masked; what is left of it comes from outside, so it is made printable.
pub fn mask(who: &Identifier) -> String {
    match who {
        Identifier::Email(email) => mask_email(email),
        Identifier::Phone(phone) => mask_phone(phone),
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
const LATEST: u64 = 253_402_300_799;

/// `2026-11-23T14:05:00Z`. Times past year 9999 (from a component, say) show as its end.
pub fn rfc3339(secs: u64) -> String {
    let secs = secs.min(LATEST);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// A moment in seconds since the epoch; JSON writes it as [`rfc3339`], text as each
/// command words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime(pub u64);

impl serde::Serialize for UtcTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&rfc3339(self.0))
    }
}

/// `14:05 UTC`.
pub fn clock_time(secs: u64) -> String {
    format!("{} UTC", &rfc3339(secs)[11..16])
}

/// `12 min ago`, `3 h ago`, `2 days ago`.
pub fn age(secs: u64, now: u64) -> String {
    let elapsed = now.saturating_sub(secs);
    match elapsed {
        0..60 => "just now".to_string(),
        60..3600 => format!("{} min ago", elapsed / 60),
        3600..86_400 => format!("{} h ago", elapsed / 3600),
        _ => format!("{} days ago", elapsed / 86_400),
    }
}

/// The syntax `env` writes its assignments in (`--shell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellSyntax {
    /// sh, bash, zsh: `export NAME='value'`
    Sh,
    /// fish: `set -gx NAME 'value'`
    Fish,
    /// PowerShell: `$env:NAME = 'value'`
    Powershell,
    /// Windows cmd: `set "NAME=value"` (values cmd would expand are refused)
    Cmd,
}

/// `text` as one sh word, whatever it holds: single-quoted, each `'` written as `'\''`.
pub fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// One assignment that `eval` in that shell reads back as exactly `value`.
pub fn assignment(shell: ShellSyntax, name: &str, value: &str) -> String {
    match shell {
        ShellSyntax::Sh => format!("export {name}={}", single_quoted(value)),
        ShellSyntax::Fish => format!(
            "set -gx {name} '{}'",
            value.replace('\\', r"\\").replace('\'', r"\'")
        ),
        // PowerShell ends a single-quoted string at any of these quotes and takes a
        // doubled one as the character itself.
        ShellSyntax::Powershell => {
            let quoted: String = value
                .chars()
                .flat_map(|c| {
                    let doubled =
                        matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
                    std::iter::once(c).chain(doubled.then_some(c))
                })
                .collect();
            format!("$env:{name} = '{quoted}'")
        }
        // cmd has no quoting that stops `%` or `!` expansion: callers check
        // [`cmd_can_take`] first.
        ShellSyntax::Cmd => format!("set \"{name}={value}\""),
    }
}

/// Whether `value` can be given to cmd's `set "NAME=value"` as it is: no quote, and
/// nothing cmd expands (`%NAME%`, `!NAME!`) or treats as an escape.
pub fn cmd_can_take(value: &str) -> bool {
    !value
        .chars()
        .any(|c| matches!(c, '"' | '%' | '!' | '^') || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_phones_are_masked() {
        assert_eq!(mask_email("ana.silva@example.com"), "a***@example.com");
        assert_eq!(mask_phone("+5511999999999"), "+5511*****9999");
        assert_eq!(mask_phone("+14155550100"), "+1415***0100");
        assert_eq!(mask_phone("+12"), "***");
    }

    #[test]
    fn times_read_as_people_expect() {
        assert_eq!(rfc3339(1_795_442_700), "2026-11-23T14:05:00Z");
        assert_eq!(clock_time(1_795_442_700), "14:05 UTC");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(age(1000, 1030), "just now");
        assert_eq!(age(1000, 1000 + 12 * 60), "12 min ago");
        assert_eq!(age(1000, 1000 + 3 * 3600 + 5), "3 h ago");
        assert_eq!(age(1000, 1000 + 2 * 86_400), "2 days ago");
    }

    #[test]
    fn assignments_quote_anything() {
        assert_eq!(
            assignment(ShellSyntax::Sh, "A", "it's $(x)"),
            r"export A='it'\''s $(x)'"
        );
        assert_eq!(
            assignment(ShellSyntax::Fish, "A", r"it's \n"),
            r"set -gx A 'it\'s \\n'"
        );
        assert_eq!(
            assignment(ShellSyntax::Powershell, "A", "it's \u{2019}$(x)"),
            "$env:A = 'it''s \u{2019}\u{2019}$(x)'"
        );
        assert_eq!(
            assignment(ShellSyntax::Cmd, "A", "a+b/c="),
            r#"set "A=a+b/c=""#
        );
        assert!(cmd_can_take("https://app.konecty.com"));
        for unsafe_value in ["50%", "a!b", "a\"b", "a^b", "a\nb"] {
            assert!(!cmd_can_take(unsafe_value), "{unsafe_value:?}");
        }
    }
}
