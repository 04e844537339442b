//! Typed identifiers: a book id can never be passed where an author id is expected.

use serde::Deserialize;
use std::{fmt, str::FromStr};
use uuid::Uuid;

use crate::Error;

macro_rules! id_type {
    // `$a_kind`: the kind with its article, for messages ("a book", "an order").
    ($name:ident, $kind:literal, $a_kind:literal) => {
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
                text.parse().map_err(|_| Error::invalid(field, concat!("must be ", $a_kind, " id (a UUID)")))
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
                        "must be ",
                        $a_kind,
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

id_type!(BookId, "book", "a book");
id_type!(AuthorId, "author", "an author");
id_type!(CategoryId, "category", "a category");
id_type!(PublisherId, "publisher", "a publisher");
id_type!(ShopId, "shop", "a shop");
id_type!(OrderId, "order", "an order");
id_type!(ReviewId, "review", "a review");
id_type!(EventId, "event", "an event");
id_type!(ConversationId, "conversation", "a conversation");
id_type!(MessageId, "message", "a message");
id_type!(AddressId, "address", "an address");
id_type!(DeviceId, "device", "a device");

/// A string id of someone else's making: any non-empty text, kept as given.
macro_rules! text_id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        // The type's documentation is on its `impl`: on the struct, schemars would copy it into
        // the schema of every field of this type.
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        $(#[$doc])*
        impl $name {
            /// The id `text` is, if it is one (any non-empty text).
            pub fn new(text: impl Into<String>) -> Result<Self, InvalidId> {
                let text = text.into();
                if text.is_empty() { Err(InvalidId) } else { Ok(Self(text)) }
            }

            /// Parses a caller-supplied id, naming `field` when it is empty.
            pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
                Self::new(text).map_err(|_| Error::invalid(field, concat!("must be a ", $kind, " id (not empty)")))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::new(text)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::new(text).map_err(|_| serde::de::Error::custom(concat!("must be a ", $kind, " id (not empty)")))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

text_id_type!(
    /// A user: the `sub` of their token, which the issuer makes up (a UUID at Cognito and
    /// Keycloak, but nothing says it must be one).
    UserId,
    "user"
);
text_id_type!(
    /// An open WebSocket, as API Gateway names it (e.g. `L0SM9cOFvHcCIhw=`).
    ConnectionId,
    "connection"
);

impl UserId {
    /// The user's id as a UUID, when it reads as one (the in-store app's `shopper_id` is a
    /// UUID; a `sub` that is not one is no shopper). The `sub` is the issuer's text, so any
    /// spelling the `uuid` crate reads counts, as it always has.
    pub fn as_uuid(&self) -> Option<Uuid> {
        Uuid::parse_str(&self.0).ok()
    }
}

// Documented on its `impl`, not to put the text in every schema of a field of this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

/// The `Idempotency-Key` of a checkout: printable ASCII, trimmed, 1 to
/// [`IdempotencyKey::MAX`] characters. A value of this type always holds to that.
impl IdempotencyKey {
    /// The header that carries it, and the field its errors name.
    pub const HEADER: &'static str = "Idempotency-Key";
    pub const MAX: usize = 255;

    /// The key `text` (a header's value) holds: refused, naming the header, unless it is
    /// printable ASCII and 1 to [`Self::MAX`] characters once trimmed.
    pub fn parse(text: &str) -> Result<Self, Error> {
        // Printable ASCII: header values may also hold tabs, which no key of ours needs.
        if !text.bytes().all(|byte| (0x20..=0x7e).contains(&byte)) {
            return Err(Error::invalid(Self::HEADER, "must be printable ASCII"));
        }
        let key = text.trim();
        if key.is_empty() || key.len() > Self::MAX {
            return Err(Error::invalid(Self::HEADER, format!("must be 1 to {} characters", Self::MAX)));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for IdempotencyKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let key = Self::parse(&text).map_err(serde::de::Error::custom)?;
        if key.0 != text {
            return Err(serde::de::Error::custom("an Idempotency-Key is stored trimmed"));
        }
        Ok(key)
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

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
    fn the_new_ids_are_plain_strings_on_the_wire() {
        let shop = ShopId::random();
        let value = serde_json::to_value(shop).unwrap();
        assert_eq!(value, serde_json::json!(shop.0.to_string()));
        assert_eq!(serde_json::from_value::<ShopId>(value).unwrap(), shop);
        for id in [OrderId::random().0, ReviewId::random().0, EventId::random().0] {
            let text = serde_json::json!(id.to_string());
            assert_eq!(serde_json::from_value::<OrderId>(text.clone()).unwrap().0, id);
            assert_eq!(serde_json::from_value::<ReviewId>(text.clone()).unwrap().0, id);
            assert_eq!(serde_json::from_value::<EventId>(text).unwrap().0, id);
            let simple = serde_json::json!(id.simple().to_string());
            assert!(serde_json::from_value::<OrderId>(simple.clone()).is_err());
            assert!(serde_json::from_value::<ShopId>(simple).is_err());
            assert!(OrderId::parse("order_id", &id.simple().to_string()).is_err());
        }
        let user = UserId::new("user-1").unwrap();
        assert_eq!(serde_json::to_value(&user).unwrap(), serde_json::json!("user-1"));
        assert_eq!(serde_json::from_value::<UserId>(serde_json::json!("user-1")).unwrap(), user);
        assert!(serde_json::from_value::<UserId>(serde_json::json!("")).is_err());
        assert!(serde_json::from_value::<UserId>(serde_json::json!(7)).is_err());
        let connection = ConnectionId::new("L0SM9cOFvHcCIhw=").unwrap();
        assert_eq!(serde_json::to_value(&connection).unwrap(), serde_json::json!("L0SM9cOFvHcCIhw="));
        assert_eq!(connection.to_string(), "L0SM9cOFvHcCIhw=");
        assert!(ConnectionId::new("").is_err());
        let key = IdempotencyKey::parse("k-1").unwrap();
        assert_eq!(serde_json::to_value(&key).unwrap(), serde_json::json!("k-1"));
        assert_eq!(serde_json::from_value::<IdempotencyKey>(serde_json::json!("k-1")).unwrap(), key);
    }

    #[test]
    fn a_user_id_may_be_a_uuid_or_not() {
        let id = Uuid::new_v4();
        assert_eq!(UserId::new(id.to_string()).unwrap().as_uuid(), Some(id));
        assert_eq!(UserId::new(id.simple().to_string()).unwrap().as_uuid(), Some(id));
        assert_eq!(UserId::new("user-1").unwrap().as_uuid(), None);
        assert!(matches!(UserId::parse("sub", ""), Err(Error::Invalid(ref e)) if e[0].field == "sub"));
    }

    #[test]
    fn only_a_valid_idempotency_key_is_one() {
        let refused = |text: &str| match IdempotencyKey::parse(text) {
            Err(Error::Invalid(errors)) => errors.iter().all(|e| e.field == "Idempotency-Key"),
            _ => false,
        };
        assert!(refused(&"k".repeat(256)), "256 characters");
        assert!(refused("a\tb"), "a tab");
        assert!(refused("\t"), "only a tab");
        assert!(refused(""), "empty");
        assert!(refused("   "), "empty after trim");
        assert!(refused("caf\u{e9}"), "not ASCII");
        assert!(refused("a\u{7f}"), "DEL");
        assert!(refused(&format!(" {} ", "k".repeat(256))), "too long even trimmed");
        assert_eq!(IdempotencyKey::parse(&"k".repeat(255)).unwrap().as_str().len(), 255);
        assert_eq!(IdempotencyKey::parse(&format!("  {}  ", "k".repeat(255))).unwrap().as_str().len(), 255);
        assert_eq!(IdempotencyKey::parse("  order 1 ").unwrap().as_str(), "order 1");
        for stored in ["", " k", "a\tb", &"k".repeat(256)] {
            assert!(
                serde_json::from_value::<IdempotencyKey>(serde_json::json!(stored)).is_err(),
                "{stored:?}"
            );
        }
    }

    #[test]
    fn parse_names_the_field() {
        let err = BookId::parse("id", "not-a-uuid").unwrap_err();
        assert!(matches!(err, Error::Invalid(ref e) if e[0].field == "id"), "{err}");
    }
}
