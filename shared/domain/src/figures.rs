//! Back-office figures: per-day order counts and revenue, new customers, the customer
//! directory, and the catalog's stock and category counts. A stream consumer (the `stats`
//! function) keeps them; request paths only read them. What counts, and when, is in
//! `docs/back-office.md` ("Figures"); the rules themselves are here, in [`recording`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ids::{BookId, CategoryId, EventId, OrderId, UserId};
use crate::query::PageSize;

mod recording;
pub use recording::{OrderFact, Recording, recording};

/// The longest range `GET /admin/stats` reads: a year, leap day included.
pub const MAX_RANGE_DAYS: i64 = 366;
/// The longest prefix a customer search takes.
pub const MAX_PREFIX_CHARS: usize = 100;

pub use crate::day::Day;

/// `from` to `to`, both included, at most [`MAX_RANGE_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: Day,
    pub to: Day,
}

impl DayRange {
    pub fn new(from: Day, to: Day) -> Result<Self, Error> {
        if to < from {
            return Err(Error::invalid("to", "must not be before from"));
        }
        if (to.0 - from.0).whole_days() >= MAX_RANGE_DAYS {
            return Err(Error::invalid("to", format!("must be within {MAX_RANGE_DAYS} days of from")));
        }
        Ok(Self { from, to })
    }

    /// Every day of the range, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        std::iter::successors(Some(self.from), move |day| day.next().filter(|next| *next <= self.to))
    }

    pub fn holds(self, day: Day) -> bool {
        (self.from..=self.to).contains(&day)
    }
}

/// What happened on one day, or over a range. Amounts are minor units (cents) of
/// [`CURRENCY`](crate::money::CURRENCY); `revenue` is the totals of the orders placed minus
/// those of the orders cancelled, each on the day it happened, so it may be negative on a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tally {
    pub orders_placed: i64,
    pub orders_completed: i64,
    pub orders_cancelled: i64,
    pub revenue: i64,
    /// Buyers whose first placed order was on this day.
    pub new_customers: i64,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.orders_placed += other.orders_placed;
        self.orders_completed += other.orders_completed;
        self.orders_cancelled += other.orders_cancelled;
        self.revenue += other.revenue;
        self.new_customers += other.new_customers;
    }

    pub fn is_zero(&self) -> bool {
        *self == Tally::default()
    }
}

/// One day's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DayFigures {
    pub day: Day,
    #[serde(flatten)]
    pub tally: Tally,
}

/// One entry of the customer directory: a buyer as their orders describe them. Name and email
/// are the latest order's (the token's at checkout); amounts are minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    /// The buyer's user id (the token's `sub`).
    pub id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub first_order_id: OrderId,
    /// When the first placed order was placed (RFC 3339 UTC).
    pub first_order_at: String,
    pub last_order_id: OrderId,
    pub last_order_at: String,
    /// Orders placed, cancelled ones included.
    pub order_count: u64,
    pub cancelled_count: u64,
    /// The totals of the placed orders minus those of the cancelled ones.
    pub total_spent: i64,
    pub currency: String,
    /// Grows by one with every change: writes are conditioned on it.
    #[serde(default)]
    pub version: u64,
}

impl Customer {
    /// The key the directory sorts names by: the name lower-cased, `\u{1}`, the id (unique).
    pub fn name_key(&self) -> String {
        directory_key(self.name.as_deref(), &self.id)
    }

    pub fn email_key(&self) -> String {
        directory_key(self.email.as_deref(), &self.id)
    }

    pub fn key_in(&self, field: CustomerField) -> String {
        match field {
            CustomerField::Name => self.name_key(),
            CustomerField::Email => self.email_key(),
        }
    }
}

/// The longest name or email a directory key holds (folded): an index key has at most 1 KB,
/// and a search prefix is shorter anyway.
const KEY_TEXT_CHARS: usize = 200;
/// The longest cursor a search takes (base64url of a key).
pub const MAX_CURSOR_CHARS: usize = 1400;
/// The longest user id the directory is asked for (OpenID Connect: a `sub` is at most 255 ASCII characters).
pub const MAX_USER_ID_CHARS: usize = 255;

fn directory_key(text: Option<&str>, id: &UserId) -> String {
    let text: String = fold(text.unwrap_or_default()).chars().take(KEY_TEXT_CHARS).collect();
    format!("{text}\u{1}{id}")
}

/// Lower case, white space folded: what searches compare.
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Which directory field a search looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerField {
    #[default]
    Name,
    Email,
}

impl CustomerField {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "name" => Ok(Self::Name),
            "email" => Ok(Self::Email),
            _ => Err("must be one of: name, email".to_owned()),
        }
    }
}

/// `GET /customers`: directory entries whose field starts with `prefix` (folded), in the
/// field's order, after the entry whose key is `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSearch {
    pub field: CustomerField,
    pub prefix: String,
    pub after: Option<String>,
    pub limit: PageSize,
}

impl CustomerSearch {
    pub fn new(
        field: CustomerField,
        prefix: &str,
        cursor: Option<&str>,
        limit: PageSize,
    ) -> Result<Self, Error> {
        if prefix.chars().count() > MAX_PREFIX_CHARS {
            return Err(Error::invalid("q", format!("must be at most {MAX_PREFIX_CHARS} characters")));
        }
        let prefix = fold(prefix);
        let after = cursor.map(|cursor| decode_cursor(cursor, &prefix)).transpose()?;
        Ok(Self { field, prefix, after, limit })
    }

    /// Whether `customer` is in this search's results.
    pub fn matches(&self, customer: &Customer) -> bool {
        let key = customer.key_in(self.field);
        key.starts_with(&self.prefix) && self.after.as_ref().is_none_or(|after| key > *after)
    }
}

pub fn encode_cursor(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

/// A cursor is the last key a page gave: one of this search's (its prefix, `\u{1}`, an id).
fn decode_cursor(text: &str, prefix: &str) -> Result<String, Error> {
    use base64::Engine;
    Some(text)
        .filter(|text| text.len() <= MAX_CURSOR_CHARS)
        .and_then(|text| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|key| {
            key.starts_with(prefix) && key.rsplit_once('\u{1}').is_some_and(|(_, id)| !id.is_empty())
        })
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this search gave"))
}

/// The user id at the end of a directory key.
pub fn id_of_key(key: &str) -> Option<UserId> {
    key.rsplit_once('\u{1}').and_then(|(_, id)| UserId::parse("cursor", id).ok())
}

/// A book as the catalog figures count it: its category and whether it is in stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedBook {
    pub category_id: CategoryId,
    pub in_stock: bool,
}

impl CountedBook {
    pub fn of(book: &crate::catalog::Book) -> Self {
        Self { category_id: book.category_id, in_stock: book.status == crate::catalog::BookStatus::InStock }
    }
}

/// What the figures hold of one book: `None` when it is not counted (absent or deleted), and
/// the version of that record (0: never written), which the next write is conditioned on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BookTally {
    pub counted: Option<CountedBook>,
    pub version: u64,
}

/// Moves a book's count from what `before` holds to `after`: one write, only while the
/// stored record is still `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookCount {
    pub book: BookId,
    pub before: BookTally,
    pub after: Option<CountedBook>,
}

impl BookCount {
    /// What the counters move by: (in stock, out of stock, per category).
    pub fn deltas(&self) -> (i64, i64, Vec<(CategoryId, i64)>) {
        let (mut in_stock, mut out_of_stock, mut categories) = (0, 0, Vec::new());
        for (counted, sign) in [(self.before.counted, -1), (self.after, 1)] {
            if let Some(book) = counted {
                if book.in_stock {
                    in_stock += sign
                } else {
                    out_of_stock += sign
                }
                categories.push((book.category_id, sign));
            }
        }
        if let [(a, -1), (b, 1)] = categories[..]
            && a == b
        {
            categories.clear();
        }
        (in_stock, out_of_stock, categories)
    }
}

/// The catalog's figures: live books in stock and out of stock, and per category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogFigures {
    pub books_in_stock: i64,
    pub books_out_of_stock: i64,
    /// Categories with at least one live book, most books first (then by id).
    pub by_category: Vec<CategoryFigure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryFigure {
    pub category_id: CategoryId,
    /// The category's name now; `null` if it is gone.
    pub name: Option<String>,
    pub books: i64,
}

impl CatalogFigures {
    /// From the stored counters: categories without books left out, most books first.
    pub fn from_counts(in_stock: i64, out_of_stock: i64, categories: Vec<(CategoryId, i64)>) -> Self {
        let mut by_category: Vec<CategoryFigure> = categories
            .into_iter()
            .filter(|(_, books)| *books > 0)
            .map(|(category_id, books)| CategoryFigure { category_id, name: None, books })
            .collect();
        by_category.sort_by(|a, b| b.books.cmp(&a.books).then(a.category_id.cmp(&b.category_id)));
        Self { books_in_stock: in_stock, books_out_of_stock: out_of_stock, by_category }
    }
}

/// What a recording write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written: the figures now count the event.
    Done,
    /// The event was counted before (its marker exists): nothing written.
    Duplicate,
    /// The customer entry changed since it was read: read again and retry.
    Stale,
}

/// Marks that `event` was counted, so the same event recorded again counts nothing.
pub fn marker(event: EventId) -> String {
    format!("EVENT#{event}")
}
