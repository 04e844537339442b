//! Shop events: what merchants watch live, and what the email function reacts to. On the wire
//! to merchants each is a CloudEvents 1.0 JSON message.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::Error;

/// Event types, reverse-DNS as CloudEvents recommends.
pub mod kinds {
    /// The in-store app's checkout actions, posted to `/publish/{shop_id}`.
    pub const CHECKOUT_ACTION: &str = "com.bookworm.checkout.action";
    pub const BASKET_ITEM_ADDED: &str = "com.bookworm.basket.item_added";
    pub const BASKET_ITEM_UPDATED: &str = "com.bookworm.basket.item_updated";
    pub const BASKET_ITEM_REMOVED: &str = "com.bookworm.basket.item_removed";
    pub const BASKET_CLEARED: &str = "com.bookworm.basket.cleared";
    pub const CHECKOUT_COMPLETED: &str = "com.bookworm.checkout.completed";
    pub const ORDER_COMPLETED: &str = "com.bookworm.order.completed";
    pub const ORDER_CANCELLED: &str = "com.bookworm.order.cancelled";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopEvent {
    /// Unique per event; consumers deduplicate by it.
    pub id: Uuid,
    pub shop_id: Uuid,
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// What the event is about, e.g. `sessions/<id>` or `orders/<id>`.
    pub subject: String,
    pub data: Value,
}

impl ShopEvent {
    pub fn new(shop_id: Uuid, kind: &str, subject: String, data: Value) -> Self {
        Self { id: Uuid::new_v4(), shop_id, kind: kind.to_owned(), time: now_rfc3339(), subject, data }
    }

    /// An event as the topic carries it (an SNS message's text), for the functions it feeds.
    pub fn from_message(message: &str) -> Result<Self, Error> {
        serde_json::from_str(message)
            .map_err(|e| Error::invalid("message", format!("is not a shop event: {e}")))
    }

    /// Orders a shop's history: time, then id.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.time, self.id)
    }

    /// The CloudEvents 1.0 message (structured JSON mode) merchants receive.
    pub fn cloud_event(&self) -> Value {
        json!({
            "specversion": "1.0",
            "id": self.id,
            "source": format!("/shops/{}", self.shop_id),
            "type": self.kind,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": "application/json",
            "data": self.data,
        })
    }
}

/// A position in a list kept newest first (a shop's events, orders): the sort key
/// (`<RFC 3339 time>#<uuid>`) of the last item returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor(pub String);

impl EventCursor {
    /// Events sort by time, then id, so the key is unique and ordered.
    pub fn after(event: &ShopEvent) -> Self {
        Self(event.sort_key())
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// Only what [`EventCursor::encode`] makes: a millisecond UTC time and a hyphenated UUID,
    /// exactly as stored. Anything else, of any length, is a 400 here rather than a key
    /// DynamoDB refuses (a 503) later.
    pub fn decode(text: &str) -> Result<Self, Error> {
        let garbled = || Error::invalid("cursor", "is not a cursor this API returned");
        if text.len() > 128 {
            return Err(garbled());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| garbled())?;
        let key = String::from_utf8(bytes).map_err(|_| garbled())?;
        let (time, id) = key.split_once('#').ok_or_else(garbled)?;
        let time_is_ours = OffsetDateTime::parse(time, &Rfc3339).is_ok_and(|t| rfc3339_millis(t) == time);
        let id_is_ours = id.parse::<Uuid>().is_ok_and(|uuid| uuid.hyphenated().to_string() == id);
        if !time_is_ours || !id_is_ours {
            return Err(garbled());
        }
        Ok(Self(key))
    }
}

/// Now, in Unix seconds: the unit of token expiries and DynamoDB TTLs.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

/// Now, as RFC 3339 UTC with millisecond precision.
pub fn now_rfc3339() -> String {
    rfc3339_millis(OffsetDateTime::now_utc())
}

/// RFC 3339 UTC with exactly three fractional digits, always. Sort keys are built from these
/// strings, and a formatter that drops a zero fraction ("…:36Z") would sort that instant after
/// "…:36.003Z" ('Z' > '.').
pub fn rfc3339_millis(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cloud_event_carries_every_required_attribute() {
        let shop = Uuid::new_v4();
        let event = ShopEvent::new(shop, kinds::CHECKOUT_ACTION, "sessions/s".into(), json!({"a": 1}));
        let message = event.cloud_event();
        for attribute in ["specversion", "id", "source", "type", "time", "subject", "data"] {
            assert!(!message[attribute].is_null(), "{attribute}");
        }
        assert_eq!(message["specversion"], "1.0");
        assert_eq!(message["source"], format!("/shops/{shop}"));
        assert_eq!(message["data"], json!({"a": 1}));
        assert!(OffsetDateTime::parse(message["time"].as_str().unwrap(), &Rfc3339).is_ok());
    }

    #[test]
    fn timestamps_have_a_fixed_width_so_they_sort_as_strings() {
        let whole = OffsetDateTime::from_unix_timestamp(1_795_530_600).unwrap();
        let later = whole + time::Duration::milliseconds(3);
        assert_eq!(rfc3339_millis(whole), "2026-11-24T14:30:00.000Z");
        assert!(rfc3339_millis(whole) < rfc3339_millis(later));
        assert!(OffsetDateTime::parse(&rfc3339_millis(later), &Rfc3339).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let event = ShopEvent::new(Uuid::new_v4(), kinds::CHECKOUT_ACTION, "s".into(), json!(null));
        let cursor = EventCursor::after(&event);
        assert_eq!(EventCursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(EventCursor::decode("garbage").is_err());
        assert!(EventCursor::decode(&URL_SAFE_NO_PAD.encode("x#y")).is_err());
        let id = Uuid::new_v4();
        for hostile in [
            format!("2026-11-22T14:30:00.{}Z#{id}", "1".repeat(2000)),
            format!("2026-11-22T14:30:00+01:00#{id}"),
            format!("2026-11-22T14:30:00.123Z#{}", id.simple()),
            format!("2026-11-22T14:30:00.123Z#{id}{}", " ".repeat(5000)),
        ] {
            assert!(EventCursor::decode(&URL_SAFE_NO_PAD.encode(&hostile)).is_err(), "{:.60}", hostile);
        }
        assert!(EventCursor::decode(&"A".repeat(100_000)).is_err());
    }
}
