//! ini files (`credentials`, `pending-otp`). Our keys are written exactly as given
//! (`userId`, `authId`), because the Node SDK looks them up case-sensitively; they are
//! matched without case, so that the `authid` a configparser-based script wrote is replaced,
//! not left beside ours. Every other section, key, comment and byte is kept.
//!
//! A line is a section header (`[name]`), a comment (`;` or `#` first), or an entry
//! (`key = value`, split at the first `=`). Names, keys and values are trimmed of Unicode
//! whitespace, as `str::trim` has it.

use crate::text::{append, each_line, lines, newline_of, split_terminator, trim};

#[inline]
fn same_key(found: &[u8], ours: &str) -> bool {
    found.eq_ignore_ascii_case(ours.as_bytes())
}

/// What a line is, for our purposes.
enum Line<'a> {
    Section(&'a [u8]),
    Entry { key: &'a [u8], value: &'a [u8] },
    Other,
}

#[inline]
fn classify(line: &[u8]) -> Line<'_> {
    let (body, _) = split_terminator(line);
    let text = trim(body);
    if text.first() == Some(&b'[') && text.last() == Some(&b']') && text.len() >= 2 {
        return Line::Section(trim(&text[1..text.len() - 1]));
    }
    if matches!(text.first(), Some(b';' | b'#') | None) {
        return Line::Other;
    }
    match text.iter().position(|&b| b == b'=') {
        Some(eq) => Line::Entry {
            key: trim(&text[..eq]),
            value: trim(&text[eq + 1..]),
        },
        None => Line::Other,
    }
}

/// The section each line belongs to (None before the first header).
#[inline]
fn sections<'a>(all: &[&'a [u8]]) -> Vec<Option<&'a [u8]>> {
    let mut current = None;
    all.iter()
        .map(|line| {
            if let Line::Section(name) = classify(line) {
                current = Some(name);
            }
            current
        })
        .collect()
}

/// The value of the first entry of `key` (in any case) in `section`, if any.
#[inline]
pub fn get(content: &[u8], section: &str, key: &str) -> Option<String> {
    let mut current = None;
    each_line(content)
        .find_map(|line| match classify(line) {
            Line::Section(name) => {
                current = Some(name);
                None
            }
            Line::Entry { key: k, value }
                if current == Some(section.as_bytes()) && same_key(k, key) =>
            {
                Some(value)
            }
            _ => None,
        })
        .map(|value| String::from_utf8_lossy(value).into_owned())
}

/// Sets each key once in `section`: the first entry is replaced in place, later duplicates
/// (also in repeated headers of the same section) are dropped, missing keys are added after
/// the section's last entry, and a missing section is appended at the end.
#[inline]
pub fn set(content: &[u8], section: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
    let newline = newline_of(content);
    let all = lines(content);
    let owners = sections(&all);
    let ours = |owner: &Option<&[u8]>| *owner == Some(section.as_bytes());
    // Where missing keys go: after the last entry of the first run of our section.
    let first_header = all
        .iter()
        .zip(&owners)
        .position(|(line, owner)| ours(owner) && matches!(classify(line), Line::Section(_)));
    let insert_after = first_header.map(|start| {
        let mut last = start;
        for (i, line) in all.iter().enumerate().skip(start + 1) {
            match classify(line) {
                Line::Section(_) => break,
                Line::Entry { .. } => last = i,
                Line::Other => {}
            }
        }
        last
    });

    let mut written = vec![false; pairs.len()];
    let mut out = Vec::with_capacity(content.len() + 128);
    let put = |out: &mut Vec<u8>, (key, value): (&str, &str)| {
        append(out, &[key.as_bytes(), b" = ", value.as_bytes(), newline]);
    };
    let end_line = |out: &mut Vec<u8>| {
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.extend_from_slice(newline);
        }
    };
    for (i, (line, owner)) in all.iter().zip(&owners).enumerate() {
        let mine = match classify(line) {
            Line::Entry { key, .. } if ours(owner) => {
                pairs.iter().position(|(k, _)| same_key(key, k))
            }
            _ => None,
        };
        match mine {
            Some(p) if written[p] => {}
            Some(p) => {
                let (_, ending) = split_terminator(line);
                let ending = if ending.is_empty() { newline } else { ending };
                let (key, value) = pairs[p];
                append(
                    &mut out,
                    &[key.as_bytes(), b" = ", value.as_bytes(), ending],
                );
                written[p] = true;
            }
            None => out.extend_from_slice(line),
        }
        if Some(i) == insert_after {
            end_line(&mut out);
            for (p, pair) in pairs.iter().enumerate() {
                if !written[p] {
                    put(&mut out, *pair);
                    written[p] = true;
                }
            }
        }
    }
    if insert_after.is_none() {
        if !out.is_empty() {
            end_line(&mut out);
            out.extend_from_slice(newline);
        }
        append(&mut out, &[b"[", section.as_bytes(), b"]", newline]);
        for pair in pairs {
            put(&mut out, *pair);
        }
    }
    out
}

/// Removes `key` from `section`, keeping everything else.
#[inline]
pub fn remove(content: &[u8], section: &str, key: &str) -> Vec<u8> {
    let mut current = None;
    let mut out = Vec::with_capacity(content.len());
    for line in each_line(content) {
        match classify(line) {
            Line::Section(name) => current = Some(name),
            Line::Entry { key: k, .. }
                if current == Some(section.as_bytes()) && same_key(k, key) =>
            {
                continue;
            }
            _ => {}
        }
        out.extend_from_slice(line);
    }
    out
}

/// Every section name, in order.
#[inline]
pub fn section_names(content: &[u8]) -> Vec<String> {
    each_line(content)
        .filter_map(|line| match classify(line) {
            Line::Section(name) => Some(String::from_utf8_lossy(name).into_owned()),
            _ => None,
        })
        .collect()
}

// Built only where proptest is (a native dev-dependency).
#[cfg(all(test, not(target_family = "wasm")))]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: [(&str, &str); 3] = [("host", "https://h"), ("userId", "u1"), ("authId", "t1")];

    #[test]
    fn new_file_gets_the_section() {
        let out = set(b"", "default", &OURS);
        assert_eq!(
            out,
            b"[default]\nhost = https://h\nuserId = u1\nauthId = t1\n"
        );
    }

    #[test]
    fn existing_section_is_edited_in_place() {
        let before = b"; comment\n[default]\nhost=old\nregion = br\n\n[other]\nauthId = keep\n";
        let out = set(before, "default", &OURS);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "; comment\n[default]\nhost = https://h\nregion = br\nuserId = u1\nauthId = t1\n\n[other]\nauthId = keep\n"
        );
        assert_eq!(get(&out, "other", "authId").as_deref(), Some("keep"));
        assert_eq!(get(&out, "default", "authId").as_deref(), Some("t1"));
    }

    #[test]
    fn lower_cased_keys_from_configparser_are_respelled() {
        let before = b"[default]\nhost = h\nuserid = old\nauthid = old\n";
        let out = set(before, "default", &OURS);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "[default]\nhost = https://h\nuserId = u1\nauthId = t1\n"
        );
        assert_eq!(get(before, "default", "authId").as_deref(), Some("old"));
        assert_eq!(
            remove(before, "default", "authId"),
            b"[default]\nhost = h\nuserid = old\n"
        );
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let out = set(b"[x]\r\na = 1\r\n", "default", &[("authId", "t")]);
        assert_eq!(out, b"[x]\r\na = 1\r\n\r\n[default]\r\nauthId = t\r\n");
    }

    #[test]
    fn duplicates_are_collapsed_to_one() {
        let before = b"[default]\nauthId = a\nauthId = b\n[x]\n[default]\nauthId = c\n";
        let out = set(before, "default", &[("authId", "new")]);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "[default]\nauthId = new\n[x]\n[default]\n"
        );
    }

    #[test]
    fn host_sections_with_urls_and_no_trailing_newline() {
        let before = b"[default]\nhost = x";
        let out = set(before, "http://127.0.0.1:3000", &OURS);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "[default]\nhost = x\n\n[http://127.0.0.1:3000]\nhost = https://h\nuserId = u1\nauthId = t1\n"
        );
        assert_eq!(section_names(&out), ["default", "http://127.0.0.1:3000"]);
    }

    #[test]
    fn reads_every_form_the_hosts_reader_took() {
        // The host's reader trimmed with `str::trim` (Unicode whitespace); the guest's
        // stopped at ASCII whitespace.
        for file in [
            "[other]\nhost = https://o\n[default]\nHost = https://d\n",
            "[ default ]\r\n\thost=https://d\r\n",
            "\u{a0}[\u{a0}default\x0b]\u{3000}\nHOST\u{a0}=\u{2003}https://d\x0b\n",
            "[default]\n; host = https://c\n# host = https://c\nhost = https://d",
        ] {
            assert_eq!(
                get(file.as_bytes(), "default", "host").as_deref(),
                Some("https://d"),
                "in {file:?}"
            );
        }
        assert_eq!(
            get(b"host = https://x\n[default]\n", "default", "host"),
            None
        );
    }

    #[test]
    fn remove_touches_only_that_key_in_that_section() {
        let before = b"[a]\nauthId = 1\nhost = h\n[b]\nauthId = 2\n";
        assert_eq!(
            remove(before, "a", "authId"),
            b"[a]\nhost = h\n[b]\nauthId = 2\n"
        );
    }
}
