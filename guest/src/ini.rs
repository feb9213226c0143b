//! Edits the ini `credentials` file: keys are matched case-sensitively and written exactly
//! as given (`userId`, `authId`), because the Node SDK looks them up that way. Every other
//! section, key, comment and byte is kept.

use crate::dotenv::{lines, split_terminator, trim};

/// What a line is, for our purposes.
enum Line<'a> {
    Section(&'a [u8]),
    Entry { key: &'a [u8], value: &'a [u8] },
    Other,
}

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

pub fn get(content: &[u8], section: &str, key: &str) -> Option<String> {
    let all = lines(content);
    let owners = sections(&all);
    all.iter()
        .zip(owners)
        .find_map(|(line, owner)| match classify(line) {
            Line::Entry { key: k, value }
                if owner == Some(section.as_bytes()) && k == key.as_bytes() =>
            {
                Some(String::from_utf8_lossy(value).into_owned())
            }
            _ => None,
        })
}

/// Sets each key once in `section`: the first entry is replaced in place, later duplicates
/// (also in repeated headers of the same section) are dropped, missing keys are added after
/// the section's last entry, and a missing section is appended at the end.
pub fn set(content: &[u8], section: &str, pairs: &[(&str, &str)]) -> Vec<u8> {
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
    let entry = |key: &str, value: &str| format!("{key} = {value}");
    for (i, (line, owner)) in all.iter().zip(&owners).enumerate() {
        let mine = match classify(line) {
            Line::Entry { key, .. } if ours(owner) => {
                pairs.iter().position(|(k, _)| k.as_bytes() == key)
            }
            _ => None,
        };
        match mine {
            Some(p) if written[p] => {}
            Some(p) => {
                let (_, ending) = split_terminator(line);
                out.extend_from_slice(entry(pairs[p].0, pairs[p].1).as_bytes());
                out.extend_from_slice(if ending.is_empty() { b"\n" } else { ending });
                written[p] = true;
            }
            None => out.extend_from_slice(line),
        }
        if Some(i) == insert_after {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            for (p, (key, value)) in pairs.iter().enumerate() {
                if !written[p] {
                    out.extend_from_slice(entry(key, value).as_bytes());
                    out.push(b'\n');
                    written[p] = true;
                }
            }
        }
    }
    if insert_after.is_none() {
        if !out.is_empty() {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.push(b'\n');
        }
        out.extend_from_slice(format!("[{section}]\n").as_bytes());
        for (key, value) in pairs {
            out.extend_from_slice(entry(key, value).as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// Removes `key` from `section`, keeping everything else.
pub fn remove(content: &[u8], section: &str, key: &str) -> Vec<u8> {
    let all = lines(content);
    let owners = sections(&all);
    all.iter()
        .zip(owners)
        .filter(|(line, owner)| {
            !matches!(classify(line), Line::Entry { key: k, .. }
                if *owner == Some(section.as_bytes()) && k == key.as_bytes())
        })
        .flat_map(|(line, _)| line.iter().copied())
        .collect()
}

/// Every section name, in order, for reading back.
#[cfg(test)]
pub fn section_names(content: &[u8]) -> Vec<String> {
    lines(content)
        .into_iter()
        .filter_map(|line| match classify(line) {
            Line::Section(name) => Some(String::from_utf8_lossy(name).into_owned()),
            _ => None,
        })
        .collect()
}

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
        let before = b"; comment\n[default]\nhost=old\nregion = br\nauthid = lower-case-is-not-ours\n\n[other]\nauthId = keep\n";
        let out = set(before, "default", &OURS);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "; comment\n[default]\nhost = https://h\nregion = br\nauthid = lower-case-is-not-ours\nuserId = u1\nauthId = t1\n\n[other]\nauthId = keep\n"
        );
        assert_eq!(get(&out, "other", "authId").as_deref(), Some("keep"));
        assert_eq!(get(&out, "default", "authId").as_deref(), Some("t1"));
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
    fn remove_touches_only_that_key_in_that_section() {
        let before = b"[a]\nauthId = 1\nhost = h\n[b]\nauthId = 2\n";
        assert_eq!(
            remove(before, "a", "authId"),
            b"[a]\nhost = h\n[b]\nauthId = 2\n"
        );
    }
}
