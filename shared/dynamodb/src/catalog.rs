//! The catalog in one DynamoDB table. See `TABLES.md` for the item layout and access patterns.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem, Update};
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, CatalogWriter, LookupReader};
use bookworm_domain::query::{BookFilter, BookQuery, Cursor, Page, SortField, normalized_name};
use serde::{Serialize, de::DeserializeOwned};

use crate::{required_env, s, transact, unavailable, unix_now};

type Item = HashMap<String, AttributeValue>;

/// Query calls one page may make while a selective filter skips items. Past this the page is
/// returned short, with a cursor where reading stopped, so no request reads without bound.
const MAX_QUERY_CALLS: usize = 8;
/// Items one filtered Query call evaluates at most.
const FILTERED_READ_BATCH: i32 = 200;

const AUTHORS: &str = "AUTHORS";
const CATEGORIES: &str = "CATEGORIES";
const PUBLISHERS: &str = "PUBLISHERS";

#[derive(Clone)]
pub struct DynamoCatalog {
    client: Client,
    table: String,
    /// Every read strongly consistent (see [`DynamoCatalog::consistent`]).
    consistent: bool,
}

impl DynamoCatalog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), consistent: false }
    }

    /// Every read strongly consistent, at twice the read cost: for the search indexer, which
    /// reads a book because its stream record says it changed, and must not read it as it was
    /// just before (an eventually consistent read may, and the index would keep that state).
    /// The table's indexes are local, so its queries can be consistent too.
    pub fn consistent(self) -> Self {
        Self { consistent: true, ..self }
    }

    /// The Lambda wiring: region, credentials and endpoint from the environment (so
    /// `AWS_ENDPOINT_URL` points it at a local server), table name from `CATALOG_TABLE`.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_config(&crate::sdk_config_from_env()?)
    }

    /// With an already loaded AWS configuration (functions that use several tables load it once).
    pub fn from_config(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::new(Client::new(config), required_env("CATALOG_TABLE")?))
    }

    /// Opens the connection during init ([`crate::warm_up`]): a `GetItem` of a key no book has.
    pub async fn warm_up(&self) -> crate::WarmUp {
        crate::warm_up::read_nothing(&self.client, &self.table, crate::warm_up::no_item(&["pk", "sk"])).await
    }

    async fn get_item(&self, pk: String, sk: &str, consistent: bool) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(consistent || self.consistent)
            .send()
            .await
            .map_err(|e| unavailable("read a catalog item", e))?;
        Ok(output.item)
    }

    /// Every item of one partition, following DynamoDB's pages.
    async fn query_partition<T: DeserializeOwned>(&self, pk: &str) -> Result<Vec<T>, Error> {
        let mut rows = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(self.consistent)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| unavailable("query the catalog", e))?;
            for item in output.items.unwrap_or_default() {
                rows.push(decode(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(rows);
            }
        }
    }

    async fn put_entity<T: Serialize>(&self, pk: &str, sk: String, entity: &T) -> Result<(), Error> {
        let mut item = encode(entity)?;
        item.insert("pk".into(), s(pk));
        item.insert("sk".into(), s(sk));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| unavailable("write a catalog item", e))?;
        Ok(())
    }

    /// Deletes an author, category or publisher: `false` when there was none.
    async fn delete_entity(&self, pk: &str, sk: String, what: &'static str) -> Result<bool, Error> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| unavailable(what, e))?;
        Ok(output.attributes.is_some_and(|old| !old.is_empty()))
    }
}

/// The partitions a book is listed in: all books, and one per category, publisher and author.
fn listing_partitions(book: &Book) -> Vec<String> {
    let mut partitions = vec![
        "BOOKS".to_owned(),
        format!("BOOKS#CATEGORY#{}", book.category_id),
        format!("BOOKS#PUBLISHER#{}", book.publisher_id),
    ];
    partitions.extend(book.author_ids.iter().map(|author| format!("BOOKS#AUTHOR#{author}")));
    partitions
}

/// The narrowest listing partition for a filter, and the filter left to apply within it.
fn narrowest_partition(filter: &BookFilter) -> (String, BookFilter) {
    let mut rest = filter.clone();
    let partition = if let Some(author) = rest.author.take() {
        format!("BOOKS#AUTHOR#{author}")
    } else if let Some(publisher) = rest.publisher.take() {
        format!("BOOKS#PUBLISHER#{publisher}")
    } else if let Some(category) = rest.category.take() {
        format!("BOOKS#CATEGORY#{category}")
    } else {
        "BOOKS".to_owned()
    };
    (partition, rest)
}

/// A DynamoDB filter expression equivalent to `BookFilter::matches`.
fn filter_expression(filter: &BookFilter) -> Option<(String, Item)> {
    let mut clauses = Vec::new();
    let mut values = Item::new();
    if let Some(category) = filter.category {
        clauses.push("category_id = :category".to_owned());
        values.insert(":category".into(), s(category.to_string()));
    }
    if let Some(publisher) = filter.publisher {
        clauses.push("publisher_id = :publisher".to_owned());
        values.insert(":publisher".into(), s(publisher.to_string()));
    }
    if let Some(author) = filter.author {
        clauses.push("contains(author_ids, :author)".to_owned());
        values.insert(":author".into(), s(author.to_string()));
    }
    if let Some(min) = filter.min_price {
        clauses.push("selling_cents >= :min".to_owned());
        values.insert(":min".into(), AttributeValue::N(min.cents().to_string()));
    }
    if let Some(max) = filter.max_price {
        clauses.push("selling_cents <= :max".to_owned());
        values.insert(":max".into(), AttributeValue::N(max.cents().to_string()));
    }
    for (i, word) in filter.search.iter().flat_map(|words| words.split(' ')).enumerate() {
        clauses.push(format!("contains(search_name, :word{i})"));
        values.insert(format!(":word{i}"), s(word));
    }
    (!clauses.is_empty()).then(|| (clauses.join(" AND "), values))
}

/// A listing item: the book's attributes plus its place in both sort orders.
fn listing_item(book: &Book, partition: &str) -> Result<Item, Error> {
    let mut item = encode(book)?;
    item.insert("pk".into(), s(partition));
    item.insert("sk".into(), s(book.id.to_string()));
    item.insert("by_name".into(), s(SortField::Name.key(book)));
    item.insert("by_price".into(), s(SortField::Price.key(book)));
    item.insert("selling_cents".into(), AttributeValue::N(book.selling_price().cents().to_string()));
    item.insert("search_name".into(), s(normalized_name(&book.name)));
    Ok(item)
}

fn index_name(sort: SortField) -> &'static str {
    match sort {
        SortField::Name => "by_name",
        SortField::Price => "by_price",
    }
}

#[async_trait]
impl BookReader for DynamoCatalog {
    async fn list_books(&self, query: &BookQuery) -> Result<Page<Book>, Error> {
        let (partition, rest) = narrowest_partition(&query.filter);
        let filter = filter_expression(&rest);
        let index = index_name(query.sort);
        let wanted = query.limit.get() + 1; // one more than a page tells that more remain
        let mut start = match &query.after {
            Some(cursor) => Some(start_key(&partition, cursor)?),
            None => None,
        };
        let mut books = Vec::with_capacity(wanted);
        for _ in 0..MAX_QUERY_CALLS {
            let batch = match filter {
                Some(_) => FILTERED_READ_BATCH,
                None => (wanted - books.len()) as i32,
            };
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(&partition))
                .consistent_read(self.consistent)
                .scan_index_forward(!query.descending)
                .limit(batch)
                .set_exclusive_start_key(start.take());
            if let Some((expression, values)) = &filter {
                request = request.filter_expression(expression);
                for (name, value) in values {
                    request = request.expression_attribute_values(name, value.clone());
                }
            }
            let output = request.send().await.map_err(|e| unavailable("query the catalog", e))?;
            for item in output.items.unwrap_or_default() {
                books.push(decode::<Book>(item)?);
                if books.len() == wanted {
                    return Ok(Page::from_lookahead(books, query));
                }
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(Page::from_lookahead(books, query)),
            }
        }
        // The read budget ran out mid-partition: a short page that resumes where reading stopped.
        let key = start.as_ref().and_then(|key| key.get(index)).and_then(|v| v.as_s().ok()).cloned();
        Ok(Page { items: books, next_cursor: key.map(|key| Cursor { sort: query.sort, key }.encode()) })
    }

    async fn get_book(&self, id: BookId) -> Result<Option<Book>, Error> {
        self.get_item(format!("BOOK#{id}"), "BOOK", false)
            .await?
            .filter(|item| !item.contains_key("deleted_at"))
            .map(decode)
            .transpose()
    }

    /// One `BatchGetItem` per 100 books (a basket's pricing: one round trip, not one per line).
    async fn get_books(&self, ids: &[BookId]) -> Result<Vec<Book>, Error> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let keys = unique
            .iter()
            .map(|id| {
                HashMap::from([("pk".to_owned(), s(format!("BOOK#{id}"))), ("sk".to_owned(), s("BOOK"))])
            })
            .collect();
        crate::batch_get(&self.client, &self.table, keys, self.consistent, "read books")
            .await?
            .into_iter()
            .filter(|item| !item.contains_key("deleted_at"))
            .map(decode)
            .collect()
    }
}

/// DynamoDB's resume point for a cursor: the table key plus the index's sort key.
fn start_key(partition: &str, cursor: &Cursor) -> Result<Item, Error> {
    let id = cursor.book_id().ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))?;
    Ok(HashMap::from([
        ("pk".to_owned(), s(partition)),
        ("sk".to_owned(), s(id.to_string())),
        (index_name(cursor.sort).to_owned(), s(&cursor.key)),
    ]))
}

#[async_trait]
impl LookupReader for DynamoCatalog {
    async fn list_authors(&self) -> Result<Vec<Author>, Error> {
        let mut authors: Vec<Author> = self.query_partition(AUTHORS).await?;
        authors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(authors)
    }

    async fn list_categories(&self) -> Result<Vec<Category>, Error> {
        let mut categories: Vec<Category> = self.query_partition(CATEGORIES).await?;
        categories.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(categories)
    }

    async fn list_publishers(&self) -> Result<Vec<Publisher>, Error> {
        let mut publishers: Vec<Publisher> = self.query_partition(PUBLISHERS).await?;
        publishers.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(publishers)
    }

    async fn get_author(&self, id: AuthorId) -> Result<Option<Author>, Error> {
        self.get_item(AUTHORS.to_owned(), &id.to_string(), false).await?.map(decode).transpose()
    }

    async fn get_category(&self, id: CategoryId) -> Result<Option<Category>, Error> {
        self.get_item(CATEGORIES.to_owned(), &id.to_string(), false).await?.map(decode).transpose()
    }

    async fn get_publisher(&self, id: PublisherId) -> Result<Option<Publisher>, Error> {
        self.get_item(PUBLISHERS.to_owned(), &id.to_string(), false).await?.map(decode).transpose()
    }
}

#[async_trait]
impl CatalogWriter for DynamoCatalog {
    async fn put_author(&self, author: &Author) -> Result<(), Error> {
        self.put_entity(AUTHORS, author.id.to_string(), author).await
    }

    async fn put_category(&self, category: &Category) -> Result<(), Error> {
        self.put_entity(CATEGORIES, category.id.to_string(), category).await
    }

    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error> {
        self.put_entity(PUBLISHERS, publisher.id.to_string(), publisher).await
    }

    /// Writes the book and its listing copies in one transaction, removing copies from
    /// partitions it left. The canonical item's revision guards against a concurrent writer
    /// leaving stale copies behind.
    async fn put_book(&self, book: &Book) -> Result<(), Error> {
        let pk = format!("BOOK#{}", book.id);
        let old = self.get_item(pk.clone(), "BOOK", true).await?;
        let old_revision =
            old.as_ref().and_then(|item| item.get("revision")).and_then(|v| v.as_n().ok()).cloned();
        let old_partitions = match old {
            Some(item) => listing_partitions(&decode(item)?),
            None => Vec::new(),
        };
        let new_partitions = listing_partitions(book);

        let mut canonical = encode(book)?;
        canonical.insert("pk".into(), s(&pk));
        canonical.insert("sk".into(), s("BOOK"));
        let revision: u64 = old_revision.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0) + 1;
        canonical.insert("revision".into(), AttributeValue::N(revision.to_string()));
        let mut guard = Put::builder().table_name(&self.table).set_item(Some(canonical));
        guard = match old_revision {
            Some(old) => guard
                .condition_expression("revision = :old")
                .expression_attribute_values(":old", AttributeValue::N(old)),
            None => guard.condition_expression("attribute_not_exists(pk)"),
        };
        let build = |e| unavailable("build a catalog write", e);
        let mut writes = vec![TransactWriteItem::builder().put(guard.build().map_err(build)?).build()];
        for partition in &new_partitions {
            let put = Put::builder().table_name(&self.table).set_item(Some(listing_item(book, partition)?));
            writes.push(TransactWriteItem::builder().put(put.build().map_err(build)?).build());
        }
        for partition in old_partitions.iter().filter(|p| !new_partitions.contains(p)) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(partition))
                .key("sk", s(book.id.to_string()));
            writes.push(TransactWriteItem::builder().delete(delete.build().map_err(build)?).build());
        }
        if transact(&self.client, writes, "write a book").await? {
            Ok(())
        } else {
            Err(Error::Conflict(format!("book {} was changed by another writer; retry", book.id)))
        }
    }

    /// Marks the canonical item deleted and removes every listing copy, in one transaction.
    async fn delete_book(&self, id: BookId) -> Result<bool, Error> {
        let pk = format!("BOOK#{id}");
        let Some(item) = self.get_item(pk.clone(), "BOOK", true).await? else {
            return Ok(false);
        };
        if item.contains_key("deleted_at") {
            return Ok(false);
        }
        let revision =
            item.get("revision").and_then(|v| v.as_n().ok()).cloned().unwrap_or_else(|| "0".into());
        let book: Book = decode(item)?;
        let build = |e| unavailable("build a catalog write", e);
        let mark = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s("BOOK"))
            .update_expression("SET deleted_at = :now, revision = revision + :one")
            .condition_expression("revision = :old AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":now", AttributeValue::N(unix_now().to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":old", AttributeValue::N(revision))
            .build()
            .map_err(build)?;
        let mut writes = vec![TransactWriteItem::builder().update(mark).build()];
        for partition in listing_partitions(&book) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(partition))
                .key("sk", s(id.to_string()));
            writes.push(TransactWriteItem::builder().delete(delete.build().map_err(build)?).build());
        }
        if transact(&self.client, writes, "delete a book").await? {
            Ok(true)
        } else {
            Err(Error::Conflict(format!("book {id} was changed by another writer; retry")))
        }
    }

    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error> {
        self.delete_entity(AUTHORS, id.to_string(), "delete an author").await
    }

    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error> {
        self.delete_entity(CATEGORIES, id.to_string(), "delete a category").await
    }

    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error> {
        self.delete_entity(PUBLISHERS, id.to_string(), "delete a publisher").await
    }
}

fn encode<T: Serialize>(entity: &T) -> Result<Item, Error> {
    serde_dynamo::to_item(entity).map_err(|e| Error::unavailable("encode a catalog item", e))
}

fn decode<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a catalog item", e))
}
