//! Baskets (one per customer per shop), priced from the catalog, never from the client.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::{Book, BookStatus};
use crate::ids::{BookId, ShopId, UserId};
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
    pub shop_id: ShopId,
    pub customer_id: UserId,
    pub lines: Vec<BasketLine>,
    pub version: u64,
}

impl Basket {
    pub fn new(shop_id: ShopId, customer_id: &UserId) -> Self {
        Self { id: Uuid::new_v4(), shop_id, customer_id: customer_id.clone(), lines: Vec::new(), version: 0 }
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
    pub shop_id: ShopId,
    pub lines: Vec<PricedLine>,
    pub total: Money,
    /// Books in the basket that the catalog no longer has; they are not counted.
    pub unavailable: Vec<BookId>,
}

impl PricedBasket {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::{AuthorId, CategoryId, PublisherId};

    pub(crate) fn book(name: &str, cents: u64, sale: Option<u64>, status: BookStatus) -> Book {
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
        let mut basket = Basket::new(ShopId::random(), &UserId::new("c").unwrap());
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
        let mut basket = Basket::new(ShopId::random(), &UserId::new("c").unwrap());
        basket.set(emma.id, 2).unwrap();
        basket.set(dracula.id, 1).unwrap();
        basket.set(BookId::derived("withdrawn"), 1).unwrap();
        let books = HashMap::from([(emma.id, emma.clone()), (dracula.id, dracula)]);
        let priced = PricedBasket::price(&basket, &books).unwrap();
        assert_eq!(priced.total.cents(), 2 * 950 + 800);
        assert_eq!(priced.lines[0].unit_price.cents(), 950);
        assert_eq!(priced.unavailable, [BookId::derived("withdrawn")]);
    }

    #[test]
    fn a_total_beyond_the_money_range_is_refused_not_ordered() {
        let dear = book("Dear", crate::money::MAX_CENTS, None, BookStatus::InStock);
        let mut basket = Basket::new(ShopId::random(), &UserId::new("c").unwrap());
        basket.set(dear.id, 2).unwrap();
        let books = HashMap::from([(dear.id, dear)]);
        // Written, it could not be read back: every list of orders would fail on it.
        assert!(matches!(PricedBasket::price(&basket, &books), Err(Error::Conflict(_))));
    }
}
