//! Edits `.env` files: only the named keys change, every other byte stays as it was.

/// Splits into lines that keep their terminators, so joining them gives the input back.
pub(crate) fn lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

/// The line without its `\n` or `\r\n`, and the terminator.
pub(crate) fn split_terminator(line: &[u8]) -> (&[u8], &[u8]) {
    let body_len = if line.ends_with(b"\r\n") {
        line.len() - 2
    } else if line.ends_with(b"\n") {
        line.len() - 1
    } else {
        line.len()
    };
    line.split_at(body_len)
}

pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// If the line assigns `key` (`KEY=…`, `export KEY=…`, spaces allowed around `=`): the
/// length of what comes before the key (indentation, `export `), and the value.
fn assignment<'a>(line: &'a [u8], key: &str) -> Option<(usize, &'a [u8])> {
    let (body, _) = split_terminator(line);
    let mut rest = body.trim_ascii_start();
    if let Some(after) = rest.strip_prefix(b"export")
        && after.first().is_some_and(|b| *b == b' ' || *b == b'\t')
    {
        rest = after.trim_ascii_start();
    }
    let prefix = body.len() - rest.len();
    let rest = rest.strip_prefix(key.as_bytes())?;
    let rest = rest.trim_ascii_start().strip_prefix(b"=")?;
    Some((prefix, unquote(trim(rest))))
}

fn value_of<'a>(line: &'a [u8], key: &str) -> Option<&'a [u8]> {
    assignment(line, key).map(|(_, value)| value)
}

/// The line ending the file already uses (its first line's), for lines this tool adds.
pub(crate) fn newline_of(content: &[u8]) -> &'static [u8] {
    match lines(content).first() {
        Some(line) if line.ends_with(b"\r\n") => b"\r\n",
        _ => b"\n",
    }
}

fn unquote(value: &[u8]) -> &[u8] {
    for quote in [b'"', b'\''] {
        if value.len() >= 2 && value[0] == quote && value[value.len() - 1] == quote {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// The value of the first assignment of `key`, if any.
pub fn get(content: &[u8], key: &str) -> Option<String> {
    lines(content)
        .into_iter()
        .find_map(|line| value_of(line, key))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Sets each key once: the first assignment is replaced in place (keeping its `export ` and
/// line ending), later ones are dropped, and missing keys are appended at the end.
pub fn set(content: &[u8], pairs: &[(&str, &str)]) -> Vec<u8> {
    let newline = newline_of(content);
    let mut out = Vec::with_capacity(content.len() + 128);
    let mut written = vec![false; pairs.len()];
    for line in lines(content) {
        let found = pairs
            .iter()
            .enumerate()
            .find_map(|(i, (key, _))| assignment(line, key).map(|(prefix, _)| (i, prefix)));
        match found {
            Some((i, _)) if written[i] => {}
            Some((i, prefix)) => {
                let (key, value) = pairs[i];
                let (_, ending) = split_terminator(line);
                out.extend_from_slice(&line[..prefix]);
                out.extend_from_slice(format!("{key}={value}").as_bytes());
                out.extend_from_slice(ending);
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
        out.extend_from_slice(format!("{key}={value}").as_bytes());
        out.extend_from_slice(newline);
    }
    out
}

/// Removes every assignment of `key`.
pub fn remove(content: &[u8], key: &str) -> Vec<u8> {
    lines(content)
        .into_iter()
        .filter(|line| value_of(line, key).is_none())
        .flatten()
        .copied()
        .collect()
}

// Built only where proptest is (it is a native dev-dependency).
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
}
