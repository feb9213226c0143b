//! The reader against serde_json, the parser the component used before: on documents serde
//! writes, on every prefix of them (cut-short bodies) and on one-byte corruptions, both must
//! accept and refuse the same texts, and agree on which refusals are "cut short".

use proptest::prelude::*;
use serde_json::Value as Serde;

use super::{ParseError, Value, object_of_strings, parse};

fn documents() -> impl Strategy<Value = Serde> {
    let leaf = prop_oneof![
        Just(Serde::Null),
        any::<bool>().prop_map(Serde::Bool),
        (-99i64..1000).prop_map(Serde::from),
        (-1e6f64..1e6).prop_map(Serde::from),
        any::<String>().prop_map(Serde::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Serde::Array),
            prop::collection::vec(("[a-zA-Z_\"\\\\é]{0,6}", inner), 0..6)
                .prop_map(|members| Serde::Object(members.into_iter().collect())),
        ]
    })
}

/// The same tree in our representation (numbers are not compared: we do not read them).
fn same_tree(ours: &Value, theirs: &Serde) -> bool {
    match (ours, theirs) {
        (Value::Null, Serde::Null) | (Value::Number, Serde::Number(_)) => true,
        (Value::Bool(a), Serde::Bool(b)) => a == b,
        (Value::String(a), Serde::String(b)) => a == b,
        (Value::Array(a), Serde::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_tree(x, y))
        }
        (Value::Object(a), Serde::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|theirs| same_tree(v, theirs)))
        }
        _ => false,
    }
}

fn verdicts_agree(text: &[u8]) -> Result<(), TestCaseError> {
    let ours = parse(text);
    let theirs = serde_json::from_slice::<Serde>(text);
    let shown = String::from_utf8_lossy(text);
    match (&ours, &theirs) {
        (Ok(_), Ok(_)) => Ok(()),
        // We check a number's grammar but do not convert it (see json.rs).
        (Ok(_), Err(err)) if err.to_string().starts_with("number out of range") => Ok(()),
        (Err(kind), Err(err)) => {
            prop_assert_eq!(
                *kind == ParseError::CutShort,
                err.is_eof(),
                "for {:?}: we said {:?}, serde_json said {}",
                shown,
                kind,
                err
            );
            Ok(())
        }
        _ => Err(TestCaseError::fail(format!(
            "for {shown:?}: we said {ours:?}, serde_json said {theirs:?}"
        ))),
    }
}

proptest! {
    #[test]
    fn reads_what_serde_writes(doc in documents(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
        let ours = parse(&text);
        prop_assert!(
            ours.as_ref().is_ok_and(|v| same_tree(v, &doc)),
            "expected {:?} to read back as {:?}, got {:?}", String::from_utf8_lossy(&text), doc, ours
        );
    }

    #[test]
    fn every_prefix_gets_the_same_verdict(doc in documents()) {
        let text = serde_json::to_vec(&doc).unwrap();
        for end in 0..text.len() {
            verdicts_agree(&text[..end])?;
        }
    }

    #[test]
    fn one_byte_corruptions_get_the_same_verdict(
        doc in documents(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[]:,\"\\ -+.eE0123456789tfnulx\x00\x1f\xff".to_vec()),
    ) {
        let mut text = serde_json::to_vec(&doc).unwrap();
        let at = at.index(text.len());
        text[at] = byte;
        verdicts_agree(&text)?;
    }

    #[test]
    fn written_bodies_read_back(values in prop::collection::vec(proptest::option::of(any::<String>()), 0..5)) {
        let names = ["email", "phoneNumber", "otpCode", "source", "fingerprint"];
        let members: Vec<(&str, Option<&str>)> =
            names.iter().zip(&values).map(|(n, v)| (*n, v.as_deref())).collect();
        let body = object_of_strings(&members);
        let theirs: Serde = serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (name, value) in &members {
            prop_assert_eq!(theirs.get(*name).and_then(Serde::as_str), *value, "member {}", name);
        }
    }
}

#[test]
fn nesting_limit_matches_serde_json() {
    for depth in [126, 127, 128, 129] {
        let text = "[".repeat(depth) + &"]".repeat(depth);
        verdicts_agree(text.as_bytes()).unwrap();
    }
}
