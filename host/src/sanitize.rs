//! The one rule for showing text that came from outside the binary: a server's messages and
//! names, a component's strings, file contents, a proxy's answer. Control characters (C0,
//! DEL, C1), line and paragraph separators, bidirectional overrides and isolates,
//! zero-width and other invisible format characters cannot reach a terminal, a log line
//! or a JSON string through it: line breaks and tabs become spaces, the rest U+FFFD. Long
//! text is cut, with an ellipsis.

/// The most characters of one line of outside text shown in a message.
pub const LINE: usize = 300;

/// `text`, safe to print, at most `max_chars` characters (plus `…` when cut).
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut shown: String = text.chars().take(max_chars).map(replacement).collect();
    if text.chars().nth(max_chars).is_some() {
        shown.push('…');
    }
    shown
}

/// [`printable`] at the length of one message line.
pub fn line(text: &str) -> String {
    printable(text, LINE)
}

/// The first line of `text`, printable and at most `max_chars` long: for errors of
/// libraries, whose later lines are detail.
pub fn first_line(text: &str, max_chars: usize) -> String {
    printable(text.lines().next().unwrap_or(""), max_chars)
}

/// Whether `text` would be shown unchanged (it is not cut here).
pub fn is_printable(text: &str) -> bool {
    text.chars()
        .all(|c| replacement(c) == c && c != '\t' && c != '\n' && c != '\r')
}

fn replacement(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => ' ',
        c if c.is_control() || invisible(c) => '\u{FFFD}',
        c => c,
    }
}

/// Unicode's format characters (general category Cf: bidi controls, zero-width joiners and
/// spaces, the BOM, tags) and the invisible fillers that pass for letters.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
        | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{0600}'..='\u{0605}'
        | '\u{06DD}' | '\u{070F}' | '\u{0890}' | '\u{0891}' | '\u{08E2}' | '\u{110BD}'
        | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible_replacements() {
        assert_eq!(line("a\u{1b}[2Jb"), "a\u{FFFD}[2Jb", "ESC");
        assert_eq!(line("a\u{9b}31mb"), "a\u{FFFD}31mb", "C1 CSI");
        assert_eq!(line("a\u{7f}\u{0}b"), "a\u{FFFD}\u{FFFD}b", "DEL and NUL");
    }

    #[test]
    fn line_breaks_cannot_start_a_new_line() {
        assert_eq!(line("a\nb\rc\td\u{2028}e"), "a b c d e");
    }

    #[test]
    fn bidi_overrides_and_invisible_characters_are_shown_as_replacements() {
        assert_eq!(line("evil\u{202E}moc.elgoog"), "evil\u{FFFD}moc.elgoog");
        for c in [
            '\u{200B}',
            '\u{200D}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
        ] {
            assert_eq!(line(&format!("a{c}b")), "a\u{FFFD}b", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn ordinary_text_of_any_script_is_kept() {
        for text in [
            "Código inválido",
            "Ana Lúcia",
            "山田太郎",
            "مرحبا",
            "emoji 👩‍💻",
        ] {
            let expected = text.replace('\u{200D}', "\u{FFFD}");
            assert_eq!(line(text), expected);
        }
    }

    #[test]
    fn printable_means_shown_unchanged() {
        assert!(is_printable("aGVsbG8-token_value=="));
        assert!(!is_printable("tok\u{1b}]0;pwned\u{7}en"));
        assert!(!is_printable("line\nbreak"));
        assert!(!is_printable("zero\u{200B}width"));
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("abc", 3), "abc");
        assert_eq!(line(&"x".repeat(1000)).chars().count(), LINE + 1);
        assert_eq!(first_line("first\nsecond", 80), "first");
    }
}
