//! The embedded catalog store: redb for durability, in-memory sort indexes for reads.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;
use std::sync::{PoisonError, RwLock};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, CatalogData, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, CatalogWriter, LookupReader};
use bookworm_domain::query::{BookQuery, Page, SortField};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Serialize, de::DeserializeOwned};

/// Each table maps an id (the UUID's 16 bytes) to the entity as JSON.
const BOOKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("books");
const AUTHORS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("authors");
const CATEGORIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("categories");
const PUBLISHERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("publishers");
/// Soft-deleted books: kept for the record, never read by the API.
const DELETED_BOOKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("deleted_books");

type Table = TableDefinition<'static, &'static [u8], &'static [u8]>;
/// A row to write: table, key (an id's bytes), JSON value.
type Row = (Table, [u8; 16], Vec<u8>);

pub struct EmbeddedCatalog {
    db: Database,
    index: RwLock<Index>,
}

/// Everything reads need, in memory. Writes go to redb first, then here.
#[derive(Default)]
struct Index {
    books: HashMap<BookId, Book>,
    by_name: BTreeMap<String, BookId>,
    by_price: BTreeMap<String, BookId>,
    authors: Vec<Author>,
    categories: Vec<Category>,
    publishers: Vec<Publisher>,
}

impl EmbeddedCatalog {
    /// Opens (or creates) the catalog file and loads its indexes.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let db = Database::create(path).map_err(|e| Error::unavailable("open the catalog file", e))?;
        Self::load(db)
    }

    /// A catalog that lives in memory only: for tests and throwaway runs.
    pub fn in_memory() -> Result<Self, Error> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| Error::unavailable("create an in-memory catalog", e))?;
        Self::load(db)
    }

    pub fn is_empty(&self) -> bool {
        self.read_index().books.is_empty()
    }

    fn load(db: Database) -> Result<Self, Error> {
        let fail = |e: redb::Error| Error::unavailable("read the catalog file", e);
        let mut index = Index::default();
        let txn = db.begin_write().map_err(|e| fail(e.into()))?;
        // Opening every table in a write transaction creates the missing ones on first start.
        for table in [BOOKS, AUTHORS, CATEGORIES, PUBLISHERS, DELETED_BOOKS] {
            txn.open_table(table).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        let txn = db.begin_read().map_err(|e| fail(e.into()))?;
        for book in read_all::<Book>(&txn, BOOKS)? {
            index.insert_book(book);
        }
        index.authors = read_all(&txn, AUTHORS)?;
        index.categories = read_all(&txn, CATEGORIES)?;
        index.publishers = read_all(&txn, PUBLISHERS)?;
        index.sort_lookups();
        Ok(Self { db, index: RwLock::new(index) })
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        // A panic while holding the lock cannot leave the index half-written: every update
        // is computed before it is applied, so a poisoned lock is still consistent.
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes rows in one redb transaction, then applies `update` to the in-memory index.
    fn write(&self, rows: &[Row], update: impl FnOnce(&mut Index)) -> Result<(), Error> {
        self.write_and_remove(rows, &[], update)
    }

    /// Writes `rows` and removes `removals` in one redb transaction, then updates the index.
    fn write_and_remove(
        &self,
        rows: &[Row],
        removals: &[(Table, [u8; 16])],
        update: impl FnOnce(&mut Index),
    ) -> Result<(), Error> {
        let fail = |e: redb::Error| Error::unavailable("write the catalog file", e);
        let txn = self.db.begin_write().map_err(|e| fail(e.into()))?;
        for (table, key, value) in rows {
            let mut table = txn.open_table(*table).map_err(|e| fail(e.into()))?;
            table.insert(key.as_slice(), value.as_slice()).map_err(|e| fail(e.into()))?;
        }
        for (table, key) in removals {
            let mut table = txn.open_table(*table).map_err(|e| fail(e.into()))?;
            table.remove(key.as_slice()).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        update(&mut index);
        Ok(())
    }
}

impl Index {
    fn insert_book(&mut self, book: Book) {
        self.remove_book(book.id);
        self.by_name.insert(SortField::Name.key(&book), book.id);
        self.by_price.insert(SortField::Price.key(&book), book.id);
        self.books.insert(book.id, book);
    }

    fn remove_book(&mut self, id: BookId) -> Option<Book> {
        let old = self.books.remove(&id)?;
        self.by_name.remove(&SortField::Name.key(&old));
        self.by_price.remove(&SortField::Price.key(&old));
        Some(old)
    }

    fn sort_lookups(&mut self) {
        self.authors.sort_by(|a, b| a.name.cmp(&b.name));
        self.categories.sort_by(|a, b| a.name.cmp(&b.name));
        self.publishers.sort_by(|a, b| a.name.cmp(&b.name));
    }

    fn sort_index(&self, sort: SortField) -> &BTreeMap<String, BookId> {
        match sort {
            SortField::Name => &self.by_name,
            SortField::Price => &self.by_price,
        }
    }

    /// Walks the sort index from the cursor, keeping matches until one more than a page.
    fn query(&self, query: &BookQuery) -> Vec<Book> {
        let index = self.sort_index(query.sort);
        let start = query.after.as_ref().map(|cursor| cursor.key.as_str());
        let range: Box<dyn Iterator<Item = (&String, &BookId)>> = match (start, query.descending) {
            (None, false) => Box::new(index.iter()),
            (None, true) => Box::new(index.iter().rev()),
            (Some(key), false) => Box::new(index.range::<str, _>((Bound::Excluded(key), Bound::Unbounded))),
            (Some(key), true) => {
                Box::new(index.range::<str, _>((Bound::Unbounded, Bound::Excluded(key))).rev())
            }
        };
        range
            .filter_map(|(_, id)| self.books.get(id))
            .filter(|book| query.filter.matches(book))
            .take(query.limit.get() + 1)
            .cloned()
            .collect()
    }
}

fn read_all<T: DeserializeOwned>(txn: &redb::ReadTransaction, table: Table) -> Result<Vec<T>, Error> {
    let fail = |e: redb::Error| Error::unavailable("read the catalog file", e);
    let table = txn.open_table(table).map_err(|e| fail(e.into()))?;
    let mut rows = Vec::new();
    for row in table.iter().map_err(|e| fail(e.into()))? {
        let (_, value) = row.map_err(|e| fail(e.into()))?;
        let entity = serde_json::from_slice(value.value())
            .map_err(|e| Error::unavailable("decode a catalog row", e))?;
        rows.push(entity);
    }
    Ok(rows)
}

fn encode<T: Serialize>(entity: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(entity).map_err(|e| Error::unavailable("encode a catalog row", e))
}

/// Replaces the entry with the same id, or adds it, keeping the list ordered by name.
fn upsert<T: Clone>(list: &mut Vec<T>, item: &T, same: impl Fn(&T) -> bool, name: impl Fn(&T) -> &str) {
    list.retain(|existing| !same(existing));
    let at = list.partition_point(|existing| name(existing) < name(item));
    list.insert(at, item.clone());
}

#[async_trait]
impl BookReader for EmbeddedCatalog {
    async fn list_books(&self, query: &BookQuery) -> Result<Page<Book>, Error> {
        Ok(Page::from_lookahead(self.read_index().query(query), query))
    }

    async fn get_book(&self, id: BookId) -> Result<Option<Book>, Error> {
        Ok(self.read_index().books.get(&id).cloned())
    }
}

#[async_trait]
impl LookupReader for EmbeddedCatalog {
    async fn list_authors(&self) -> Result<Vec<Author>, Error> {
        Ok(self.read_index().authors.clone())
    }

    async fn list_categories(&self) -> Result<Vec<Category>, Error> {
        Ok(self.read_index().categories.clone())
    }

    async fn list_publishers(&self) -> Result<Vec<Publisher>, Error> {
        Ok(self.read_index().publishers.clone())
    }

    async fn get_author(&self, id: AuthorId) -> Result<Option<Author>, Error> {
        Ok(self.read_index().authors.iter().find(|a| a.id == id).cloned())
    }

    async fn get_category(&self, id: CategoryId) -> Result<Option<Category>, Error> {
        Ok(self.read_index().categories.iter().find(|c| c.id == id).cloned())
    }

    async fn get_publisher(&self, id: PublisherId) -> Result<Option<Publisher>, Error> {
        Ok(self.read_index().publishers.iter().find(|p| p.id == id).cloned())
    }
}

#[async_trait]
impl CatalogWriter for EmbeddedCatalog {
    async fn put_author(&self, author: &Author) -> Result<(), Error> {
        self.write(&[(AUTHORS, author.id.0.into_bytes(), encode(author)?)], |index| {
            upsert(&mut index.authors, author, |a| a.id == author.id, |a| &a.name)
        })
    }

    async fn put_category(&self, category: &Category) -> Result<(), Error> {
        self.write(&[(CATEGORIES, category.id.0.into_bytes(), encode(category)?)], |index| {
            upsert(&mut index.categories, category, |c| c.id == category.id, |c| &c.name)
        })
    }

    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error> {
        self.write(&[(PUBLISHERS, publisher.id.0.into_bytes(), encode(publisher)?)], |index| {
            upsert(&mut index.publishers, publisher, |p| p.id == publisher.id, |p| &p.name)
        })
    }

    async fn put_book(&self, book: &Book) -> Result<(), Error> {
        self.write(&[(BOOKS, book.id.0.into_bytes(), encode(book)?)], |index| index.insert_book(book.clone()))
    }

    async fn delete_book(&self, id: BookId) -> Result<bool, Error> {
        let Some(book) = self.read_index().books.get(&id).cloned() else {
            return Ok(false);
        };
        let key = id.0.into_bytes();
        self.write_and_remove(&[(DELETED_BOOKS, key, encode(&book)?)], &[(BOOKS, key)], |index| {
            index.remove_book(id);
        })?;
        Ok(true)
    }

    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error> {
        if !self.read_index().authors.iter().any(|a| a.id == id) {
            return Ok(false);
        }
        self.write_and_remove(&[], &[(AUTHORS, id.0.into_bytes())], |index| {
            index.authors.retain(|a| a.id != id)
        })?;
        Ok(true)
    }

    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error> {
        if !self.read_index().categories.iter().any(|c| c.id == id) {
            return Ok(false);
        }
        self.write_and_remove(&[], &[(CATEGORIES, id.0.into_bytes())], |index| {
            index.categories.retain(|c| c.id != id)
        })?;
        Ok(true)
    }

    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error> {
        if !self.read_index().publishers.iter().any(|p| p.id == id) {
            return Ok(false);
        }
        self.write_and_remove(&[], &[(PUBLISHERS, id.0.into_bytes())], |index| {
            index.publishers.retain(|p| p.id != id)
        })?;
        Ok(true)
    }

    /// One transaction for the whole data set: seeding 100,000 books takes seconds, not minutes.
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        let mut rows = Vec::with_capacity(data.books.len() + data.authors.len() + 32);
        for author in &data.authors {
            rows.push((AUTHORS, author.id.0.into_bytes(), encode(author)?));
        }
        for category in &data.categories {
            rows.push((CATEGORIES, category.id.0.into_bytes(), encode(category)?));
        }
        for publisher in &data.publishers {
            rows.push((PUBLISHERS, publisher.id.0.into_bytes(), encode(publisher)?));
        }
        for book in &data.books {
            rows.push((BOOKS, book.id.0.into_bytes(), encode(book)?));
        }
        self.write(&rows, |index| {
            for book in &data.books {
                index.insert_book(book.clone());
            }
            for author in &data.authors {
                upsert(&mut index.authors, author, |a| a.id == author.id, |a| &a.name);
            }
            for category in &data.categories {
                upsert(&mut index.categories, category, |c| c.id == category.id, |c| &c.name);
            }
            for publisher in &data.publishers {
                upsert(&mut index.publishers, publisher, |p| p.id == publisher.id, |p| &p.name);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookworm_domain::contract;

    #[tokio::test]
    async fn meets_the_catalog_contract() {
        contract::catalog_store(&EmbeddedCatalog::in_memory().unwrap()).await;
    }

    #[tokio::test]
    async fn a_reopened_file_keeps_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.redb");
        let data = contract::fixture();
        {
            let store = EmbeddedCatalog::open(&path).unwrap();
            assert!(store.is_empty());
            store.import(&data).await.unwrap();
        }
        let reopened = EmbeddedCatalog::open(&path).unwrap();
        assert_eq!(reopened.get_book(data.books[3].id).await.unwrap().as_ref(), Some(&data.books[3]));
        assert_eq!(reopened.list_authors().await.unwrap().len(), data.authors.len());
    }
}
