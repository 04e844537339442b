//! Baskets (one per customer per shop) and the orders checkout makes of them. Prices always
//! come from the catalog, never from the client.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{Book, BookStatus};
use crate::ids::BookId;
use crate::{Error, Money};

pub const MAX_QUANTITY: u32 = 99;
/// Distinct books in one basket.
pub const MAX_LINES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketLine {
    pub book_id: BookId,
    pub quantity: u32,
}

/// What a customer has put aside in one shop. `version` grows with every change, so
/// concurrent writers cannot overwrite each other; the store checks it together with `id`,
/// which is new for every basket, so versions of a deleted basket never recur.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub customer_id: String,
    pub lines: Vec<BasketLine>,
    pub version: u64,
}

impl Basket {
    pub fn new(shop_id: Uuid, customer_id: &str) -> Self {
        Self {
            id: Uuid::new_v4(),
            shop_id,
            customer_id: customer_id.to_owned(),
            lines: Vec::new(),
            version: 0,
        }
    }

    pub fn quantity_of(&self, book: BookId) -> Option<u32> {
        self.lines.iter().find(|line| line.book_id == book).map(|line| line.quantity)
    }

    /// Sets a book's quantity (1..=99), adding the line if new.
    pub fn set(&mut self, book: BookId, quantity: u32) -> Result<(), Error> {
        check_quantity(quantity)?;
        let full = self.lines.len() >= MAX_LINES;
        match self.lines.iter_mut().find(|line| line.book_id == book) {
            Some(line) => line.quantity = quantity,
            None if full => {
                return Err(Error::Conflict(format!("a basket holds at most {MAX_LINES} different books")));
            }
            None => self.lines.push(BasketLine { book_id: book, quantity }),
        }
        self.version += 1;
        Ok(())
    }

    /// Removes a book's line; `false` when it was not there.
    pub fn remove(&mut self, book: BookId) -> bool {
        let before = self.lines.len();
        self.lines.retain(|line| line.book_id != book);
        let removed = self.lines.len() != before;
        if removed {
            self.version += 1;
        }
        removed
    }
}

pub fn check_quantity(quantity: u32) -> Result<(), Error> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(Error::invalid("quantity", format!("must be from 1 to {MAX_QUANTITY}")))
    }
}

/// A line priced from the catalog now: the sale price when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PricedLine {
    pub book_id: BookId,
    pub name: String,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
    pub in_stock: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PricedBasket {
    pub shop_id: Uuid,
    pub lines: Vec<PricedLine>,
    pub total: Money,
    /// Books in the basket that the catalog no longer has; they are not counted.
    pub unavailable: Vec<BookId>,
}

impl PricedBasket {
    /// Prices `basket` with the catalog's current entries for its lines.
    pub async fn from_catalog(
        basket: &Basket,
        catalog: &dyn crate::ports::BookReader,
    ) -> Result<Self, Error> {
        let ids: Vec<BookId> = basket.lines.iter().map(|line| line.book_id).collect();
        let books = catalog.get_books(&ids).await?.into_iter().map(|book| (book.id, book)).collect();
        Self::price(basket, &books)
    }

    /// Prices `basket` with `books` (the catalog's current entries for its lines).
    pub fn price(basket: &Basket, books: &HashMap<BookId, Book>) -> Result<Self, Error> {
        let mut lines = Vec::with_capacity(basket.lines.len());
        let mut unavailable = Vec::new();
        let mut total = Money::ZERO;
        for line in &basket.lines {
            let Some(book) = books.get(&line.book_id) else {
                unavailable.push(line.book_id);
                continue;
            };
            let unit_price = book.selling_price();
            let line_total = unit_price.checked_mul(u64::from(line.quantity)).ok_or_else(overflow)?;
            total = total.checked_add(line_total).ok_or_else(overflow)?;
            lines.push(PricedLine {
                book_id: book.id,
                name: book.name.clone(),
                unit_price,
                quantity: line.quantity,
                line_total,
                in_stock: book.status == BookStatus::InStock,
            });
        }
        Ok(Self { shop_id: basket.shop_id, lines, total, unavailable })
    }
}

fn overflow() -> Error {
    Error::Conflict("the basket total is too large".into())
}

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
    pub id: Uuid,
    pub shop_id: Uuid,
    pub buyer_id: String,
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
    pub idempotency_key: String,
}

impl Order {
    /// The order for a priced basket; refused when it is empty or holds anything unavailable.
    pub fn checkout(
        priced: PricedBasket,
        buyer_id: &str,
        buyer_email: Option<String>,
        idempotency_key: &str,
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
            id: Uuid::new_v4(),
            shop_id: priced.shop_id,
            buyer_id: buyer_id.to_owned(),
            buyer_email,
            buyer_name: None,
            buyer_phone: None,
            lines: priced.lines,
            total: priced.total,
            status: OrderStatus::New,
            created_at: crate::events::now_rfc3339(),
            idempotency_key: idempotency_key.to_owned(),
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
    use super::*;
    use crate::ids::{AuthorId, CategoryId, PublisherId};

    fn book(name: &str, cents: u64, sale: Option<u64>, status: BookStatus) -> Book {
        Book {
            id: BookId::derived(name),
            name: name.into(),
            description: String::new(),
            price: Money::from_cents(cents).unwrap(),
            sale_price: sale.map(|s| Money::from_cents(s).unwrap()),
            status,
            author_ids: vec![AuthorId::derived("a")],
            category_id: CategoryId::derived("c"),
            publisher_id: PublisherId::derived("p"),
        }
    }

    #[test]
    fn lines_are_set_removed_and_versioned() {
        let mut basket = Basket::new(Uuid::new_v4(), "c");
        basket.set(BookId::derived("a"), 2).unwrap();
        basket.set(BookId::derived("a"), 5).unwrap();
        assert_eq!(basket.quantity_of(BookId::derived("a")), Some(5));
        assert_eq!(basket.version, 2);
        assert!(basket.set(BookId::derived("b"), 0).is_err());
        assert!(basket.set(BookId::derived("b"), 100).is_err());
        assert!(basket.remove(BookId::derived("a")));
        assert!(!basket.remove(BookId::derived("a")));
        assert_eq!(basket.version, 3);
    }

    #[test]
    fn prices_come_from_the_catalog_sale_price_first() {
        let emma = book("Emma", 1200, Some(950), BookStatus::InStock);
        let dracula = book("Dracula", 800, None, BookStatus::InStock);
        let mut basket = Basket::new(Uuid::new_v4(), "c");
        basket.set(emma.id, 2).unwrap();
        basket.set(dracula.id, 1).unwrap();
        basket.set(BookId::derived("withdrawn"), 1).unwrap();
        let books = HashMap::from([(emma.id, emma.clone()), (dracula.id, dracula)]);
        let priced = PricedBasket::price(&basket, &books).unwrap();
        assert_eq!(priced.total.cents(), 2 * 950 + 800);
        assert_eq!(priced.lines[0].unit_price.cents(), 950);
        assert_eq!(priced.unavailable, [BookId::derived("withdrawn")]);
        assert!(Order::checkout(priced, "c", None, "k").is_err(), "an unavailable line blocks checkout");
    }

    #[test]
    fn a_total_beyond_the_money_range_is_refused_not_ordered() {
        let dear = book("Dear", crate::money::MAX_CENTS, None, BookStatus::InStock);
        let mut basket = Basket::new(Uuid::new_v4(), "c");
        basket.set(dear.id, 2).unwrap();
        let books = HashMap::from([(dear.id, dear)]);
        // Written, it could not be read back: every list of orders would fail on it.
        assert!(matches!(PricedBasket::price(&basket, &books), Err(Error::Conflict(_))));
    }

    #[test]
    fn orders_move_from_new_once_and_repeat_idempotently() {
        let emma = book("Emma", 1200, None, BookStatus::InStock);
        let mut basket = Basket::new(Uuid::new_v4(), "c");
        basket.set(emma.id, 1).unwrap();
        let priced = PricedBasket::price(&basket, &HashMap::from([(emma.id, emma)])).unwrap();
        let mut order = Order::checkout(priced, "c", None, "k").unwrap();
        assert!(order.transition(OrderStatus::Completed).unwrap());
        assert!(!order.transition(OrderStatus::Completed).unwrap(), "the same move again changes nothing");
        assert!(matches!(order.transition(OrderStatus::Cancelled), Err(Error::Conflict(_))));
        assert!(matches!(order.transition(OrderStatus::New), Err(Error::Conflict(_))));
    }

    #[test]
    fn checkout_refuses_empty_baskets_and_out_of_stock_books() {
        let basket = Basket::new(Uuid::new_v4(), "c");
        let empty = PricedBasket::price(&basket, &HashMap::new()).unwrap();
        assert!(matches!(Order::checkout(empty, "c", None, "k"), Err(Error::Conflict(_))));
        let gone = book("Gone", 500, None, BookStatus::OutOfStock);
        let mut basket = Basket::new(Uuid::new_v4(), "c");
        basket.set(gone.id, 1).unwrap();
        let priced = PricedBasket::price(&basket, &HashMap::from([(gone.id, gone)])).unwrap();
        assert!(matches!(Order::checkout(priced, "c", None, "k"), Err(Error::Conflict(_))));
    }
}
