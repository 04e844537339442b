//! Typed identifiers: a book id can never be passed where an author id is expected.

use std::{fmt, str::FromStr};
use uuid::Uuid;

use crate::Error;

macro_rules! id_type {
    ($name:ident, $kind:literal) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            schemars::JsonSchema,
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
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

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
