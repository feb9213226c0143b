//! JSON with serde: Konecty's answers are read into types that derive `Deserialize` (see
//! `api`), request bodies written from types that derive `Serialize`.
//!
//! A body is read in two passes over its bytes. The first checks only the syntax, as strictly
//! as serde_json reads a `Value` (RFC 8259, strings in UTF-8 with paired surrogates, at most
//! 127 levels of nesting), so that a body cut short is told apart from one of the wrong shape
//! whatever comes first in it. The second reads the fields the client uses: unknown fields
//! are ignored, a field that is null counts as absent, and a field of the wrong type or given
//! twice makes the whole answer unreadable, as does an array where an object belongs.
//!
//! The hand-written reader this replaced gave the same verdicts but one (`regression.rs`):
//! serde_json converts the numbers it reads through, and refuses one beyond f64's range even
//! where nothing reads it. JavaScript, which Konecty is written in, cannot write such a number.

#[cfg(all(test, not(target_family = "wasm")))]
mod properties;
#[cfg(test)]
mod regression;

use core::fmt;
use core::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// The text ended inside a value: the body was cut short.
    CutShort,
    /// Not JSON: wrong syntax, bad escapes or UTF-8, text after the value, nesting too deep.
    Invalid,
    /// JSON, but not an object of the fields a `T` reads, with their types.
    WrongShape,
}

/// Reads `body`, a JSON object, as a `T`.
pub fn read<T: DeserializeOwned>(body: &[u8]) -> Result<T, ReadError> {
    check(body)?;
    match serde_json::from_slice::<Object<T>>(body) {
        Ok(Object(read)) => Ok(read),
        Err(_) => Err(ReadError::WrongShape),
    }
}

/// The first pass: whether `body` is one JSON value, with only whitespace around it.
pub fn check(body: &[u8]) -> Result<(), ReadError> {
    match serde_json::from_slice::<Syntax>(body) {
        Ok(Syntax) => Ok(()),
        Err(err) if err.is_eof() => Err(ReadError::CutShort),
        Err(_) => Err(ReadError::Invalid),
    }
}

/// Any JSON value, read through and dropped. Unlike `serde::de::IgnoredAny`, which skips
/// strings without decoding them and does not count nesting, this reads every value as
/// serde_json reads a `Value`, without keeping it.
struct Syntax;

impl<'de> Deserialize<'de> for Syntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Syntax)
    }
}

impl<'de> Visitor<'de> for Syntax {
    type Value = Syntax;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_str<E>(self, _: &str) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_unit<E>(self) -> Result<Syntax, E> {
        Ok(Syntax)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Syntax, A::Error> {
        while items.next_element::<Syntax>()?.is_some() {}
        Ok(Syntax)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Syntax, A::Error> {
        while members.next_entry::<Syntax, Syntax>()?.is_some() {}
        Ok(Syntax)
    }
}

/// A `T` read from a JSON object only: serde's derived structs also accept an array of their
/// fields in order, which no Konecty answer is.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectOf(PhantomData))
    }
}

/// For `#[serde(default, deserialize_with = "json::optional_object")]`: a field that holds
/// an object, or null.
pub fn optional_object<'de, D, T>(field: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Object<T>>::deserialize(field)?.map(|Object(read)| read))
}

struct ObjectOf<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOf<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<Object<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(members)).map(Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Answer {
        success: Option<bool>,
        #[serde(rename = "authId")]
        auth_id: Option<String>,
        user: Option<Object<User>>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct User {
        #[serde(rename = "_id")]
        id: Option<String>,
    }

    #[test]
    fn reads_a_konecty_answer() {
        let answer = read::<Answer>(
            br#" {"success": true, "authId": "abc", "user": {"_id": "u1", "email": [{"address": "a@b.c"}]}, "n": -1.5e3} "#,
        );
        assert_eq!(
            answer,
            Ok(Answer {
                success: Some(true),
                auth_id: Some("abc".into()),
                user: Some(Object(User {
                    id: Some("u1".into())
                })),
            })
        );
    }

    #[test]
    fn absent_and_null_fields_are_none() {
        let none = Answer {
            success: None,
            auth_id: None,
            user: None,
        };
        assert_eq!(
            read::<Answer>(br#"{"authId": null, "user": null}"#),
            Ok(none)
        );
    }

    #[test]
    fn wrong_types_repeated_keys_and_arrays_for_objects_are_refused() {
        for text in [
            &br#"{"success": "yes"}"#[..],
            br#"{"authId": "a", "authId": "b"}"#,
            br#"{"authId": null, "authId": "b"}"#,
            br#"{"user": ["u1"]}"#,
            br#"["yes", "a", null]"#,
            b"true",
            b"null",
        ] {
            assert_eq!(
                read::<Answer>(text),
                Err(ReadError::WrongShape),
                "for {:?}",
                String::from_utf8_lossy(text)
            );
        }
        // Keys the answer does not read may repeat.
        assert!(read::<Answer>(br#"{"x": 1, "x": 2}"#).is_ok());
    }

    #[test]
    fn escapes_are_decoded() {
        let answer = read::<Answer>(br#"{"authId": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#);
        assert_eq!(
            answer.map(|a| a.auth_id),
            Ok(Some("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}".into()))
        );
    }

    #[test]
    fn syntax_comes_before_shape() {
        // The wrong type comes first, but the body was cut short: that is what it says.
        assert_eq!(
            read::<Answer>(br#"{"success": "yes", "authId": "#),
            Err(ReadError::CutShort)
        );
        assert_eq!(
            read::<Answer>(br#"{"success": "yes", "x": [1,]}"#),
            Err(ReadError::Invalid)
        );
        // Strings are checked even where nothing is read.
        assert_eq!(
            read::<Answer>(b"{\"x\": \"\\ud800\"}"),
            Err(ReadError::Invalid)
        );
        assert_eq!(
            read::<Answer>(b"{\"x\": \"\xff\"}"),
            Err(ReadError::Invalid)
        );
    }
}
