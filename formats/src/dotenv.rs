//! `.env` files: only the named keys change, every other byte stays as it was.
//!
//! A line assigns `KEY` when it reads `KEY=value`, maybe indented, maybe after `export` and
//! blanks (spaces or tabs), with whitespace allowed around `=`. The value is read as sh reads
//! the forms `.env` files use: quoted whole (`"…"`, `'…'`), or bare; either may be followed
//! by blanks and a `#` comment. Anything else is taken as written, trimmed: quotes inside a
//! word, escapes and `$` are not interpreted. Whitespace is Unicode's, as `str::trim` has it.

use crate::text::{append, each_line, newline_of, split_terminator, trim, trim_start};

/// If the line assigns `key`: the length of what comes before the key (indentation,
/// `export `), and the value as written, everything after `=`.
#[inline]
fn assignment<'a>(line: &'a [u8], key: &str) -> Option<(usize, &'a [u8])> {
    let (body, _) = split_terminator(line);
    let mut rest = trim_start(body);
    if let Some(after) = rest.strip_prefix(b"export")
        && after.first().is_some_and(|b| is_blank(*b))
    {
        rest = trim_start(after);
    }
    let prefix = body.len() - rest.len();
    let rest = rest.strip_prefix(key.as_bytes())?;
    let rest = trim_start(rest).strip_prefix(b"=")?;
    Some((prefix, rest))
}

/// The separators of sh's words.
#[inline]
fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// The value a written one stands for (see the module's documentation).
#[inline]
fn value(written: &[u8]) -> &[u8] {
    let text = trim(written);
    let [quote @ (b'"' | b'\''), inner @ ..] = text else {
        return bare(written);
    };
    if let Some(end) = inner.iter().position(|b| b == quote) {
        let (quoted, after) = (&inner[..end], &inner[end + 1..]);
        if after.is_empty() || is_comment(after) {
            return quoted;
        }
    }
    // Not sh's quoting, but what both readers before this one took: outer quotes dropped.
    match inner {
        [quoted @ .., last] if last == quote => quoted,
        _ => text,
    }
}

/// A bare value, up to a `#` that follows a blank. If quotes or a backslash come before
/// that `#`, sh's reading would differ from this simple one: the value is taken whole.
#[inline]
fn bare(written: &[u8]) -> &[u8] {
    let end = written
        .windows(2)
        .position(|pair| is_blank(pair[0]) && pair[1] == b'#')
        .map_or(written.len(), |at| at + 1);
    let before_comment = &written[..end];
    let quoted = before_comment
        .iter()
        .any(|b| matches!(b, b'"' | b'\'' | b'\\'));
    trim(if quoted { written } else { before_comment })
}

/// Blanks then a comment, as may follow a value.
#[inline]
fn is_comment(text: &[u8]) -> bool {
    let word = text.iter().position(|b| !is_blank(*b));
    word.is_some_and(|at| at > 0 && text[at] == b'#')
}

#[inline]
fn value_of<'a>(line: &'a [u8], key: &str) -> Option<&'a [u8]> {
    assignment(line, key).map(|(_, written)| value(written))
}

/// The value of the first assignment of `key`, if any.
#[inline]
pub fn get(content: &[u8], key: &str) -> Option<String> {
    each_line(content)
        .find_map(|line| value_of(line, key))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Sets each key once: the first assignment is replaced in place (keeping its `export ` and
/// line ending), later ones are dropped, and missing keys are appended at the end.
#[inline]
pub fn set(content: &[u8], pairs: &[(&str, &str)]) -> Vec<u8> {
    let newline = newline_of(content);
    let mut out = Vec::with_capacity(content.len() + 128);
    let mut written = vec![false; pairs.len()];
    for line in each_line(content) {
        let found = pairs
            .iter()
            .enumerate()
            .find_map(|(i, (key, _))| assignment(line, key).map(|(prefix, _)| (i, prefix)));
        match found {
            Some((i, _)) if written[i] => {}
            Some((i, prefix)) => {
                let (key, value) = pairs[i];
                let (_, ending) = split_terminator(line);
                append(
                    &mut out,
                    &[
                        &line[..prefix],
                        key.as_bytes(),
                        b"=",
                        value.as_bytes(),
                        ending,
                    ],
                );
                written[i] = true;
            }
            None => out.extend_from_slice(line),
        }
    }
    let mut missing = pairs
        .iter()
        .zip(&written)
        .filter(|(_, done)| !**done)
        .peekable();
    if missing.peek().is_some() && !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(newline);
    }
    for ((key, value), _) in missing {
        append(&mut out, &[key.as_bytes(), b"=", value.as_bytes(), newline]);
    }
    out
}

/// Removes every assignment of `key`.
#[inline]
pub fn remove(content: &[u8], key: &str) -> Vec<u8> {
    each_line(content)
        .filter(|line| value_of(line, key).is_none())
        .flatten()
        .copied()
        .collect()
}

// Built only where proptest is (a native dev-dependency).
#[cfg(all(test, not(target_family = "wasm")))]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_in_place_and_keeps_everything_else() {
        let before = b"# mine\nOTHER=1\r\nexport KONECTY_TOKEN = 'old'\r\n\xff\xfe raw\nKONECTY_TOKEN=dup\nTAIL=2";
        let after = set(
            before,
            &[("KONECTY_TOKEN", "new"), ("KONECTY_URL", "http://h")],
        );
        assert_eq!(
            String::from_utf8_lossy(&after),
            String::from_utf8_lossy(b"# mine\nOTHER=1\r\nexport KONECTY_TOKEN=new\r\n\xff\xfe raw\nTAIL=2\nKONECTY_URL=http://h\n")
        );
        assert_eq!(get(&after, "KONECTY_TOKEN").as_deref(), Some("new"));
        assert_eq!(get(&after, "KONECTY_URL").as_deref(), Some("http://h"));
    }

    #[test]
    fn similar_keys_are_not_ours() {
        let before = b"KONECTY_TOKEN_OLD=x\n#KONECTY_TOKEN=y\nexportKONECTY_TOKEN=z\n";
        assert_eq!(get(before, "KONECTY_TOKEN"), None);
        let after = set(before, &[("KONECTY_TOKEN", "t")]);
        assert_eq!(&after[..before.len()], &before[..]);
    }

    #[test]
    fn added_lines_follow_the_files_line_endings() {
        assert_eq!(set(b"A=1\r\n", &[("B", "2")]), b"A=1\r\nB=2\r\n");
        assert_eq!(set(b"A=1\r\nC=3", &[("B", "2")]), b"A=1\r\nC=3\r\nB=2\r\n");
    }

    #[test]
    fn empty_file_gets_just_our_keys() {
        assert_eq!(set(b"", &[("A", "1"), ("B", "2")]), b"A=1\nB=2\n");
    }

    #[test]
    fn remove_drops_only_that_key() {
        let before = b"A=1\nKONECTY_TOKEN=t\nexport KONECTY_TOKEN=u\nB=2\n";
        assert_eq!(remove(before, "KONECTY_TOKEN"), b"A=1\nB=2\n");
        assert_eq!(remove(b"A=1", "KONECTY_TOKEN"), b"A=1");
    }

    #[test]
    fn reads_quoted_values() {
        assert_eq!(
            get(b"KONECTY_URL=\"https://x\"\n", "KONECTY_URL").as_deref(),
            Some("https://x")
        );
    }

    fn url_in(line: &str) -> Option<String> {
        get(line.as_bytes(), "KONECTY_URL")
    }

    /// Lines sh sources as an assignment, and the value it gives.
    const SH_FORMS: &[(&str, &str)] = &[
        ("KONECTY_URL=https://x", "https://x"),
        ("  KONECTY_URL=https://x  ", "https://x"),
        ("\tKONECTY_URL=https://x\r\n", "https://x"),
        ("export KONECTY_URL=https://x", "https://x"),
        ("export\tKONECTY_URL=https://x", "https://x"),
        ("export \t KONECTY_URL=https://x", "https://x"),
        ("\texport\t\tKONECTY_URL=https://x", "https://x"),
        ("KONECTY_URL=\"https://x\"", "https://x"),
        ("KONECTY_URL='https://x'", "https://x"),
        ("KONECTY_URL=\"a b\"", "a b"),
        ("KONECTY_URL=\"a # b\"", "a # b"),
        ("KONECTY_URL=\"\"", ""),
        ("KONECTY_URL=", ""),
        ("KONECTY_URL=https://x # production", "https://x"),
        ("KONECTY_URL=https://x\t#production", "https://x"),
        ("KONECTY_URL=\"https://x\" # production", "https://x"),
        ("KONECTY_URL='https://x'\t# it's ours", "https://x"),
        ("KONECTY_URL=\"https://x\" \t #", "https://x"),
        ("KONECTY_URL= # nothing", ""),
        ("KONECTY_URL=#x", "#x"),
        ("KONECTY_URL=a#b", "a#b"),
        (
            "export KONECTY_URL=\"https://x\"  # production  ",
            "https://x",
        ),
    ];

    #[test]
    fn reads_what_sh_sources() {
        for (line, expected) in SH_FORMS {
            assert_eq!(url_in(line).as_deref(), Some(*expected), "in {line:?}");
        }
    }

    /// The table above, checked against sh itself.
    #[cfg(unix)]
    #[test]
    fn sh_agrees() {
        for (line, expected) in SH_FORMS {
            let output = std::process::Command::new("sh")
                .args(["-c", "eval \"$1\"; printf %s \"$KONECTY_URL\"", "sh", line])
                .env_remove("KONECTY_URL")
                .output()
                .expect("sh runs");
            assert!(output.status.success(), "sh failed on {line:?}");
            let by_sh = String::from_utf8_lossy(&output.stdout);
            // sh keeps the \r of a CRLF line; the editor drops it, as readers of .env do.
            assert_eq!(by_sh.trim_end_matches('\r'), *expected, "sh on {line:?}");
        }
    }

    #[test]
    fn reads_every_form_the_hosts_reader_took() {
        // The host's reader trimmed with `str::trim` (Unicode whitespace) and allowed blanks
        // around `=`; the guest's stopped at ASCII whitespace.
        for (line, expected) in [
            ("A=1\nexport KONECTY_URL = \"https://e\"\n", "https://e"),
            ("\u{a0}KONECTY_URL=https://x", "https://x"),
            ("\x0bKONECTY_URL\u{3000}=\u{a0}https://x\x0b", "https://x"),
            ("export \u{2003}KONECTY_URL=https://x", "https://x"),
            ("KONECTY_URL\t=\t'https://x'", "https://x"),
        ] {
            assert_eq!(url_in(line).as_deref(), Some(expected), "in {line:?}");
        }
    }

    #[test]
    fn quotes_sh_would_not_take_are_read_as_before() {
        // Outer quotes dropped, as both earlier readers did; the rest as written.
        for (line, expected) in [
            ("KONECTY_URL=\"a\"b\"", "a\"b"),
            ("KONECTY_URL=\"a\" b", "\"a\" b"),
            ("KONECTY_URL='a'#b", "'a'#b"),
            ("KONECTY_URL='a' \x0c#b", "'a' \x0c#b"),
            ("KONECTY_URL=\"", "\""),
            ("KONECTY_URL='a", "'a"),
            ("KONECTY_URL=a'b #c'", "a'b #c'"),
            ("KONECTY_URL=a\\ #b", "a\\ #b"),
            ("KONECTY_URL = x", "x"),
        ] {
            assert_eq!(url_in(line).as_deref(), Some(expected), "in {line:?}");
        }
    }

    #[test]
    fn export_must_be_a_word_of_its_own() {
        for line in [
            "exportKONECTY_URL=x",
            "export\x0cKONECTY_URL=x",
            "export\u{a0}KONECTY_URL=x",
            "exports KONECTY_URL=x",
            "export",
        ] {
            assert_eq!(url_in(line), None, "in {line:?}");
        }
    }

    #[test]
    fn set_replaces_lines_in_every_form_get_reads() {
        for (line, _) in SH_FORMS {
            let after = set(line.as_bytes(), &[("KONECTY_URL", "https://new")]);
            assert_eq!(
                get(&after, "KONECTY_URL").as_deref(),
                Some("https://new"),
                "after setting over {line:?}"
            );
            assert_eq!(
                remove(&after, "KONECTY_URL"),
                b"",
                "after removing from {line:?}"
            );
        }
    }
}
