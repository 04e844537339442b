//! Orders: a priced basket's lines kept as they were at checkout, and the moves an order may
//! make afterwards.

use crate::Error;
use crate::Money;
use crate::basket::{PricedBasket, PricedLine};
use crate::day::Day;
use crate::ids::{IdempotencyKey, OrderId, ShopId, UserId};
use crate::profile::{Address, Fulfilment};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    New,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 3] = [OrderStatus::New, OrderStatus::Completed, OrderStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// An order: the basket's lines with their prices at checkout, kept as they were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    pub id: OrderId,
    pub shop_id: ShopId,
    pub buyer_id: UserId,
    pub buyer_email: Option<String>,
    /// The buyer's name from their token, to greet them by in emails.
    #[serde(default)]
    pub buyer_name: Option<String>,
    /// The buyer's phone number (E.164), when they sign in with one: for SMS, if they opted in.
    #[serde(default)]
    pub buyer_phone: Option<String>,
    pub lines: Vec<PricedLine>,
    pub total: Money,
    pub status: OrderStatus,
    pub created_at: String,
    /// The client's `Idempotency-Key`: a replay returns this order.
    pub idempotency_key: IdempotencyKey,
    /// Delivered or picked up at the shop. Orders placed before delivery existed read as
    /// pickup: the shop was the only place they could be handed over.
    #[serde(default)]
    pub fulfilment: Fulfilment,
    /// For delivery: a copy of the buyer's address as it was at checkout. Editing or deleting
    /// the address in the profile later leaves it as it is. `null` for pickup.
    #[serde(default)]
    pub shipping_address: Option<Address>,
}

impl Order {
    /// The order for a priced basket; refused when it is empty or holds anything unavailable.
    pub fn checkout(
        priced: PricedBasket,
        buyer_id: &UserId,
        buyer_email: Option<String>,
        idempotency_key: &IdempotencyKey,
    ) -> Result<Self, Error> {
        if priced.lines.is_empty() && priced.unavailable.is_empty() {
            return Err(Error::Conflict("the basket is empty".into()));
        }
        if let Some(book) = priced.unavailable.first() {
            return Err(Error::Conflict(format!("book {book} is no longer in the catalog; remove it first")));
        }
        if let Some(line) = priced.lines.iter().find(|line| !line.in_stock) {
            return Err(Error::Conflict(format!("{} is out of stock; remove it first", line.name)));
        }
        Ok(Self {
            id: OrderId::random(),
            shop_id: priced.shop_id,
            buyer_id: buyer_id.clone(),
            buyer_email,
            buyer_name: None,
            buyer_phone: None,
            lines: priced.lines,
            total: priced.total,
            status: OrderStatus::New,
            created_at: crate::clock::now_rfc3339(),
            idempotency_key: idempotency_key.clone(),
            fulfilment: Fulfilment::Pickup,
            shipping_address: None,
        })
    }
}

impl Order {
    /// Moves a new order to `to` (completed or cancelled). Repeating the transition it already
    /// made is fine (`Ok(false)`: nothing to do); any other move is a conflict.
    pub fn transition(&mut self, to: OrderStatus) -> Result<bool, Error> {
        match (self.status, to) {
            (from, to) if from == to => Ok(false),
            (OrderStatus::New, OrderStatus::Completed | OrderStatus::Cancelled) => {
                self.status = to;
                Ok(true)
            }
            (from, to) => Err(Error::Conflict(format!(
                "an order that is {} cannot become {}",
                from.as_str(),
                to.as_str()
            ))),
        }
    }

    /// Orders list newest first: creation time, then id.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.created_at, self.id)
    }
}

/// What placing an order came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// This call placed it.
    New,
    /// The basket changed or was already checked out meanwhile; nothing was written.
    BasketChanged,
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::basket::Basket;
    use crate::basket::tests::book;
    use crate::catalog::BookStatus;
    use crate::ids::BookId;

    fn c() -> UserId {
        UserId::new("c").unwrap()
    }

    fn k() -> IdempotencyKey {
        IdempotencyKey::parse("k").unwrap()
    }

    #[test]
    fn an_unavailable_line_blocks_checkout() {
        let mut basket = Basket::new(ShopId::random(), &c());
        basket.set(BookId::derived("withdrawn"), 1).unwrap();
        let priced = PricedBasket::price(&basket, &HashMap::new()).unwrap();
        assert!(matches!(Order::checkout(priced, &c(), None, &k()), Err(Error::Conflict(_))));
    }

    #[test]
    fn orders_move_from_new_once_and_repeat_idempotently() {
        let emma = book("Emma", 1200, None, BookStatus::InStock);
        let mut basket = Basket::new(ShopId::random(), &c());
        basket.set(emma.id, 1).unwrap();
        let priced = PricedBasket::price(&basket, &HashMap::from([(emma.id, emma)])).unwrap();
        let mut order = Order::checkout(priced, &c(), None, &k()).unwrap();
        assert!(order.transition(OrderStatus::Completed).unwrap());
        assert!(!order.transition(OrderStatus::Completed).unwrap(), "the same move again changes nothing");
        assert!(matches!(order.transition(OrderStatus::Cancelled), Err(Error::Conflict(_))));
        assert!(matches!(order.transition(OrderStatus::New), Err(Error::Conflict(_))));
    }

    #[test]
    fn checkout_refuses_empty_baskets_and_out_of_stock_books() {
        let basket = Basket::new(ShopId::random(), &c());
        let empty = PricedBasket::price(&basket, &HashMap::new()).unwrap();
        assert!(matches!(Order::checkout(empty, &c(), None, &k()), Err(Error::Conflict(_))));
        let gone = book("Gone", 500, None, BookStatus::OutOfStock);
        let mut basket = Basket::new(ShopId::random(), &c());
        basket.set(gone.id, 1).unwrap();
        let priced = PricedBasket::price(&basket, &HashMap::from([(gone.id, gone)])).unwrap();
        assert!(matches!(Order::checkout(priced, &c(), None, &k()), Err(Error::Conflict(_))));
    }
}

/// Orders placed from one UTC day to another, both included; either end may be open. Orders
/// sort by their key (`<RFC 3339 UTC time>#<id>`), so the range is one span of keys: from the
/// first day's date (every key of that day sorts after it) to, not including, the date of the
/// day after the last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlacedWithin {
    pub from: Option<Day>,
    pub to: Option<Day>,
}

impl PlacedWithin {
    /// `to` before `from` is a 400 naming `to`.
    pub fn new(from: Option<Day>, to: Option<Day>) -> Result<Self, Error> {
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(Error::invalid("to", "must not be before from"));
        }
        Ok(Self { from, to })
    }

    /// The least key in the range, if it has a first day.
    pub fn low_key(&self) -> Option<String> {
        self.from.map(Day::key)
    }

    /// The least key past the range, if it has a last day (and days follow it).
    pub fn high_key(&self) -> Option<String> {
        self.to.and_then(|day| day.plus_days(1)).map(Day::key)
    }

    /// Whether an order's sort key is in the range.
    pub fn holds_key(&self, key: &str) -> bool {
        self.low_key().is_none_or(|low| key >= low.as_str())
            && self.high_key().is_none_or(|high| key < high.as_str())
    }

    /// A cursor (the key it names) must be a key of the range it pages through: one from another range (or made
    /// up) would start a listing outside it.
    pub fn check_cursor(&self, cursor_key: &str) -> Result<(), Error> {
        match self.holds_key(cursor_key) {
            true => Ok(()),
            false => Err(Error::invalid("cursor", "is not from a page of this from/to range")),
        }
    }
}
