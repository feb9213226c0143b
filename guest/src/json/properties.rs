//! The inputs of the differential tests that held the hand-written reader to serde_json's
//! `Value` (it agreed with it on every one, numbers beyond f64's range aside), now regression
//! cases of the serde reader's first pass: documents serde writes, every prefix of them
//! (bodies cut short) and one-byte corruptions must get the verdict they got then.

use proptest::prelude::*;
use serde_json::Value as Serde;

use super::{ReadError, check};

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

/// The verdict the hand-written reader gave: serde_json's on a `Value`, its "end of input"
/// errors being "cut short".
fn verdict_then(text: &[u8]) -> Result<(), ReadError> {
    match serde_json::from_slice::<Serde>(text) {
        Ok(_) => Ok(()),
        Err(err) if err.is_eof() => Err(ReadError::CutShort),
        Err(_) => Err(ReadError::Invalid),
    }
}

fn same_verdict(text: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        check(text),
        verdict_then(text),
        "for {:?}",
        String::from_utf8_lossy(text)
    );
    Ok(())
}

proptest! {
    #[test]
    fn reads_what_serde_writes(doc in documents(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_vec_pretty(&doc) } else { serde_json::to_vec(&doc) }.unwrap();
        prop_assert_eq!(check(&text), Ok(()), "for {:?}", String::from_utf8_lossy(&text));
    }

    #[test]
    fn every_prefix_gets_the_same_verdict(doc in documents()) {
        let text = serde_json::to_vec(&doc).unwrap();
        for end in 0..text.len() {
            same_verdict(&text[..end])?;
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
        same_verdict(&text)?;
    }
}

#[test]
fn nesting_limit_is_serde_jsons() {
    for depth in [126, 127, 128, 129] {
        let text = "[".repeat(depth) + &"]".repeat(depth);
        same_verdict(text.as_bytes()).unwrap();
    }
}
