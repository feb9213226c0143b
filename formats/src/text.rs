//! Lines and whitespace, for files that may hold any bytes.

/// The lines one by one, each with its terminator, so joining them gives the input back.
#[inline]
pub(crate) fn each_line(content: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
    content.split_inclusive(|&b| b == b'\n')
}

/// [`each_line`], collected.
#[inline]
pub(crate) fn lines(content: &[u8]) -> Vec<&[u8]> {
    each_line(content).collect()
}

/// The line without its `\n` or `\r\n`, and the terminator.
#[inline]
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

/// The line ending the file already uses (its first line's), for lines the editors add.
#[inline]
pub(crate) fn newline_of(content: &[u8]) -> &'static [u8] {
    match each_line(content).next() {
        Some(line) if line.ends_with(b"\r\n") => b"\r\n",
        _ => b"\n",
    }
}

/// Adds the parts to `out`, one after the other (cheaper in the component than `format!`).
#[inline]
pub(crate) fn append(out: &mut Vec<u8>, parts: &[&[u8]]) {
    for part in parts {
        out.extend_from_slice(part);
    }
}

/// Without leading whitespace, as `str::trim_start` sees it (Unicode's, vertical tab and
/// no-break space included), so that these readers accept what the host's `str`-based
/// readers did. Bytes that are not UTF-8 are never whitespace.
#[inline]
pub(crate) fn trim_start(bytes: &[u8]) -> &[u8] {
    let text = bytes.utf8_chunks().next().map_or("", |chunk| chunk.valid());
    &bytes[text.len() - text.trim_start().len()..]
}

/// Without trailing whitespace, by the same rule as [`trim_start`].
#[inline]
pub(crate) fn trim_end(bytes: &[u8]) -> &[u8] {
    let text = match bytes.utf8_chunks().last() {
        Some(chunk) if chunk.invalid().is_empty() => chunk.valid(),
        _ => "",
    };
    &bytes[..bytes.len() - (text.len() - text.trim_end().len())]
}

#[inline]
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    trim_end(trim_start(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_unicode_whitespace_and_other_bytes_stay() {
        assert_eq!(trim(b" \t\x0b\x0c\r a b \r\n"), b"a b");
        assert_eq!(trim("\u{a0}\u{3000}x\u{2028}".as_bytes()), b"x");
        // A byte that is not UTF-8 stops the trimming, as U+FFFD would.
        assert_eq!(trim(b" \xff x \xa0"), b"\xff x \xa0");
        assert_eq!(trim_start(b"\xc2\xa0\xc2"), b"\xc2");
        assert_eq!(trim_end(b"\xc2\xc2\xa0"), b"\xc2");
        assert_eq!(trim(b"   "), b"");
        assert_eq!(trim(b""), b"");
    }

    #[test]
    fn whitespace_is_exactly_what_char_is_whitespace_says() {
        let mut buffer = [0; 4];
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let encoded = c.encode_utf8(&mut buffer).as_bytes();
            let expected: &[u8] = if c.is_whitespace() { b"" } else { encoded };
            assert_eq!(trim_start(encoded), expected, "{c:?} at the start");
            assert_eq!(trim_end(encoded), expected, "{c:?} at the end");
        }
    }
}
