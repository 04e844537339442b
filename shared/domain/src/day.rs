//! A UTC calendar day: the figures' and the orders' date filters share it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::Error;

/// A UTC calendar day, `YYYY-MM-DD` on the wire and in keys (which then sort as days do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub(crate) Date);

impl Day {
    /// Parses `YYYY-MM-DD` exactly (a real date, four-digit year); `field` names the input.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { *b == b'-' } else { b.is_ascii_digit() });
        let number =
            |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<u16>().ok());
        let date = match (shaped, number(0..4), number(5..7), number(8..10)) {
            (true, Some(year), Some(month), Some(day)) => time::Month::try_from(month as u8)
                .ok()
                .and_then(|month| Date::from_calendar_date(i32::from(year), month, day as u8).ok()),
            _ => None,
        };
        date.map(Self).ok_or_else(|| Error::invalid(field, "must be a date as YYYY-MM-DD"))
    }

    /// The UTC day of an RFC 3339 time, e.g. an event's `time`.
    pub fn of_time(rfc3339: &str) -> Result<Self, Error> {
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
            .map(|at| Self(at.to_offset(time::UtcOffset::UTC).date()))
            .map_err(|e| Error::invalid("time", format!("is not an RFC 3339 time: {e}")))
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}-{:02}", self.0.year(), u8::from(self.0.month()), self.0.day())
    }

    /// `days` days after this one.
    pub fn plus_days(self, days: i64) -> Option<Self> {
        self.0.checked_add(time::Duration::days(days)).map(Self)
    }

    /// `days` days before this one.
    pub fn minus_days(self, days: i64) -> Option<Self> {
        self.0.checked_sub(time::Duration::days(days)).map(Self)
    }

    pub(crate) fn next(self) -> Option<Self> {
        self.0.next_day().map(Self)
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse("day", &text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Day {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Day".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date", "description": "A UTC day, YYYY-MM-DD."})
    }
}
