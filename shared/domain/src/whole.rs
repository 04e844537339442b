//! Whole numbers as JSON Schema means them: `integer` is any number with a zero fraction, so
//! `4`, `4.0` and `4e0` are all the integer 4 (JSON itself has one number type). serde's
//! integer types take only the first spelling; fields the schema calls `integer` deserialize
//! through here instead, and still refuse `4.5` and what does not fit.
//!
//! ```ignore
//! // Required: a missing field is serde's "missing field" error, which names it. With
//! // `#[serde(default)]` it would be `None`, and the schema would lose `required`.
//! #[serde(deserialize_with = "crate::whole::option")]
//! pub rating: Option<u8>,
//! ```

use serde::de::{Deserializer, Unexpected, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A whole number that fits `T`.
pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(Whole(PhantomData))
}

/// [`deserialize`] for an `Option` field: `null` is `None`.
pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i128>>(deserializer: D) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_option(Optional(PhantomData))
}

struct Whole<T>(PhantomData<T>);

impl<'de, T: TryFrom<i128>> Visitor<'de> for Whole<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number in range")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v.into()).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(v.into()).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        // Below 2^64 every f64 with a zero fraction is exactly an i128; larger ones fit no field.
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 18_446_744_073_709_551_616.0 {
            T::try_from(v as i128).map_err(|_| E::invalid_value(Unexpected::Float(v), &self))
        } else {
            Err(E::invalid_type(Unexpected::Float(v), &self))
        }
    }
}

struct Optional<T>(PhantomData<T>);

impl<'de, T: TryFrom<i128>> Visitor<'de> for Optional<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number in range, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Input {
        #[serde(default, deserialize_with = "super::option")]
        rating: Option<u8>,
        #[serde(default, deserialize_with = "super::deserialize")]
        id: i64,
    }

    fn read(value: serde_json::Value) -> Result<Input, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_in_any_spelling_are_integers() {
        for rating in [json!(4), json!(4.0), serde_json::from_str("4e0").unwrap(), json!(4.000)] {
            assert_eq!(read(json!({ "rating": rating })).unwrap().rating, Some(4), "{rating}");
        }
        assert_eq!(read(json!({ "id": -7.0 })).unwrap().id, -7);
        assert_eq!(read(json!({ "id": 9_007_199_254_740_991.0 })).unwrap().id, 9_007_199_254_740_991);
        assert_eq!(read(json!({ "rating": null })).unwrap().rating, None);
        assert_eq!(read(json!({})).unwrap().rating, None);
    }

    #[test]
    fn fractions_other_types_and_out_of_range_numbers_are_refused() {
        for rating in [json!(4.5), json!(-1), json!(256), json!(256.0), json!(1e300), json!("4"), json!(true)]
        {
            let refusal = read(json!({ "rating": rating })).unwrap_err();
            assert!(refusal.contains("a whole number in range"), "{rating}: {refusal}");
        }
    }
}
