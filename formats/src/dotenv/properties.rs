//! Property tests: for any `.env`, `set` and `remove` change only the lines that assign our
//! keys, and `get` reads back exactly what `set` wrote.
//!
//! "Assigns our key" is the editor's own reading (`assignment`); `lookalikes_are_not_ours`
//! checks that reading against lines that, by construction, assign nothing of ours.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::{assignment, get, remove, set};
use crate::strategies::{
    Bytes, arbitrary_file, borrowed, file_of, files_newline, last_terminated, noise_line, pairs,
    safe_value, shown, stored_value,
};
use crate::text::{lines, split_terminator};

const OUR_KEYS: &[&str] = &["KONECTY_URL", "KONECTY_TOKEN", "KONECTY_USER_ID"];

/// Pieces of `.env` syntax, mixed into arbitrary bytes.
const SYNTAX: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "=",
    " ",
    "\t",
    "\u{a0}",
    "\x0b",
    "export ",
    "#",
    "'",
    "\"",
    "KONECTY_URL",
    "KONECTY_TOKEN",
    "KONECTY_USER_ID",
];

/// Lines that name one of our keys without assigning it; `{KEY}` is the key, `{key}` the key
/// in lower case, `{VALUE}` a value.
const LOOKALIKES: &[&str] = &[
    "{KEY}2={VALUE}",
    "{KEY}_OLD={VALUE}",
    "MY_{KEY}={VALUE}",
    "{key}={VALUE}",
    "#{KEY}={VALUE}",
    "  # export {KEY}={VALUE}",
    "export{KEY}={VALUE}",
    "exports {KEY}={VALUE}",
    "EXPORT {KEY}={VALUE}",
    "{KEY}",
    "{KEY} is {VALUE}",
    "{KEY}:{VALUE}",
    "OTHER={KEY}={VALUE}",
    "OTHER=\"{KEY}={VALUE}\"",
    "unset {KEY}",
];

/// An assignment of one of our keys, in any of the forms the editor accepts, holding a value
/// we could write, a quoted one, an empty one or arbitrary bytes.
fn our_assignment() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        stored_value().prop_map(String::into_bytes),
        stored_value().prop_map(|v| format!("'{v}'").into_bytes()),
        stored_value().prop_map(|v| format!("\"{v}\"").into_bytes()),
        Just(Vec::new()),
        noise_line(SYNTAX),
    ];
    (
        select(&["", " ", "\t", "  ", "\u{a0}"][..]),
        select(&["", "export ", "export\t", "export   "][..]),
        select(OUR_KEYS),
        select(&["=", " = ", "\t=", "= ", "\u{3000}=\u{a0}"][..]),
        value,
        select(&["", " ", "\r"][..]),
    )
        .prop_map(|(indent, export, key, equals, value, tail)| {
            [
                format!("{indent}{export}{key}{equals}").into_bytes(),
                value,
                tail.as_bytes().to_vec(),
            ]
            .concat()
        })
}

fn lookalike() -> impl Strategy<Value = Vec<u8>> {
    (select(LOOKALIKES), select(OUR_KEYS), safe_value()).prop_map(|(shape, key, value)| {
        shape
            .replace("{KEY}", key)
            .replace("{key}", &key.to_lowercase())
            .replace("{VALUE}", &value)
            .into_bytes()
    })
}

/// Blank lines, comments and assignments of other keys.
fn other_line() -> impl Strategy<Value = Vec<u8>> {
    let other_key = "[A-Za-z_][A-Za-z0-9_]{0,14}"
        .prop_filter("must not be ours", |key| !OUR_KEYS.contains(&key.as_str()));
    prop_oneof![
        select(&["", "   ", "\t"][..]).prop_map(|blank| blank.as_bytes().to_vec()),
        "#[^\n]{0,24}".prop_map(String::into_bytes),
        (select(&["", "export "][..]), other_key, "[^\n]{0,16}")
            .prop_map(|(export, key, value)| format!("{export}{key}={value}").into_bytes()),
    ]
}

fn any_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => our_assignment(),
        2 => lookalike(),
        3 => other_line(),
        2 => noise_line(SYNTAX),
    ]
}

fn env_file() -> impl Strategy<Value = Bytes> {
    file_of(vec(any_line(), 0..16))
}

fn assigns_any(line: &[u8], keys: &[&str]) -> bool {
    keys.iter().any(|key| assignment(line, key).is_some())
}

/// The lines that assign none of `keys`, terminators included.
fn other_lines<'a>(content: &'a [u8], keys: &[&str]) -> Vec<&'a [u8]> {
    lines(content)
        .into_iter()
        .filter(|line| !assigns_any(line, keys))
        .collect()
}

fn first_assignment<'a>(content: &'a [u8], key: &str) -> Option<&'a [u8]> {
    lines(content)
        .into_iter()
        .find(|line| assignment(line, key).is_some())
}

/// How many of the other lines come before the first assignment of `key`.
fn place_among_others(content: &[u8], key: &str, keys: &[&str]) -> Option<usize> {
    let all = lines(content);
    let at = all
        .iter()
        .position(|line| assignment(line, key).is_some())?;
    Some(
        all[..at]
            .iter()
            .filter(|line| !assigns_any(line, keys))
            .count(),
    )
}

/// Everything `set` promises, for one file and one set of pairs.
fn check_set(before: &[u8], pairs: &[(&str, String)]) -> Result<(), TestCaseError> {
    let pairs = borrowed(pairs);
    let keys: Vec<&str> = pairs.iter().map(|(key, _)| *key).collect();
    let after = set(before, &pairs);
    let after_lines = shown(&lines(&after));

    for (key, value) in &pairs {
        prop_assert_eq!(
            get(&after, key),
            Some(value.to_string()),
            "reading {} back from {:?}",
            key,
            after_lines
        );
        let assignments = lines(&after)
            .into_iter()
            .filter(|line| assignment(line, key).is_some())
            .count();
        prop_assert_eq!(
            assignments,
            1,
            "assignments of {} in {:?}",
            key,
            after_lines
        );
    }

    // Other lines keep every byte and their order. The one change allowed: a last line
    // without terminator gets the file's newline when keys are appended after it.
    let newline = files_newline(before);
    let kept = other_lines(before, &keys);
    let appends = keys.iter().any(|key| get(before, key).is_none());
    let expected = if appends {
        last_terminated(&kept, newline)
    } else {
        kept.iter().map(|line| line.to_vec()).collect()
    };
    prop_assert_eq!(
        shown(&other_lines(&after, &keys)),
        shown(&expected),
        "other lines after setting {:?}",
        keys
    );

    // Our lines read `KEY=value`. A replaced line keeps its indentation, `export ` and
    // terminator (a last line without one gets the newline when keys are appended after it);
    // an appended line ends in the file's newline.
    for (key, value) in &pairs {
        let (prefix, ending) = match first_assignment(before, key) {
            Some(line) => {
                let prefix = assignment(line, key).map_or(0, |(prefix, _)| prefix);
                let (_, ending) = split_terminator(line);
                let ending = if ending.is_empty() && appends {
                    newline
                } else {
                    ending
                };
                (&line[..prefix], ending)
            }
            None => (&b""[..], newline),
        };
        let expected = [prefix, format!("{key}={value}").as_bytes(), ending].concat();
        let written = first_assignment(&after, key).unwrap_or_default();
        prop_assert_eq!(
            shown(&[written]),
            shown(&[expected]),
            "the line setting {}",
            key
        );
    }

    // A key already assigned is replaced where its first assignment was; a new one is
    // appended after every other line.
    let other_count = expected.len();
    for key in &keys {
        let expected_place = place_among_others(before, key, &keys).unwrap_or(other_count);
        prop_assert_eq!(
            place_among_others(&after, key, &keys),
            Some(expected_place),
            "place of {} among the other lines of {:?}",
            key,
            after_lines
        );
    }

    prop_assert_eq!(
        shown(&lines(&set(&after, &pairs))),
        after_lines,
        "setting the same pairs a second time"
    );
    Ok(())
}

/// Everything `remove` promises.
fn check_remove(before: &[u8], key: &str) -> Result<(), TestCaseError> {
    let after = remove(before, key);
    prop_assert_eq!(get(&after, key), None, "{} after removing it", key);
    prop_assert_eq!(
        shown(&lines(&after)),
        shown(&other_lines(before, &[key])),
        "lines left after removing {}",
        key
    );
    for other in OUR_KEYS.iter().filter(|other| **other != key) {
        prop_assert_eq!(
            get(&after, other),
            get(before, other),
            "{} after removing {}",
            other,
            key
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn set_changes_only_our_lines(before in env_file(), pairs in pairs(OUR_KEYS)) {
        check_set(&before, &pairs)?;
    }

    #[test]
    fn set_changes_only_our_lines_of_arbitrary_bytes(
        before in arbitrary_file(SYNTAX),
        pairs in pairs(OUR_KEYS),
    ) {
        check_set(&before, &pairs)?;
    }

    #[test]
    fn remove_drops_only_that_key(
        before in prop_oneof![env_file(), arbitrary_file(SYNTAX)],
        key in select(OUR_KEYS),
    ) {
        check_remove(&before, key)?;
    }

    #[test]
    fn removing_a_written_key_keeps_the_others(before in env_file(), pairs in pairs(OUR_KEYS)) {
        let written = set(&before, &borrowed(&pairs));
        let removed = pairs[0].0;
        check_remove(&written, removed)?;
        for (key, value) in &pairs[1..] {
            prop_assert_eq!(
                get(&remove(&written, removed), key),
                Some(value.clone()),
                "{} after removing {}",
                key,
                removed
            );
        }
    }

    #[test]
    fn lookalikes_are_not_ours(
        before in file_of(vec(prop_oneof![lookalike(), other_line()], 0..16)),
    ) {
        for key in OUR_KEYS {
            prop_assert_eq!(get(&before, key), None, "{} in {:?}", key, shown(&lines(&before)));
            prop_assert_eq!(
                shown(&lines(&remove(&before, key))),
                shown(&lines(&before)),
                "after removing {}",
                key
            );
        }
    }
}
