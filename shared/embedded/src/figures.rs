//! The embedded figure store: day counters, event markers, the customer directory and the
//! catalog counters, in the shop's redb file and in memory (read at start). One lock is held
//! across each check and its write's commit, which makes every recording atomic, as
//! DynamoDB's transaction is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::figures::{
    BookCount, BookTally, CatalogFigures, Customer, CustomerSearch, Day, DayFigures, DayRange, Recorded,
    Recording, Tally, encode_cursor,
};
use bookworm_domain::ids::{BookId, CategoryId, EventId, UserId};
use bookworm_domain::ports::{FigureReader, FigureRecorder};
use bookworm_domain::query::Page;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::Mutex;

use crate::EmbeddedShop;
use crate::layout::{Table, json};
use crate::shop::Change;

/// Key: the day (`YYYY-MM-DD`). Value: its [`Tally`] as JSON.
const DAYS: Table = TableDefinition::new("figures_days");
/// Key: the event id's 16 bytes. Value: empty. Kept for good here (DynamoDB's expire).
const MARKERS: Table = TableDefinition::new("figures_markers");
/// Key: the user id. Value: the [`Customer`] as JSON.
const CUSTOMERS: Table = TableDefinition::new("figures_customers");
/// Key: the book id's 16 bytes. Value: its [`BookTally`] as JSON.
const BOOKS: Table = TableDefinition::new("figures_books");
/// Key: `in_stock`, `out_of_stock` or a category id. Value: the count as JSON.
const CATALOG: Table = TableDefinition::new("figures_catalog");

/// A stored row: its key and value.
type KeyValue = (Vec<u8>, Vec<u8>);

const IN_STOCK: &str = "in_stock";
const OUT_OF_STOCK: &str = "out_of_stock";

#[derive(Default)]
struct State {
    days: BTreeMap<Day, Tally>,
    markers: HashSet<EventId>,
    customers: HashMap<UserId, Customer>,
    books: HashMap<BookId, BookTally>,
    /// `in_stock`, `out_of_stock` and each category id's text.
    catalog: HashMap<String, i64>,
}

pub struct EmbeddedFigures {
    shop: Arc<EmbeddedShop>,
    state: Mutex<State>,
}

fn fail(error: impl Into<redb::Error>) -> Error {
    Error::unavailable("read the figure tables", error.into())
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::unavailable("decode a figure record", e))
}

impl EmbeddedFigures {
    /// The figure store in `shop`'s file.
    pub fn open(shop: Arc<EmbeddedShop>) -> Result<Self, Error> {
        let txn = shop.db.begin_write().map_err(fail)?;
        for table in [DAYS, MARKERS, CUSTOMERS, BOOKS, CATALOG] {
            txn.open_table(table).map_err(fail)?;
        }
        txn.commit().map_err(fail)?;
        let txn = shop.db.begin_read().map_err(fail)?;
        let rows = |table: Table| -> Result<Vec<KeyValue>, Error> {
            let table = txn.open_table(table).map_err(fail)?;
            let rows = table.iter().map_err(fail)?;
            rows.map(|row| row.map(|(k, v)| (k.value().to_vec(), v.value().to_vec())).map_err(fail)).collect()
        };
        let text = |key: &[u8]| String::from_utf8_lossy(key).into_owned();
        let uuid = |key: &[u8]| {
            uuid::Uuid::from_slice(key).map_err(|e| Error::unavailable("decode a figure key", e))
        };
        let mut state = State::default();
        for (key, value) in rows(DAYS)? {
            state.days.insert(Day::parse("day", &text(&key))?, decode(&value)?);
        }
        for (key, _) in rows(MARKERS)? {
            state.markers.insert(EventId(uuid(&key)?));
        }
        for (_, value) in rows(CUSTOMERS)? {
            let customer: Customer = decode(&value)?;
            state.customers.insert(customer.id.clone(), customer);
        }
        for (key, value) in rows(BOOKS)? {
            state.books.insert(BookId(uuid(&key)?), decode(&value)?);
        }
        for (key, value) in rows(CATALOG)? {
            state.catalog.insert(text(&key), decode(&value)?);
        }
        drop(txn);
        Ok(Self { shop, state: Mutex::new(state) })
    }

    /// Whether the catalog counters were never written (a data folder from before them).
    pub async fn counts_no_books(&self) -> bool {
        self.state.lock().await.books.is_empty()
    }
}

#[async_trait]
impl FigureRecorder for EmbeddedFigures {
    async fn record(&self, recording: &Recording) -> Result<Recorded, Error> {
        let mut state = self.state.lock().await;
        if state.markers.contains(&recording.event) {
            return Ok(Recorded::Duplicate);
        }
        if let Some(customer) = &recording.customer
            && state.customers.get(&customer.id).map(|stored| stored.version) != recording.expected
        {
            return Ok(Recorded::Stale);
        }
        let mut days = Vec::with_capacity(recording.days.len());
        for (day, delta) in &recording.days {
            let mut tally = state.days.get(day).copied().unwrap_or_default();
            tally.add(delta);
            days.push((*day, tally));
        }
        let mut writes = vec![(MARKERS, recording.event.0.as_bytes().to_vec(), Vec::new())];
        for (day, tally) in &days {
            writes.push((DAYS, day.key().into_bytes(), json(tally)?));
        }
        if let Some(customer) = &recording.customer {
            writes.push((CUSTOMERS, customer.id.as_str().as_bytes().to_vec(), json(customer)?));
        }
        self.shop.commit(Change { writes, ..Change::default() }).await?;
        state.markers.insert(recording.event);
        state.days.extend(days);
        if let Some(customer) = &recording.customer {
            state.customers.insert(customer.id.clone(), customer.clone());
        }
        Ok(Recorded::Done)
    }

    async fn customer(&self, id: &UserId) -> Result<Option<Customer>, Error> {
        Ok(self.state.lock().await.customers.get(id).cloned())
    }

    async fn counted_book(&self, book: BookId) -> Result<BookTally, Error> {
        Ok(self.state.lock().await.books.get(&book).copied().unwrap_or_default())
    }

    async fn count_book(&self, count: &BookCount) -> Result<bool, Error> {
        let mut state = self.state.lock().await;
        if state.books.get(&count.book).copied().unwrap_or_default() != count.before {
            return Ok(false);
        }
        let (in_stock, out_of_stock, categories) = count.deltas();
        let mut moved: Vec<(String, i64)> =
            vec![(IN_STOCK.into(), in_stock), (OUT_OF_STOCK.into(), out_of_stock)];
        moved.extend(categories.iter().map(|(category, delta)| (category.to_string(), *delta)));
        let moved: Vec<(String, i64)> = moved
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .map(|(key, delta)| {
                let value = state.catalog.get(&key).copied().unwrap_or_default() + delta;
                (key, value)
            })
            .collect();
        let tally = BookTally { counted: count.after, version: count.before.version + 1 };
        let mut writes = vec![(BOOKS, count.book.0.as_bytes().to_vec(), json(&tally)?)];
        for (key, value) in &moved {
            writes.push((CATALOG, key.as_bytes().to_vec(), json(value)?));
        }
        self.shop.commit(Change { writes, ..Change::default() }).await?;
        state.books.insert(count.book, tally);
        state.catalog.extend(moved);
        Ok(true)
    }
}

#[async_trait]
impl FigureReader for EmbeddedFigures {
    async fn days(&self, range: DayRange) -> Result<Vec<DayFigures>, Error> {
        let state = self.state.lock().await;
        let days = state.days.range(range.from..=range.to);
        Ok(days.map(|(day, tally)| DayFigures { day: *day, tally: *tally }).collect())
    }

    async fn catalog_figures(&self) -> Result<CatalogFigures, Error> {
        let state = self.state.lock().await;
        let count = |key: &str| state.catalog.get(key).copied().unwrap_or_default();
        let categories = state
            .catalog
            .iter()
            .filter_map(|(key, books)| key.parse::<uuid::Uuid>().ok().map(|id| (CategoryId(id), *books)))
            .collect();
        Ok(CatalogFigures::from_counts(count(IN_STOCK), count(OUT_OF_STOCK), categories))
    }

    async fn find_customer(&self, id: &UserId) -> Result<Option<Customer>, Error> {
        self.customer(id).await
    }

    /// No index here: one pass over the directory in memory, sorted by the field's key.
    async fn customers(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error> {
        let state = self.state.lock().await;
        let mut found: Vec<(String, &Customer)> = state
            .customers
            .values()
            .filter(|customer| search.matches(customer))
            .map(|customer| (customer.key_in(search.field), customer))
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let limit = search.limit.get();
        let items = found.into_iter().take(limit + 1).map(|(_, customer)| customer.clone()).collect();
        Ok(Page::from_lookahead_by(items, limit, |last: &Customer| encode_cursor(&last.key_in(search.field))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn meets_the_figure_store_contract() {
        let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
        bookworm_domain::contract::figure_store(&EmbeddedFigures::open(shop).unwrap()).await;
    }

    #[tokio::test]
    async fn a_reopened_file_has_every_figure() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("shop.redb");
        let shop = Arc::new(EmbeddedShop::open(&path).unwrap());
        let figures = EmbeddedFigures::open(shop.clone()).unwrap();
        bookworm_domain::contract::figure_store(&figures).await;
        let range =
            DayRange::new(Day::parse("from", "2026-01-01").unwrap(), Day::parse("to", "2026-12-31").unwrap())
                .unwrap();
        let before = (figures.days(range).await.unwrap(), figures.catalog_figures().await.unwrap());
        drop(figures);
        let reopened = EmbeddedFigures::open(shop).unwrap();
        assert_eq!((reopened.days(range).await.unwrap(), reopened.catalog_figures().await.unwrap()), before);
        assert!(!reopened.counts_no_books().await);
    }
}
