//! Books bought together, and what follows from them: `GET /books/{id}/also-bought` and
//! `GET /me/recommendations`. The `stats` consumer counts every placed order once into one
//! [`Partners`] record per book (and one for all orders, [`PartnerKey::Popular`]); request paths
//! only read them. What counts, the bounds and the fallbacks: `docs/recommendations.md`.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{BookId, EventId};
use crate::orders::Order;
use crate::search::BookCard;

/// Partners one record keeps, the most bought-with first: a record stays a few KB however many
/// books were ever bought with its book. A partner pushed out loses its count.
pub const PARTNERS_KEPT: usize = 100;
/// Orders a record remembers having counted (the newest): a retried write that had landed
/// finds its marker here.
pub const MARKERS_KEPT: usize = 200;
/// Distinct books of one order that are paired (its first lines): an order of 20 books makes
/// 380 pairs, one of 500 would make 249,500.
pub const BOOKS_PER_ORDER: usize = 20;

/// `limit` of also-bought and recommendations: at most, and by default.
pub const SHELF_MAX: usize = 20;
pub const SHELF_DEFAULT: usize = 6;

/// Which record: one book's partners, or every book by the orders it was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerKey {
    Book(BookId),
    /// Each book counted once per placed order it is in: what a buyer without history is shown.
    Popular,
}

/// What is kept of one key: partners with their counts, the most first (ties by id), and the
/// events already counted. Saved only from the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partners {
    #[serde(skip)]
    pub key: Option<PartnerKey>,
    pub counts: Vec<(BookId, u64)>,
    pub markers: Vec<EventId>,
    /// 0: never saved. Grows by one with every save.
    pub version: u64,
}

impl Partners {
    pub fn empty(key: PartnerKey) -> Self {
        Self { key: Some(key), counts: Vec::new(), markers: Vec::new(), version: 0 }
    }

    pub fn key(&self) -> PartnerKey {
        self.key.unwrap_or(PartnerKey::Popular)
    }

    /// Counts `books` once more each for `event`, then keeps the [`PARTNERS_KEPT`] most counted
    /// and the [`MARKERS_KEPT`] newest markers; `false` (nothing changed) when `event` was
    /// counted here before.
    pub fn add(&mut self, event: EventId, books: &[BookId]) -> bool {
        if self.markers.contains(&event) {
            return false;
        }
        for book in books {
            match self.counts.iter_mut().find(|(id, _)| id == book) {
                Some((_, count)) => *count += 1,
                None => self.counts.push((*book, 1)),
            }
        }
        self.counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        self.counts.truncate(PARTNERS_KEPT);
        self.markers.push(event);
        let excess = self.markers.len().saturating_sub(MARKERS_KEPT);
        self.markers.drain(..excess);
        self.version += 1;
        true
    }

    pub fn count(&self, book: BookId) -> Option<u64> {
        self.counts.iter().find(|(id, _)| *id == book).map(|(_, count)| *count)
    }
}

/// The distinct books of an order that are paired: its first [`BOOKS_PER_ORDER`], in line order.
pub fn order_books(order: &Order) -> Vec<BookId> {
    let mut seen = HashSet::new();
    order.lines.iter().map(|line| line.book_id).filter(|id| seen.insert(*id)).take(BOOKS_PER_ORDER).collect()
}

/// The records one order moves: each book's, with every other book of the order, and the
/// popular record with all of them.
pub fn pairs(books: &[BookId]) -> Vec<(PartnerKey, Vec<BookId>)> {
    let mut moves: Vec<(PartnerKey, Vec<BookId>)> = books
        .iter()
        .map(|book| (PartnerKey::Book(*book), books.iter().copied().filter(|b| b != book).collect()))
        .filter(|(_, partners): &(PartnerKey, Vec<BookId>)| !partners.is_empty())
        .collect();
    if !books.is_empty() {
        moves.push((PartnerKey::Popular, books.to_vec()));
    }
    moves
}

/// Where an also-bought book comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShelfSource {
    /// Bought with the book: `count` orders had both.
    CoPurchase,
    /// Near it in meaning (too few co-purchases to fill the shelf): `similarity` says how near.
    Similar,
}

/// One book of `GET /books/{id}/also-bought`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct AlsoBought {
    pub book: BookCard,
    pub source: ShelfSource,
    /// Orders that had both books (co-purchases only).
    pub count: Option<u64>,
    /// The cosine of the two books' embeddings (similar books only).
    pub similarity: Option<f32>,
}

/// Why a book is recommended: the seed it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeedKind {
    /// A book of one of the buyer's placed orders.
    Bought,
    /// A book the buyer reviewed with 4 or 5 stars.
    Rated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Because {
    pub book_id: BookId,
    pub title: String,
    pub kind: SeedKind,
}

/// One book of `GET /me/recommendations`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Recommendation {
    pub book: BookCard,
    /// Higher first; comparable only within one answer.
    pub score: f64,
    /// The seed that contributed most; `null` for a buyer without history (the most ordered
    /// books).
    pub because: Option<Because>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(n: u32) -> BookId {
        BookId::derived(&format!("book {n}"))
    }

    #[test]
    fn an_event_counts_once_and_the_most_counted_stay() {
        let mut partners = Partners::empty(PartnerKey::Book(book(0)));
        let event = EventId::random();
        assert!(partners.add(event, &[book(1), book(2)]));
        assert!(!partners.add(event, &[book(1), book(2)]), "the same order again");
        assert_eq!(partners.count(book(1)), Some(1));
        assert_eq!(partners.version, 1);
        for _ in 0..3 {
            partners.add(EventId::random(), &[book(2)]);
        }
        assert_eq!(partners.counts[0], (book(2), 4), "the most bought-with first");
        for n in 10..(10 + PARTNERS_KEPT as u32 + 5) {
            partners.add(EventId::random(), &[book(n), book(2)]);
        }
        assert_eq!(partners.counts.len(), PARTNERS_KEPT, "bounded");
        assert_eq!(partners.counts[0].0, book(2));
        for _ in 0..MARKERS_KEPT {
            partners.add(EventId::random(), &[book(2)]);
        }
        assert_eq!(partners.markers.len(), MARKERS_KEPT, "bounded");
        assert!(!partners.markers.contains(&event), "the oldest marker went first");
    }

    #[test]
    fn ties_are_broken_by_id() {
        let mut partners = Partners::empty(PartnerKey::Popular);
        partners.add(EventId::random(), &[book(3), book(1), book(2)]);
        let mut ids = vec![book(1), book(2), book(3)];
        ids.sort();
        assert_eq!(partners.counts.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
    }

    #[test]
    fn an_order_pairs_each_book_with_the_others() {
        let books = [book(1), book(2), book(3)];
        let moves = pairs(&books);
        assert_eq!(moves.len(), 4);
        assert_eq!(moves[0], (PartnerKey::Book(book(1)), vec![book(2), book(3)]));
        assert_eq!(moves[3], (PartnerKey::Popular, books.to_vec()));
        assert_eq!(pairs(&[book(1)]), [(PartnerKey::Popular, vec![book(1)])], "one book pairs with none");
        assert!(pairs(&[]).is_empty());
    }
}
