//! Just enough JSON for Konecty's auth answers and our request bodies.
//!
//! serde_json and serde's derives were a sixth of the component's size (40 KB); this reader
//! and writer are a few hundred lines. The reader follows RFC 8259 strictly (what serde_json
//! accepts, it accepts; `properties.rs` checks the two agree), checks numbers against the
//! grammar without converting them (no answer field we read is a number, so one too large
//! for f64 is not an error here), and limits nesting so a hostile body cannot exhaust the
//! stack. A field that is null counts as absent, as serde reads an `Option`.

#[cfg(all(test, not(target_family = "wasm")))]
mod properties;

/// A parsed JSON value. Objects keep their members in order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number, checked against the grammar but not converted.
    Number,
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Why a body is not usable JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The text ended inside a value: the body was cut short.
    CutShort,
    /// Anything else: wrong syntax, bad escapes, text after the value, nesting too deep.
    Invalid,
}

/// A value of the wrong type where a field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongShape;

/// As serde_json (which refuses the 128th level): deeper nesting is refused, not recursed
/// into.
const MAX_DEPTH: usize = 127;

pub fn parse(text: &[u8]) -> Result<Value, ParseError> {
    let mut reader = Reader { text, at: 0 };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at == text.len() {
        Ok(value)
    } else {
        Err(ParseError::Invalid)
    }
}

impl Value {
    /// The member `key` of an object: `Ok(None)` when absent or null. A key given twice is
    /// refused rather than guessed at, as serde's derives do.
    pub fn field(&self, key: &str) -> Result<Option<&Value>, WrongShape> {
        let Value::Object(members) = self else {
            return Err(WrongShape);
        };
        let mut found = members
            .iter()
            .filter(|(name, _)| name == key)
            .map(|(_, v)| v);
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => Err(WrongShape),
            (Some(Value::Null), None) | (None, _) => Ok(None),
            (Some(value), None) => Ok(Some(value)),
        }
    }

    pub fn bool_field(&self, key: &str) -> Result<Option<bool>, WrongShape> {
        match self.field(key)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(WrongShape),
        }
    }

    pub fn string_field(&self, key: &str) -> Result<Option<String>, WrongShape> {
        match self.field(key)? {
            None => Ok(None),
            Some(value) => value.as_string().map(Some),
        }
    }

    pub fn as_string(&self) -> Result<String, WrongShape> {
        match self {
            Value::String(s) => Ok(s.clone()),
            _ => Err(WrongShape),
        }
    }
}

/// `{"name":"value",...}` with the members whose value is `Some`, in the order given.
pub fn object_of_strings(members: &[(&str, Option<&str>)]) -> Vec<u8> {
    let mut out = String::from("{");
    for (name, value) in members {
        let Some(value) = value else { continue };
        if out.len() > 1 {
            out.push(',');
        }
        write_string(&mut out, name);
        out.push(':');
        write_string(&mut out, value);
    }
    out.push('}');
    out.into_bytes()
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 0xf] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// The next byte, or CutShort at the end of the text.
    fn next(&mut self) -> Result<u8, ParseError> {
        let byte = self.peek().ok_or(ParseError::CutShort)?;
        self.at += 1;
        Ok(byte)
    }

    fn expect(&mut self, wanted: u8) -> Result<(), ParseError> {
        if self.next()? == wanted {
            Ok(())
        } else {
            Err(ParseError::Invalid)
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.skip_whitespace();
        match self.peek().ok_or(ParseError::CutShort)? {
            b'n' => self.word(b"null", Value::Null),
            b't' => self.word(b"true", Value::Bool(true)),
            b'f' => self.word(b"false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' if depth < MAX_DEPTH => self.array(depth + 1),
            b'{' if depth < MAX_DEPTH => self.object(depth + 1),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(ParseError::Invalid),
        }
    }

    fn word(&mut self, word: &[u8], value: Value) -> Result<Value, ParseError> {
        for &wanted in word {
            self.expect(wanted)?;
        }
        Ok(value)
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b']' => return Ok(Value::Array(items)),
                _ => return Err(ParseError::Invalid),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.expect(b'{')?;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek().ok_or(ParseError::CutShort)? != b'"' {
                return Err(ParseError::Invalid);
            }
            let name = self.string()?;
            self.skip_whitespace();
            self.expect(b':')?;
            members.push((name, self.value(depth)?));
            self.skip_whitespace();
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(Value::Object(members)),
                _ => return Err(ParseError::Invalid),
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<Value, ParseError> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return Err(ParseError::Invalid),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.one_or_more_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.one_or_more_digits()?;
        }
        Ok(Value::Number)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Result<(), ParseError> {
        if !self.next()?.is_ascii_digit() {
            return Err(ParseError::Invalid);
        }
        self.digits();
        Ok(())
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.expect(b'"')?;
        let mut bytes = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(bytes).map_err(|_| ParseError::Invalid),
                b'\\' => {
                    let c = self.escape()?;
                    bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0x00..=0x1f => return Err(ParseError::Invalid),
                byte => bytes.push(byte),
            }
        }
    }

    /// The character after a backslash; `\u` escapes must pair surrogates properly.
    fn escape(&mut self) -> Result<char, ParseError> {
        let c = match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        self.expect(b'\\')?;
                        self.expect(b'u')?;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(ParseError::Invalid);
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(ParseError::Invalid),
                    _ => first,
                };
                return char::from_u32(code).ok_or(ParseError::Invalid);
            }
            _ => return Err(ParseError::Invalid),
        };
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = (self.next()? as char)
                .to_digit(16)
                .ok_or(ParseError::Invalid)?;
            code = code * 16 + digit;
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn reads_a_konecty_answer() {
        let answer = parse(
            br#" {"success": true, "authId": "abc", "user": {"_id": "u1", "email": [{"address": "a@b.c"}]}, "n": -1.5e3} "#,
        );
        let Ok(answer) = answer else {
            panic!("expected the answer to parse, got {answer:?}")
        };
        assert_eq!(answer.bool_field("success"), Ok(Some(true)));
        assert_eq!(answer.string_field("authId"), Ok(Some("abc".into())));
        let user = answer.field("user").unwrap().unwrap();
        assert_eq!(user.string_field("_id"), Ok(Some("u1".into())));
        assert_eq!(answer.field("n"), Ok(Some(&Value::Number)));
    }

    #[test]
    fn absent_and_null_fields_are_none() {
        let answer = parse(br#"{"message": null}"#).unwrap();
        assert_eq!(answer.string_field("message"), Ok(None));
        assert_eq!(answer.string_field("other"), Ok(None));
    }

    #[test]
    fn wrong_types_and_repeated_keys_are_refused() {
        let answer = parse(br#"{"success": "yes", "id": "a", "id": "b"}"#).unwrap();
        assert_eq!(answer.bool_field("success"), Err(WrongShape));
        assert_eq!(answer.string_field("id"), Err(WrongShape));
        assert_eq!(Value::Bool(true).field("x"), Err(WrongShape));
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(
            parse(br#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
            Ok(s("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}"))
        );
    }

    #[test]
    fn cut_short_is_told_apart_from_invalid() {
        for text in [
            &b""[..],
            b" ",
            b"{",
            br#"{"a"#,
            br#"{"a":"#,
            b"[1,",
            b"tr",
            b"\"\\u12",
            b"-",
            b"1.",
            b"1e",
        ] {
            assert_eq!(
                parse(text),
                Err(ParseError::CutShort),
                "for {:?}",
                String::from_utf8_lossy(text)
            );
        }
        for text in [
            &b"{a:1}"[..],
            b"[1,]",
            b"01",
            b"1.x",
            b"+1",
            b"nul!",
            b"{} x",
            b"\"\x01\"",
            b"\"\\x\"",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\xff\"",
            b"<html>",
        ] {
            assert_eq!(
                parse(text),
                Err(ParseError::Invalid),
                "for {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn nesting_is_limited() {
        let deep = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(
            parse(deep(MAX_DEPTH).as_bytes()).is_ok(),
            "{MAX_DEPTH} levels should parse"
        );
        assert_eq!(
            parse(deep(MAX_DEPTH + 1).as_bytes()),
            Err(ParseError::Invalid)
        );
        assert_eq!(
            parse("[".repeat(1 << 20).as_bytes()),
            Err(ParseError::Invalid)
        );
    }

    #[test]
    fn writes_only_present_members_escaped() {
        let body = object_of_strings(&[
            ("email", Some("a\"b\\c\n\u{1}é")),
            ("phoneNumber", None),
            ("otpCode", Some("123456")),
        ]);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"email":"a\"b\\c\n\u0001é","otpCode":"123456"}"#
        );
        assert_eq!(object_of_strings(&[("a", None)]), b"{}");
    }
}
