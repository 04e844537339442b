//! Money as integer minor units (cents) of the catalog currency. Never a float.
//!
//! On the wire an amount is a decimal string with two places ("12.99"), so no client
//! ever sees binary rounding and no precision is lost in JSON number parsing.

use std::{fmt, str::FromStr};

/// The catalog's currency. One shop chain, one currency; amounts carry no currency of their own.
pub const CURRENCY: &str = "USD";

/// An amount in cents. Non-negative by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(u64);

/// The largest amount we accept: ten million in major units. Keeps sort keys fixed-width.
pub const MAX_CENTS: u64 = 1_000_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a decimal amount like 12.99")]
    Malformed,
    #[error("must have at most two decimal places")]
    TooPrecise,
    #[error("must be at most 10000000.00")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(0);
    pub const CENT: Money = Money(1);

    pub fn from_cents(cents: u64) -> Result<Self, MoneyError> {
        if cents > MAX_CENTS { Err(MoneyError::TooLarge) } else { Ok(Self(cents)) }
    }

    pub fn cents(self) -> u64 {
        self.0
    }

    /// `None` beyond [`MAX_CENTS`] too: an amount we could write but not read back is no amount.
    pub fn checked_mul(self, factor: u64) -> Option<Money> {
        self.0.checked_mul(factor).and_then(|cents| Money::from_cents(cents).ok())
    }

    /// `None` beyond [`MAX_CENTS`], like [`Money::checked_mul`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).and_then(|cents| Money::from_cents(cents).ok())
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses "12", "12.5" or "12.99" exactly. Signs, exponents and spaces are refused.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (text.contains('.') && !digits(fraction)) {
            return Err(MoneyError::Malformed);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        if whole.len() > 8 {
            return Err(MoneyError::TooLarge);
        }
        let whole: u64 = whole.parse().map_err(|_| MoneyError::Malformed)?;
        let fraction: u64 = format!("{fraction:0<2}").parse().map_err(|_| MoneyError::Malformed)?;
        Money::from_cents(whole * 100 + fraction)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Zero in any spelling [`Money`]'s schema allows (`0`, `0.0`, `000.00`…), as a schema, for
/// an amount's schema to say `not` to (a price is greater than 0). It names the type, so that
/// `null` stays allowed where it is.
pub fn zero_schema() -> serde_json::Value {
    serde_json::json!({ "type": "string", "pattern": "^0+(\\.0{1,2})?$" })
}

/// A decimal string: at most eight whole digits (up to 10000000.00) and two decimals.
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]{1,7}(\\.[0-9]{1,2})?|10000000(\\.0{1,2})?)$",
            "description": "An amount in USD, as a decimal string, e.g. \"12.99\"; at most 10000000.00.",
            "examples": ["12.99"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimal_amounts() {
        assert_eq!("12".parse::<Money>().unwrap().cents(), 1200);
        assert_eq!("12.5".parse::<Money>().unwrap().cents(), 1250);
        assert_eq!("0.07".parse::<Money>().unwrap().cents(), 7);
        assert_eq!("10000000".parse::<Money>().unwrap().cents(), MAX_CENTS);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in ["", "-1", "+1", "1e3", " 1", "1.", ".5", "abc", "1,00", "NaN"] {
            assert_eq!(bad.parse::<Money>(), Err(MoneyError::Malformed), "{bad:?}");
        }
        assert_eq!("1.999".parse::<Money>(), Err(MoneyError::TooPrecise));
        assert_eq!("10000000.01".parse::<Money>(), Err(MoneyError::TooLarge));
        assert_eq!("999999999999".parse::<Money>(), Err(MoneyError::TooLarge));
    }

    #[test]
    fn arithmetic_stays_in_the_range_it_can_read_back() {
        let most = Money::from_cents(MAX_CENTS).unwrap();
        assert_eq!(most.checked_add(Money::ZERO), Some(most));
        assert_eq!(most.checked_add(Money::from_cents(1).unwrap()), None);
        assert_eq!(Money::from_cents(MAX_CENTS / 2 + 1).unwrap().checked_mul(2), None);
        assert_eq!(Money::from_cents(7).unwrap().checked_mul(3), Some(Money::from_cents(21).unwrap()));
    }

    #[test]
    fn round_trips_through_json_as_a_string() {
        let price: Money = "3.50".parse().unwrap();
        let json = serde_json::to_string(&price).unwrap();
        assert_eq!(json, "\"3.50\"");
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), price);
    }
}
