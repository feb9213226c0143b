//! Konecty's answers as serde writes them, with fields of the right type or not, null or
//! absent, among members the client does not read: the derived readers must give the answers
//! the hand-written reader gave. `then` is that reader's field logic (`Value::field`,
//! `bool_field`, `string_field`, `first_email`), kept here as the model over serde_json's
//! `Value`, which its own tree was checked equal to.

use proptest::prelude::*;
use serde_json::{Map, Value as Serde};

use super::*;

/// Any small JSON value.
fn value() -> impl Strategy<Value = Serde> {
    let leaf = prop_oneof![
        Just(Serde::Null),
        any::<bool>().prop_map(Serde::Bool),
        (-99i64..1000).prop_map(Serde::from),
        any::<String>().prop_map(Serde::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Serde::Array),
            prop::collection::vec(("[a-z_]{0,4}", inner), 0..3)
                .prop_map(|members| Serde::Object(members.into_iter().collect())),
        ]
    })
}

/// Mostly a value of `right`'s kind, sometimes any value.
fn usually(right: impl Strategy<Value = Serde> + 'static) -> BoxedStrategy<Serde> {
    prop_oneof![4 => right, 1 => value()].boxed()
}

fn string() -> BoxedStrategy<Serde> {
    usually(any::<String>().prop_map(Serde::String))
}

fn boolean() -> BoxedStrategy<Serde> {
    usually(any::<bool>().prop_map(Serde::Bool))
}

/// An object with some of `known` (each present or not) and some members no one reads.
fn object(known: Vec<(&'static str, BoxedStrategy<Serde>)>) -> BoxedStrategy<Serde> {
    let members: Vec<_> = known
        .into_iter()
        .map(|(key, value)| proptest::option::of(value).prop_map(move |v| v.map(|v| (key, v))))
        .collect();
    (
        members,
        prop::collection::vec(("[a-zA-Z_]{1,6}", value()), 0..3),
    )
        .prop_map(|(known, extra)| {
            let mut object: Map<String, Serde> = extra.into_iter().collect();
            for (key, value) in known.into_iter().flatten() {
                object.insert(key.to_string(), value);
            }
            Serde::Object(object)
        })
        .boxed()
}

fn list_of(item: BoxedStrategy<Serde>) -> BoxedStrategy<Serde> {
    usually(prop::collection::vec(item, 0..3).prop_map(Serde::Array))
}

fn answers() -> BoxedStrategy<Serde> {
    let email = prop_oneof![string(), list_of(object(vec![("address", string())])),].boxed();
    let user = usually(object(vec![
        ("_id", string()),
        ("name", string()),
        ("email", email),
    ]));
    usually(object(vec![
        ("success", boolean()),
        ("logged", boolean()),
        ("message", string()),
        ("errors", list_of(object(vec![("message", string())]))),
        ("authId", string()),
        ("user", user),
    ]))
}

fn login_options() -> BoxedStrategy<Serde> {
    usually(object(vec![
        ("passwordEnabled", boolean()),
        ("emailOtpEnabled", boolean()),
        ("whatsAppOtpEnabled", boolean()),
    ]))
}

/// What the client reads of an answer, comparable.
type Read = (
    Option<bool>,
    Option<bool>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<(Option<String>, Option<String>, Option<String>)>,
);

mod then {
    use super::{Read, Serde};

    pub struct WrongShape;

    fn field<'a>(value: &'a Serde, key: &str) -> Result<Option<&'a Serde>, WrongShape> {
        match value {
            Serde::Object(members) => Ok(members.get(key).filter(|v| !v.is_null())),
            _ => Err(WrongShape),
        }
    }

    pub fn bool_field(value: &Serde, key: &str) -> Result<Option<bool>, WrongShape> {
        match field(value, key)? {
            None => Ok(None),
            Some(Serde::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(WrongShape),
        }
    }

    fn string_field(value: &Serde, key: &str) -> Result<Option<String>, WrongShape> {
        match field(value, key)? {
            None => Ok(None),
            Some(Serde::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(WrongShape),
        }
    }

    fn first_of(items: &[Serde], key: &str) -> Result<Option<String>, WrongShape> {
        let mut first = None;
        for item in items {
            let found = string_field(item, key)?;
            first = first.or(found);
        }
        Ok(first)
    }

    pub fn answer(value: &Serde) -> Result<Read, WrongShape> {
        let first_error = match field(value, "errors")? {
            None => None,
            Some(Serde::Array(items)) => first_of(items, "message")?,
            Some(_) => return Err(WrongShape),
        };
        let user = match field(value, "user")? {
            None => None,
            Some(user) => {
                let email = match field(user, "email")? {
                    None => None,
                    Some(Serde::String(text)) => Some(text.clone()),
                    Some(Serde::Array(entries)) => first_of(entries, "address")?,
                    Some(_) => return Err(WrongShape),
                };
                Some((
                    string_field(user, "_id")?,
                    string_field(user, "name")?,
                    email,
                ))
            }
        };
        Ok((
            bool_field(value, "success")?,
            bool_field(value, "logged")?,
            string_field(value, "message")?,
            first_error,
            string_field(value, "authId")?,
            user,
        ))
    }
}

fn read_now(text: &[u8]) -> Option<Read> {
    let answer = json::read::<Answer>(text).ok()?;
    Some((
        answer.success,
        answer.logged,
        answer.message,
        answer.first_error,
        answer.auth_id,
        answer.user.map(|u| (u.id, u.name, u.email)),
    ))
}

proptest! {
    #[test]
    fn answers_read_as_they_did(answer in answers(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_vec_pretty(&answer) } else { serde_json::to_vec(&answer) }.unwrap();
        prop_assert_eq!(
            read_now(&text),
            then::answer(&answer).ok(),
            "for {}", String::from_utf8_lossy(&text)
        );
    }

    #[test]
    fn login_options_read_as_they_did(options in login_options()) {
        let text = serde_json::to_vec(&options).unwrap();
        let then = (|| {
            let flag = |key| then::bool_field(&options, key).map(|b| b.unwrap_or(false));
            Ok::<_, then::WrongShape>(LoginMethods {
                password_enabled: flag("passwordEnabled")?,
                email_otp_enabled: flag("emailOtpEnabled")?,
                whatsapp_otp_enabled: flag("whatsAppOtpEnabled")?,
            })
        })();
        let now = json::read::<LoginOptions>(&text).map(LoginOptions::methods);
        prop_assert_eq!(now.ok(), then.ok(), "for {}", String::from_utf8_lossy(&text));
    }

    #[test]
    fn written_bodies_read_back(
        phone in any::<bool>(),
        who in any::<String>(),
        values in prop::collection::vec(proptest::option::of(any::<String>()), 3),
        place in proptest::option::of((-90.0f64..=90.0, -180.0f64..=180.0)),
    ) {
        let who = if phone { Who::Phone(who) } else { Who::Email(who) };
        let label = values[1].clone().map(|source| ClientLabel { source, fingerprint: values[2].clone() });
        let geolocation = place.map(|(latitude, longitude)| Geolocation { latitude, longitude });
        let body = otp_body(&who, values[0].as_deref(), label.as_ref(), geolocation).unwrap();
        let theirs: Serde = serde_json::from_slice(&body).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (email, phone_number) = match &who {
            Who::Email(e) => (Some(e.as_str()), None),
            Who::Phone(p) => (None, Some(p.as_str())),
        };
        for (name, value) in [
            ("email", email),
            ("phoneNumber", phone_number),
            ("otpCode", values[0].as_deref()),
            ("source", label.as_ref().map(|l| l.source.as_str())),
            ("fingerprint", label.as_ref().and_then(|l| l.fingerprint.as_deref())),
        ] {
            prop_assert_eq!(theirs.get(name).and_then(Serde::as_str), value, "member {}", name);
        }
        match geolocation {
            None => prop_assert!(theirs.get("geolocation").is_none()),
            Some(g) => {
                let sent = &theirs["geolocation"];
                for (name, degrees) in [("longitude", g.longitude), ("latitude", g.latitude)] {
                    let number = sent[name].as_f64().unwrap_or(f64::NAN);
                    prop_assert!((number - degrees).abs() <= 0.5e-7, "{} {} sent as {}", name, degrees, sent[name]);
                }
            }
        }
    }
}
