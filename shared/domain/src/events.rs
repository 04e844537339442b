//! Shop events: what merchants watch live, and what the email function reacts to. On the wire
//! to merchants each is a CloudEvents 1.0 JSON message.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;
use crate::Money;
use crate::basket::Basket;
use crate::catalog::Book;
use crate::clock::{is_time_and_id, now_rfc3339};
use crate::ids::{BookId, EventId, ShopId};
use crate::orders::Order;
use crate::publish::CheckoutAction;
use crate::reviews::Review;

mod payload;
pub use payload::*;

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
    pub const REVIEW_CREATED: &str = "com.bookworm.review.created";
    pub const REVIEW_UPDATED: &str = "com.bookworm.review.updated";
    pub const REVIEW_REMOVED: &str = "com.bookworm.review.removed";
}

/// The feed of catalog events (reviews), which belong to no one shop. It is kept, published
/// and paged like a shop's (`/shops/00000000-0000-0000-0000-000000000000/events`), and only
/// admins may watch it: no merchant works for the nil shop.
pub const CATALOG_FEED: ShopId = ShopId(Uuid::nil());

/// The feed admins watch every shop's order events on (`$connect?feed=orders`): its sockets
/// are kept as this id's, and fan-out sends them each order event whatever its shop. No event
/// is stored under it, and no merchant works for it.
pub const ORDERS_FEED: ShopId = ShopId(Uuid::max());

/// Whether `kind` is an order event: the admins' orders feed gets it.
pub fn is_order_kind(kind: &str) -> bool {
    matches!(kind, kinds::CHECKOUT_COMPLETED | kinds::ORDER_COMPLETED | kinds::ORDER_CANCELLED)
}

/// A shop event: the envelope (id, shop, time, subject) and its typed [`Payload`]. Stored and
/// carried on the topic as `{id, shop_id, time, subject, type, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShopEvent {
    /// Unique per event; consumers deduplicate by it.
    pub id: EventId,
    pub shop_id: ShopId,
    /// RFC 3339, UTC.
    pub time: String,
    /// What the event is about, e.g. `sessions/<id>` or `orders/<id>`.
    pub subject: String,
    #[serde(flatten)]
    pub payload: Payload,
}

impl ShopEvent {
    fn new(shop_id: ShopId, subject: String, payload: Payload) -> Self {
        Self { id: EventId::random(), shop_id, time: now_rfc3339(), subject, payload }
    }

    /// An in-store action, checked ([`CheckoutAction::validate`]) and published for its shop.
    pub fn checkout_action(action: CheckoutAction) -> Self {
        let subject = format!("sessions/{}", action.session_id);
        Self::new(action.shop_id, subject, Payload::CheckoutAction(action))
    }

    /// A book put into `basket` (`new`) or given another quantity; `total` is the basket's new
    /// total.
    pub fn basket_item_set(basket: &Basket, book: &Book, quantity: u32, total: Money, new: bool) -> Self {
        Self::for_basket(basket, Payload::basket_item_set(basket, book, quantity, total, new))
    }

    /// A book taken out of `basket`; `book` is `None` when the catalog no longer has it.
    pub fn basket_item_removed(basket: &Basket, book_id: BookId, book: Option<&Book>, total: Money) -> Self {
        Self::for_basket(basket, Payload::basket_item_removed(basket, book_id, book, total))
    }

    pub fn basket_cleared(basket: &Basket) -> Self {
        Self::for_basket(basket, Payload::basket_cleared(basket))
    }

    pub fn checkout_completed(order: &Order) -> Self {
        Self::new(order.shop_id, format!("orders/{}", order.id), Payload::checkout_completed(order))
    }

    /// The event of an order that was just completed or cancelled; an error for a new order.
    pub fn order_closed(order: &Order) -> Result<Self, Error> {
        let payload = Payload::order_closed(order)
            .ok_or_else(|| Error::Conflict("only a completed or cancelled order is announced".into()))?;
        Ok(Self::new(order.shop_id, format!("orders/{}", order.id), payload))
    }

    /// A review written (`new`) or changed: edited, hidden, restored.
    pub fn review_changed(review: &Review, new: bool) -> Self {
        Self::new(CATALOG_FEED, review_subject(review), Payload::review_changed(review, new))
    }

    pub fn review_removed(review: &Review, by: RemovedBy) -> Self {
        Self::new(CATALOG_FEED, review_subject(review), Payload::review_removed(review, by))
    }

    fn for_basket(basket: &Basket, payload: Payload) -> Self {
        Self::new(basket.shop_id, format!("baskets/{}", basket.id), payload)
    }

    /// The CloudEvents `type`.
    pub fn kind(&self) -> &'static str {
        self.payload.kind()
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
    pub fn cloud_event(&self) -> CloudEvent<'_> {
        CloudEvent {
            specversion: "1.0",
            id: self.id,
            source: format!("/shops/{}", self.shop_id),
            time: &self.time,
            subject: &self.subject,
            datacontenttype: "application/json",
            payload: &self.payload,
        }
    }
}

fn review_subject(review: &Review) -> String {
    format!("books/{}/reviews/{}", review.book_id, review.id)
}

/// A shop event as merchants receive it: CloudEvents 1.0, structured JSON mode.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CloudEvent<'a> {
    #[schemars(extend("const" = "1.0"))]
    pub specversion: &'static str,
    pub id: EventId,
    /// `/shops/<shop id>`.
    pub source: String,
    #[schemars(extend("format" = "date-time"))]
    pub time: &'a str,
    pub subject: &'a str,
    #[schemars(extend("const" = "application/json"))]
    pub datacontenttype: &'static str,
    /// `type` and `data`.
    #[serde(flatten)]
    pub payload: &'a Payload,
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
        if !is_time_and_id(&key) {
            return Err(garbled());
        }
        Ok(Self(key))
    }
}

/// A book to put in the sample baskets.
#[cfg(any(test, feature = "contract-tests"))]
fn sample_book() -> Book {
    use crate::catalog::{BookDraft, BookStatus};
    use crate::ids::{AuthorId, CategoryId, PublisherId};
    let draft = BookDraft {
        name: "Emma".into(),
        description: String::new(),
        price: "12.00".parse().unwrap(),
        sale_price: Some("9.50".parse().unwrap()),
        status: BookStatus::InStock,
        author_ids: vec![AuthorId::derived("Jane Austen")],
        category_id: CategoryId::derived("Fiction"),
        publisher_id: PublisherId::derived("Penguin"),
    };
    draft.validate(BookId::derived("Emma")).unwrap()
}

/// One event of every kind, made as the handlers make them.
#[cfg(any(test, feature = "contract-tests"))]
pub fn one_of_each_kind() -> Vec<ShopEvent> {
    let shop = ShopId::random();
    let book = sample_book();
    let ann = crate::ids::UserId::new("ann").unwrap();
    let mut basket = crate::basket::Basket::new(shop, &ann);
    basket.set(book.id, 2).unwrap();
    let books = std::collections::HashMap::from([(book.id, book.clone())]);
    let priced = crate::basket::PricedBasket::price(&basket, &books).unwrap();
    let key = crate::ids::IdempotencyKey::parse("k").unwrap();
    let mut order = Order::checkout(priced.clone(), &ann, None, &key).unwrap();
    let placed = ShopEvent::checkout_completed(&order);
    let mut cancelled = order.clone();
    cancelled.transition(crate::orders::OrderStatus::Cancelled).unwrap();
    order.transition(crate::orders::OrderStatus::Completed).unwrap();
    let reader = crate::identity::Principal::sample("ann");
    let content = crate::reviews::ReviewContent { rating: 4, title: None, comment: Some("Fine.".into()) };
    let review = Review::new(book.id, &reader, content, true, now_rfc3339());
    vec![
        ShopEvent::checkout_action(crate::publish::sample_action(shop)),
        ShopEvent::basket_item_set(&basket, &book, 2, priced.total, true),
        ShopEvent::basket_item_set(&basket, &book, 3, priced.total, false),
        ShopEvent::basket_item_removed(&basket, book.id, None, Money::ZERO),
        ShopEvent::basket_cleared(&basket),
        placed,
        ShopEvent::order_closed(&order).unwrap(),
        ShopEvent::order_closed(&cancelled).unwrap(),
        ShopEvent::review_changed(&review, true),
        ShopEvent::review_changed(
            &review.reported(crate::reviews::ReportReason::Spam, 1, now_rfc3339()),
            false,
        ),
        ShopEvent::review_removed(&review, RemovedBy::Moderator),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::basket::{Basket, PricedBasket};
    use crate::publish::sample_action;
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    #[test]
    fn every_kind_is_named_by_its_constant_and_round_trips() {
        let events = one_of_each_kind();
        let mut names: Vec<&str> = events.iter().map(ShopEvent::kind).collect();
        names.dedup();
        assert_eq!(names.len(), 11, "one event per kind");
        for event in events {
            let text = serde_json::to_string(&event).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["type"], event.kind(), "the serde tag is the kinds:: constant");
            assert_eq!(ShopEvent::from_message(&text).unwrap(), event);
            assert!(value["data"].is_object(), "{text}");
        }
    }

    #[test]
    fn an_in_store_action_keeps_the_apps_fields_exactly() {
        let action = sample_action(ShopId::random());
        let event = ShopEvent::checkout_action(action.clone());
        let message = serde_json::to_value(event.cloud_event()).unwrap();
        assert_eq!(message["data"], serde_json::to_value(&action).unwrap());
        assert_eq!(message["data"]["product_price"], json!(3.5), "a number, as the app sent it");
        assert_eq!(message["subject"], format!("sessions/{}", action.session_id));
    }

    #[test]
    fn basket_events_share_no_field_name_with_the_in_store_action() {
        let action = serde_json::to_value(sample_action(ShopId::random())).unwrap();
        for event in one_of_each_kind().iter().filter(|event| event.kind().contains(".basket.")) {
            let data = serde_json::to_value(&event.payload).unwrap()["data"].clone();
            for field in data.as_object().unwrap().keys() {
                assert!(action.get(field).is_none(), "{} reuses {field}", event.kind());
            }
        }
    }

    #[test]
    fn a_new_order_is_not_announced_as_closed() {
        let ann = crate::ids::UserId::new("ann").unwrap();
        let mut basket = Basket::new(ShopId::random(), &ann);
        let book = sample_book();
        basket.set(book.id, 1).unwrap();
        let priced =
            PricedBasket::price(&basket, &std::collections::HashMap::from([(book.id, book)])).unwrap();
        let key = crate::ids::IdempotencyKey::parse("k").unwrap();
        let order = Order::checkout(priced, &ann, None, &key).unwrap();
        assert!(ShopEvent::order_closed(&order).is_err());
    }

    #[test]
    fn a_cloud_event_carries_every_required_attribute() {
        let shop = ShopId::random();
        let event = ShopEvent::checkout_action(sample_action(shop));
        let message = serde_json::to_value(event.cloud_event()).unwrap();
        for attribute in ["specversion", "id", "source", "type", "time", "subject", "data"] {
            assert!(!message[attribute].is_null(), "{attribute}");
        }
        assert_eq!(message["specversion"], "1.0");
        assert_eq!(message["source"], format!("/shops/{shop}"));
        assert_eq!(message["type"], kinds::CHECKOUT_ACTION);
        assert!(OffsetDateTime::parse(message["time"].as_str().unwrap(), &Rfc3339).is_ok());
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let event = ShopEvent::checkout_action(sample_action(ShopId::random()));
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
