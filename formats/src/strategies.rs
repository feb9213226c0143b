//! Proptest strategies shared by the property tests of the editors (`dotenv`, `ini`): files
//! built line by line, fully arbitrary bytes, and the values the guest's `store` writes.

use std::ops::Range;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

/// A session token or user id the guest would write: the characters its
/// `validate::file_safe` allows (a test there checks this pattern).
pub fn safe_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/=_.-]{1,48}"
}

/// A base URL as the guest's `BaseUrl` writes it: the `host`, `KONECTY_URL` and section
/// names (a test in the guest's `validate` checks this pattern).
pub fn base_url() -> impl Strategy<Value = String> {
    "https?://([a-z][a-z0-9-]{0,8}(\\.[a-z]{2,6}){0,2}|127\\.0\\.0\\.1|\\[::1\\])(:[1-9][0-9]{0,3})?(/[a-z0-9._-]{1,8}){0,2}"
}

/// An `issuedAt` time, shaped as the guest's `clock::format` writes it.
pub fn timestamp() -> impl Strategy<Value = String> {
    "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
}

/// Any value the guest writes into the files.
pub fn stored_value() -> impl Strategy<Value = String> {
    prop_oneof![3 => safe_value(), 1 => base_url(), 1 => timestamp()]
}

/// Some of `keys` (at least one), in any order, each with a value to write.
pub fn pairs(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<(&'static str, String)>> {
    (
        subsequence(keys, 1..=keys.len()).prop_shuffle(),
        vec(stored_value(), keys.len()),
    )
        .prop_map(|(keys, values)| keys.into_iter().zip(values).collect())
}

/// The pairs as the editors take them.
pub fn borrowed<'a>(pairs: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect()
}

/// A file's bytes, shown escaped (`\r`, `\xff`) when proptest reports a failing case.
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// Arbitrary bytes mixed with `tokens` of the file's syntax, so near-syntax turns up often.
pub fn noise(
    tokens: &'static [&'static str],
    chunks: Range<usize>,
) -> impl Strategy<Value = Vec<u8>> {
    let chunk = prop_oneof![
        any::<u8>().prop_map(|byte| vec![byte]),
        select(tokens).prop_map(|token| token.as_bytes().to_vec()),
    ];
    vec(chunk, chunks).prop_map(|chunks| chunks.concat())
}

/// The body of one line: `noise` without `\n`.
pub fn noise_line(tokens: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    noise(tokens, 0..12).prop_map(|mut bytes| {
        bytes.retain(|&byte| byte != b'\n');
        bytes
    })
}

/// A whole file of arbitrary bytes: uniformly random, or `noise` (line breaks among the tokens).
pub fn arbitrary_file(tokens: &'static [&'static str]) -> impl Strategy<Value = Bytes> {
    prop_oneof![vec(any::<u8>(), 0..160), noise(tokens, 0..80)].prop_map(Bytes)
}

/// Line bodies joined into a file: each line ends in `\n` or `\r\n` (all alike or mixed),
/// and the last one sometimes has no terminator.
pub fn file_of(bodies: impl Strategy<Value = Vec<Vec<u8>>>) -> impl Strategy<Value = Bytes> {
    const MAX_ENDINGS: usize = 8;
    let ending = select(&["\n", "\r\n"][..]);
    (
        bodies,
        vec(ending, MAX_ENDINGS),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(bodies, endings, alike, last_ended)| {
            let count = bodies.len();
            let mut file = Vec::new();
            for (i, body) in bodies.into_iter().enumerate() {
                file.extend(body);
                if i + 1 < count || last_ended {
                    let ending = endings[if alike { 0 } else { i % MAX_ENDINGS }];
                    file.extend(ending.as_bytes());
                }
            }
            Bytes(file)
        })
}

/// The newline the editors must use for lines they add: the one ending the first line.
pub fn files_newline(content: &[u8]) -> &'static [u8] {
    match content.iter().position(|&byte| byte == b'\n') {
        Some(at) if at > 0 && content[at - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// `lines` with `newline` added to the last one when it has no terminator.
pub fn last_terminated(lines: &[&[u8]], newline: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = lines.iter().map(|line| line.to_vec()).collect();
    if let Some(last) = lines.last_mut()
        && !last.ends_with(b"\n")
    {
        last.extend(newline);
    }
    lines
}

/// Lines with their bytes escaped, so assertion messages show every byte, `\r` included.
pub fn shown<L: AsRef<[u8]>>(lines: &[L]) -> Vec<String> {
    lines
        .iter()
        .map(|line| line.as_ref().escape_ascii().to_string())
        .collect()
}
