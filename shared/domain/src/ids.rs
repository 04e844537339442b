//! Typed identifiers: a book id can never be passed where an author id is expected.

use serde::Deserialize;
use std::{fmt, str::FromStr};
use uuid::Uuid;

use crate::Error;

macro_rules! id_type {
    ($name:ident, $kind:literal) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// A stable id derived from a natural key, so seeded data has the same ids everywhere.
            pub fn derived(natural_key: &str) -> Self {
                Self(Uuid::new_v5(&NAMESPACE, format!("{}:{}", $kind, natural_key).as_bytes()))
            }

            /// Parses a caller-supplied id, naming `field` when it is not a UUID.
            pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
                text.parse().map_err(|_| Error::invalid(field, concat!("must be a ", $kind, " id (a UUID)")))
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_hyphenated(text).map(Self).ok_or(InvalidId)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(|_| {
                    serde::de::Error::custom(concat!(
                        "must be a ",
                        $kind,
                        " id (a UUID like 123e4567-e89b-42d3-a456-426614174000)"
                    ))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

/// A UUID in its hyphenated form only, the one the API writes and its schema states. The
/// `uuid` crate also reads `{braced}`, `urn:uuid:` and unhyphenated forms; accepting those
/// would make one id spell many ways, and accept what the documented contract calls invalid.
pub fn parse_hyphenated(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok().filter(|_| text.len() == 36)
}

/// For serde's `deserialize_with`: a [`Uuid`] field that takes the hyphenated form only.
pub fn deserialize_hyphenated<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse_hyphenated(&text)
        .ok_or_else(|| serde::de::Error::custom("must be a UUID like 123e4567-e89b-42d3-a456-426614174000"))
}

/// Text that is not an id: a UUID in hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidId;

/// Namespace of the name-based (v5) ids of seeded data.
const NAMESPACE: Uuid = Uuid::from_u128(0x6b1f_52a4_3c1e_4d0a_9a57_0f3c_2b8e_7d11);

id_type!(BookId, "book");
id_type!(AuthorId, "author");
id_type!(CategoryId, "category");
id_type!(PublisherId, "publisher");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hyphenated_form_is_an_id() {
        let id = BookId::derived("Emma");
        let text = id.to_string();
        assert_eq!(text.parse::<BookId>().unwrap(), id);
        assert_eq!(serde_json::from_value::<BookId>(serde_json::json!(text)).unwrap(), id);
        for other in [id.0.simple().to_string(), id.0.braced().to_string(), id.0.urn().to_string()] {
            assert!(other.parse::<BookId>().is_err(), "{other}");
            assert!(serde_json::from_value::<BookId>(serde_json::json!(other)).is_err(), "{other}");
        }
    }

    #[test]
    fn derived_ids_are_stable_and_kind_specific() {
        assert_eq!(BookId::derived("Emma"), BookId::derived("Emma"));
        assert_ne!(BookId::derived("Emma").0, AuthorId::derived("Emma").0);
    }

    #[test]
    fn parse_names_the_field() {
        let err = BookId::parse("id", "not-a-uuid").unwrap_err();
        assert!(matches!(err, Error::Invalid(ref e) if e[0].field == "id"), "{err}");
    }
}
