//! Property tests: for any `credentials` file, `set` and `remove` change only our entries of
//! the one section, and `get` reads back exactly what `set` wrote.
//!
//! "Our entry" is the editor's own reading (`classify`, `sections`); `lookalikes_are_not_ours`
//! checks that reading against files where, by construction, no entry is ours.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::{Line, classify, get, remove, same_key, section_names, sections, set};
use crate::strategies::{
    Bytes, arbitrary_file, base_url, borrowed, file_of, files_newline, last_terminated, noise_line,
    pairs, safe_value, shown, stored_value,
};
use crate::text::{lines, split_terminator};

const OUR_KEYS: &[&str] = &["host", "userId", "authId", "issuedAt"];

/// The sections `store` edits: `[default]` and a host's own, named by its base URL.
const TARGETS: &[&str] = &[
    "default",
    "https://a.konecty.com",
    "http://127.0.0.1:3000",
    "http://[::1]:8080",
    "https://b.konecty.com/crm",
];

/// Other sections whose names resemble the targets.
const LOOKALIKE_SECTIONS: &[&str] = &[
    "Default",
    "DEFAULT",
    "defaults",
    "default.old",
    "[default]",
    "default ; main",
    "https://a.konecty.com/",
    "https://A.konecty.com",
    "http://127.0.0.1:3001",
    "http://[::1]",
    "https://b.konecty.com",
    "https://b.konecty.com/crm/x",
];

/// Pieces of ini syntax, mixed into arbitrary bytes.
const SYNTAX: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "[",
    "]",
    "=",
    " = ",
    " ",
    "\t",
    "\u{a0}",
    ";",
    "#",
    "default",
    "https://a.konecty.com",
    "host",
    "authId",
    "AUTHID",
    "userId",
];

/// Entries that name one of our keys without being it; `{key}` is the key, `{VALUE}` a value.
const LOOKALIKE_ENTRIES: &[&str] = &[
    "{key}2 = {VALUE}",
    "x{key} = {VALUE}",
    "{key}_old = {VALUE}",
    "{key}.bak={VALUE}",
    "{key} {key} = {VALUE}",
    "; {key} = {VALUE}",
    "  #{key}={VALUE}",
    "{key}",
    "{key} is {VALUE}",
    "[{key}] = {VALUE}",
];

fn header(names: impl Strategy<Value = String>) -> impl Strategy<Value = Vec<u8>> {
    (
        select(&["", " "][..]),
        select(&["", " ", "\t"][..]),
        names,
        select(&["", " ", "\r"][..]),
    )
        .prop_map(|(indent, pad, name, tail)| {
            format!("{indent}[{pad}{name}{pad}]{tail}").into_bytes()
        })
}

fn any_header() -> impl Strategy<Value = Vec<u8>> {
    header(prop_oneof![
        3 => select(TARGETS).prop_map(String::from),
        2 => select(LOOKALIKE_SECTIONS).prop_map(String::from),
        1 => base_url(),
    ])
}

fn lookalike_header() -> impl Strategy<Value = Vec<u8>> {
    header(select(LOOKALIKE_SECTIONS).prop_map(String::from))
}

fn target_header() -> impl Strategy<Value = Vec<u8>> {
    header(select(TARGETS).prop_map(String::from))
}

/// An entry with one of our keys, spelled in any case (configparser writes `authid`), holding
/// a value we could write or arbitrary bytes.
fn our_entry() -> impl Strategy<Value = Vec<u8>> {
    let spelled = select(OUR_KEYS).prop_flat_map(|key| {
        select(vec![
            key.to_string(),
            key.to_lowercase(),
            key.to_uppercase(),
        ])
    });
    let value = prop_oneof![
        3 => stored_value().prop_map(String::into_bytes),
        1 => Just(Vec::new()),
        1 => noise_line(SYNTAX),
    ];
    (
        select(&["", " ", "\t"][..]),
        spelled,
        select(&["=", " = ", " =", "=\t"][..]),
        value,
    )
        .prop_map(|(indent, key, equals, value)| {
            [format!("{indent}{key}{equals}").into_bytes(), value].concat()
        })
}

fn lookalike_entry() -> impl Strategy<Value = Vec<u8>> {
    (select(LOOKALIKE_ENTRIES), select(OUR_KEYS), safe_value()).prop_map(|(shape, key, value)| {
        shape
            .replace("{key}", key)
            .replace("{VALUE}", &value)
            .into_bytes()
    })
}

/// Blank lines, comments and entries with other keys.
fn other_line() -> impl Strategy<Value = Vec<u8>> {
    let other_key = "[a-z_][A-Za-z0-9_.]{0,12}".prop_filter("must not be ours", |key| {
        !OUR_KEYS.iter().any(|ours| same_key(key.as_bytes(), ours))
    });
    prop_oneof![
        select(&["", "   ", "\t", "region = sa-east-1", "output=json"][..])
            .prop_map(|line| line.as_bytes().to_vec()),
        "[;#][^\n]{0,24}".prop_map(String::into_bytes),
        (other_key, select(&["=", " = "][..]), "[^\n]{0,16}")
            .prop_map(|(key, equals, value)| format!("{key}{equals}{value}").into_bytes()),
    ]
}

fn any_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => any_header(),
        3 => our_entry(),
        2 => lookalike_entry(),
        3 => other_line(),
        1 => noise_line(SYNTAX),
    ]
}

fn credentials_file() -> impl Strategy<Value = Bytes> {
    file_of(vec(any_line(), 0..16))
}

/// A file where no entry is one of our keys in a target section: our keys appear only before
/// the first header and in lookalike sections, and target sections hold only lookalike keys.
fn lookalikes_only_file() -> impl Strategy<Value = Bytes> {
    let anything = || prop_oneof![our_entry(), lookalike_entry(), other_line()];
    let lookalike_section = (lookalike_header(), vec(anything(), 0..4));
    let target_section = (
        target_header(),
        vec(prop_oneof![lookalike_entry(), other_line()], 0..4),
    );
    let sections = vec(prop_oneof![lookalike_section, target_section], 0..4);
    file_of(
        (vec(anything(), 0..4), sections).prop_map(|(preamble, sections)| {
            let mut bodies = preamble;
            for (header, entries) in sections {
                bodies.push(header);
                bodies.extend(entries);
            }
            bodies
        }),
    )
}

/// For each line: whether it is an entry of `section` with one of `keys`.
fn ours(content: &[u8], section: &str, keys: &[&str]) -> Vec<bool> {
    let all = lines(content);
    let owners = sections(&all);
    all.iter()
        .zip(owners)
        .map(|(line, owner)| {
            owner == Some(section.as_bytes())
                && matches!(classify(line), Line::Entry { key, .. }
                    if keys.iter().any(|ours| same_key(key, ours)))
        })
        .collect()
}

/// The lines that are not entries of `section` with one of `keys`, terminators included.
fn other_lines<'a>(content: &'a [u8], section: &str, keys: &[&str]) -> Vec<&'a [u8]> {
    lines(content)
        .into_iter()
        .zip(ours(content, section, keys))
        .filter_map(|(line, ours)| (!ours).then_some(line))
        .collect()
}

fn first_entry<'a>(content: &'a [u8], section: &str, key: &str) -> Option<&'a [u8]> {
    lines(content)
        .into_iter()
        .zip(ours(content, section, &[key]))
        .find_map(|(line, ours)| ours.then_some(line))
}

/// Where the first entry of `key` in `section` is: its line, and how many of the other lines
/// come before it.
fn place_among_others(
    content: &[u8],
    section: &str,
    key: &str,
    keys: &[&str],
) -> Option<(usize, usize)> {
    let of_key = ours(content, section, &[key]);
    let at = of_key.iter().position(|ours| *ours)?;
    let of_any = ours(content, section, keys);
    Some((at, of_any[..at].iter().filter(|ours| !**ours).count()))
}

/// The line after the first run of `section` (its first header and the lines up to the next
/// header): `set` adds missing keys there, so a key found only in a later run of the same
/// section moves up.
fn first_run_end(content: &[u8], section: &str) -> usize {
    let all = lines(content);
    let Some(start) = all.iter().position(|line| is_header_of(line, section)) else {
        return 0;
    };
    all.iter()
        .skip(start + 1)
        .position(|line| matches!(classify(line), Line::Section(_)))
        .map_or(all.len(), |i| start + 1 + i)
}

fn is_header_of(line: &[u8], section: &str) -> bool {
    matches!(classify(line), Line::Section(name) if name == section.as_bytes())
}

fn has_section(content: &[u8], section: &str) -> bool {
    lines(content)
        .into_iter()
        .any(|line| is_header_of(line, section))
}

/// Every (section, key) read that must not change when `section`'s `keys` are edited.
fn untouched_reads(
    before: &[u8],
    after: &[u8],
    section: &str,
    keys: &[&str],
) -> Result<(), TestCaseError> {
    let mut names = section_names(before);
    names.push(section.to_string());
    for name in &names {
        for key in OUR_KEYS.iter().chain(&["region"]) {
            let edited = name == section && keys.iter().any(|k| same_key(k.as_bytes(), key));
            if !edited {
                prop_assert_eq!(
                    get(after, name, key),
                    get(before, name, key),
                    "[{}] {} after editing {:?} in [{}]",
                    name,
                    key,
                    keys,
                    section
                );
            }
        }
    }
    Ok(())
}

/// Everything `set` promises, for one file, section and set of pairs.
fn check_set(before: &[u8], section: &str, pairs: &[(&str, String)]) -> Result<(), TestCaseError> {
    let pairs = borrowed(pairs);
    let keys: Vec<&str> = pairs.iter().map(|(key, _)| *key).collect();
    let after = set(before, section, &pairs);
    let after_lines = shown(&lines(&after));

    for (key, value) in &pairs {
        prop_assert_eq!(
            get(&after, section, key),
            Some(value.to_string()),
            "reading [{}] {} back from {:?}",
            section,
            key,
            after_lines
        );
        let entries = ours(&after, section, &[key])
            .into_iter()
            .filter(|o| *o)
            .count();
        prop_assert_eq!(
            entries,
            1,
            "entries of {} in [{}] of {:?}",
            key,
            section,
            after_lines
        );
    }

    // Other lines keep every byte and their order, whatever section they are in. Allowed
    // changes: a last line without terminator may get the file's newline, and a missing
    // section is appended (after a blank line when the file has something before it).
    let newline = files_newline(before);
    let kept = other_lines(before, section, &keys);
    let mut expected = vec![last_terminated(&kept, newline)];
    if has_section(before, section) {
        expected.push(kept.iter().map(|line| line.to_vec()).collect());
    } else {
        if !before.is_empty() {
            expected[0].push(newline.to_vec());
        }
        expected[0].push([format!("[{section}]").as_bytes(), newline].concat());
    }
    let got = shown(&other_lines(&after, section, &keys));
    prop_assert!(
        expected.iter().any(|lines| shown(lines) == got),
        "other lines after setting {:?} in [{}]: expected {:?}, got {:?}",
        keys,
        section,
        shown(&expected[0]),
        got
    );

    // Our entries read `key = value`, the key spelled as given. An entry replaced in the
    // section's first run keeps its terminator (or gets the file's newline when it had none);
    // an added one ends in the file's newline.
    let first_run_end = first_run_end(before, section);
    for (key, value) in &pairs {
        let replaced = place_among_others(before, section, key, &keys)
            .filter(|(at, _)| *at < first_run_end)
            .map(|(at, _)| lines(before)[at]);
        let ending = match replaced {
            Some(line) => match split_terminator(line) {
                (_, b"") => newline,
                (_, ending) => ending,
            },
            None => newline,
        };
        let expected = [format!("{key} = {value}").as_bytes(), ending].concat();
        let written = first_entry(&after, section, key).unwrap_or_default();
        prop_assert_eq!(
            shown(&[written]),
            shown(&[expected]),
            "the entry of {}",
            key
        );
    }

    // A key already in the section's first run is replaced where its first entry was.
    for key in &keys {
        if let Some((at, place)) = place_among_others(before, section, key, &keys)
            && at < first_run_end
        {
            prop_assert_eq!(
                place_among_others(&after, section, key, &keys).map(|(_, place)| place),
                Some(place),
                "place of {} among the other lines of {:?}",
                key,
                after_lines
            );
        }
    }

    let mut names = section_names(before);
    if !has_section(before, section) {
        names.push(section.to_string());
    }
    prop_assert_eq!(
        section_names(&after),
        names,
        "sections of {:?}",
        after_lines
    );
    untouched_reads(before, &after, section, &keys)?;

    prop_assert_eq!(
        shown(&lines(&set(&after, section, &pairs))),
        after_lines,
        "setting the same pairs a second time"
    );
    Ok(())
}

/// Everything `remove` promises.
fn check_remove(before: &[u8], section: &str, key: &str) -> Result<(), TestCaseError> {
    let after = remove(before, section, key);
    prop_assert_eq!(
        get(&after, section, key),
        None,
        "[{}] {} after removing it",
        section,
        key
    );
    prop_assert_eq!(
        shown(&lines(&after)),
        shown(&other_lines(before, section, &[key])),
        "lines left after removing [{}] {}",
        section,
        key
    );
    prop_assert_eq!(
        section_names(&after),
        section_names(before),
        "sections after removing"
    );
    untouched_reads(before, &after, section, &[key])
}

proptest! {
    #[test]
    fn set_changes_only_our_entries(
        before in credentials_file(),
        section in select(TARGETS),
        pairs in pairs(OUR_KEYS),
    ) {
        check_set(&before, section, &pairs)?;
    }

    #[test]
    fn set_changes_only_our_entries_of_arbitrary_bytes(
        before in arbitrary_file(SYNTAX),
        section in select(TARGETS),
        pairs in pairs(OUR_KEYS),
    ) {
        check_set(&before, section, &pairs)?;
    }

    #[test]
    fn set_in_a_section_named_by_any_base_url(
        before in credentials_file(),
        section in base_url(),
        pairs in pairs(OUR_KEYS),
    ) {
        check_set(&before, &section, &pairs)?;
    }

    #[test]
    fn remove_drops_only_that_entry(
        before in prop_oneof![credentials_file(), arbitrary_file(SYNTAX)],
        section in select(TARGETS),
        key in select(OUR_KEYS),
    ) {
        check_remove(&before, section, key)?;
    }

    #[test]
    fn removing_a_written_key_keeps_the_others(
        before in credentials_file(),
        section in select(TARGETS),
        pairs in pairs(OUR_KEYS),
    ) {
        let written = set(&before, section, &borrowed(&pairs));
        let removed = pairs[0].0;
        check_remove(&written, section, removed)?;
        for (key, value) in &pairs[1..] {
            prop_assert_eq!(
                get(&remove(&written, section, removed), section, key),
                Some(value.clone()),
                "[{}] {} after removing {}",
                section,
                key,
                removed
            );
        }
    }

    #[test]
    fn lookalikes_are_not_ours(before in lookalikes_only_file(), section in select(TARGETS)) {
        for key in OUR_KEYS {
            prop_assert_eq!(
                get(&before, section, key),
                None,
                "[{}] {} in {:?}",
                section,
                key,
                shown(&lines(&before))
            );
            prop_assert_eq!(
                shown(&lines(&remove(&before, section, key))),
                shown(&lines(&before)),
                "after removing [{}] {}",
                section,
                key
            );
        }
    }
}
