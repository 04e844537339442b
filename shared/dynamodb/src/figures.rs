//! The figures table: per-day counters, a marker per counted event, the customer directory
//! (searched through the sparse `by_name` and `by_email` GSIs) and the catalog counters, in one
//! table (`pk`, `sk`). Every recording is one `TransactWriteItems`. See `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use bookworm_domain::Error;
use bookworm_domain::figures::{
    BookCount, BookTally, CatalogFigures, Customer, CustomerField, CustomerSearch, DayFigures, DayRange,
    Recorded, Recording, Tally, encode_cursor, id_of_key, marker,
};
use bookworm_domain::ids::{BookId, CategoryId, UserId};
use bookworm_domain::ports::{FigureReader, FigureRecorder};
use bookworm_domain::query::Page;

use crate::{expires_in, required_env, s, transact, transact_checked, unavailable};

type Item = HashMap<String, AttributeValue>;

/// The days' one partition: a range of days is one `Query`.
const DAYS: &str = "DAYS";
/// The catalog counters' one partition.
const CATALOG: &str = "CATALOG";
const STOCK: &str = "STOCK";
/// The directory indexes' one partition key value.
const DIRECTORY: &str = "CUSTOMERS";
/// How long an event's marker is kept: far past the stream's 24 hours and the claims' 7 days.
const MARKER_TTL_SECONDS: u64 = 30 * 24 * 3600;
/// The tally's counters, as attribute names.
const COUNTERS: [&str; 5] =
    ["orders_placed", "orders_completed", "orders_cancelled", "revenue", "new_customers"];

#[derive(Clone)]
pub struct DynamoFigures {
    client: Client,
    table: String,
}

impl DynamoFigures {
    pub fn with_table(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// The table `FIGURES_TABLE` names.
    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_table(Client::new(config), required_env("FIGURES_TABLE")?))
    }
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn customer_key(id: &UserId) -> Item {
    key(format!("CUSTOMER#{id}"), "CUSTOMER")
}

fn book_key(id: BookId) -> Item {
    key(format!("BOOK#{id}"), "COUNTED")
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number(item: &Item, name: &str) -> i64 {
    item.get(name).and_then(|value| value.as_n().ok()).and_then(|text| text.parse().ok()).unwrap_or_default()
}

fn tally_values(tally: &Tally) -> [i64; 5] {
    [tally.orders_placed, tally.orders_completed, tally.orders_cancelled, tally.revenue, tally.new_customers]
}

fn decode<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a figure record", e))
}

/// The customer's item: its fields and its keys in both directory indexes.
fn customer_item(customer: &Customer) -> Result<Item, Error> {
    let mut item: Item =
        serde_dynamo::to_item(customer).map_err(|e| Error::unavailable("encode a customer", e))?;
    item.extend(customer_key(&customer.id));
    item.insert("directory".into(), s(DIRECTORY));
    item.insert("name_key".into(), s(customer.name_key()));
    item.insert("email_key".into(), s(customer.email_key()));
    Ok(item)
}

fn index(field: CustomerField) -> (&'static str, &'static str) {
    match field {
        CustomerField::Name => ("by_name", "name_key"),
        CustomerField::Email => ("by_email", "email_key"),
    }
}

impl DynamoFigures {
    /// `ADD` of each counter, and `SET` of each plain value beside them.
    fn update(
        &self,
        key: Item,
        adds: &[(&str, i64)],
        sets: &[(&str, String)],
    ) -> Result<TransactWriteItem, Error> {
        let added: Vec<String> = (0..adds.len()).map(|i| format!("#a{i} :a{i}")).collect();
        let set: Vec<String> = (0..sets.len()).map(|i| format!("#s{i} = :s{i}")).collect();
        let mut expression = format!("ADD {}", added.join(", "));
        if !set.is_empty() {
            expression.push_str(&format!(" SET {}", set.join(", ")));
        }
        let mut update =
            Update::builder().table_name(&self.table).set_key(Some(key)).update_expression(expression);
        for (i, (name, value)) in adds.iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#a{i}"), *name)
                .expression_attribute_values(format!(":a{i}"), n(value));
        }
        for (i, (name, value)) in sets.iter().enumerate() {
            update = update
                .expression_attribute_names(format!("#s{i}"), *name)
                .expression_attribute_values(format!(":s{i}"), s(value));
        }
        let update = update.build().map_err(|e| unavailable("build a figure write", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// `item`, only where `condition` holds (`version` compared to `:version`).
    fn put(&self, item: Item, version: u64) -> Result<TransactWriteItem, Error> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match version {
            0 => put.condition_expression("attribute_not_exists(pk)"),
            version => put
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":version", n(version)),
        };
        let put = put.build().map_err(|e| unavailable("build a figure write", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    async fn get(&self, key: Item) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read a figure record", e))?;
        Ok(output.item)
    }

    /// Every item of the partition `pk` with its sort key between `from` and `to`.
    async fn partition(&self, pk: &str, between: Option<(String, String)>) -> Result<Vec<Item>, Error> {
        let (mut items, mut start) = (Vec::new(), None);
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .expression_attribute_values(":pk", s(pk))
                .set_exclusive_start_key(start.take());
            query = match &between {
                Some((from, to)) => query
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(":from", s(from))
                    .expression_attribute_values(":to", s(to)),
                None => query.key_condition_expression("pk = :pk"),
            };
            let output = query.send().await.map_err(|e| unavailable("read the figures", e))?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

#[async_trait]
impl FigureRecorder for DynamoFigures {
    /// One transaction: the marker (only if absent), an `ADD` per day, the customer (only from
    /// the version it was made from). The client request token makes the SDK's own retry of a
    /// commit whose answer was lost succeed without counting again; any later repeat fails the
    /// marker's condition.
    async fn record(&self, recording: &Recording) -> Result<Recorded, Error> {
        let mut marker_item = key(marker(recording.event), "EVENT");
        marker_item.insert("expires_at".into(), expires_in(MARKER_TTL_SECONDS));
        let mut writes = vec![self.put(marker_item, 0)?];
        for (day, tally) in &recording.days {
            let adds: Vec<(&str, i64)> = COUNTERS.into_iter().zip(tally_values(tally)).collect();
            writes.push(self.update(key(DAYS, day.key()), &adds, &[])?);
        }
        if let Some(customer) = &recording.customer {
            writes.push(self.put(customer_item(customer)?, recording.expected.unwrap_or(0))?);
        }
        let failed = transact_checked(&self.client, writes, "record an order event").await?;
        Ok(match failed.first() {
            None => Recorded::Done,
            Some(0) => Recorded::Duplicate,
            Some(_) => Recorded::Stale,
        })
    }

    async fn customer(&self, id: &UserId) -> Result<Option<Customer>, Error> {
        self.get(customer_key(id)).await?.map(decode).transpose()
    }

    async fn counted_book(&self, book: BookId) -> Result<BookTally, Error> {
        Ok(self.get(book_key(book)).await?.map(decode).transpose()?.unwrap_or_default())
    }

    async fn count_book(&self, count: &BookCount) -> Result<bool, Error> {
        let tally = BookTally { counted: count.after, version: count.before.version + 1 };
        let mut item: Item =
            serde_dynamo::to_item(tally).map_err(|e| Error::unavailable("encode a count", e))?;
        item.extend(book_key(count.book));
        let mut writes = vec![self.put(item, count.before.version)?];
        let (in_stock, out_of_stock, categories) = count.deltas();
        let stock: Vec<(&str, i64)> = [("in_stock", in_stock), ("out_of_stock", out_of_stock)]
            .into_iter()
            .filter(|(_, d)| *d != 0)
            .collect();
        if !stock.is_empty() {
            writes.push(self.update(key(CATALOG, STOCK), &stock, &[])?);
        }
        for (category, delta) in categories {
            // The id beside the count, so the reader needs no parsing of keys.
            let id = [("category_id", category.to_string())];
            writes.push(self.update(
                key(CATALOG, format!("CATEGORY#{category}")),
                &[("books", delta)],
                &id,
            )?);
        }
        transact(&self.client, writes, "count a book").await
    }
}

#[async_trait]
impl FigureReader for DynamoFigures {
    /// One `Query` of the days' partition between the range's ends (a year is a few kilobytes).
    async fn days(&self, range: DayRange) -> Result<Vec<DayFigures>, Error> {
        let items = self.partition(DAYS, Some((range.from.key(), range.to.key()))).await?;
        let mut days = Vec::with_capacity(items.len());
        for item in items {
            let day = item.get("sk").and_then(|sk| sk.as_s().ok()).map(String::as_str).unwrap_or_default();
            let day = bookworm_domain::figures::Day::parse("day", day)?;
            let [orders_placed, orders_completed, orders_cancelled, revenue, new_customers] =
                COUNTERS.map(|name| number(&item, name));
            let tally = Tally { orders_placed, orders_completed, orders_cancelled, revenue, new_customers };
            days.push(DayFigures { day, tally });
        }
        Ok(days)
    }

    async fn catalog_figures(&self) -> Result<CatalogFigures, Error> {
        let items = self.partition(CATALOG, None).await?;
        let (mut in_stock, mut out_of_stock, mut categories) = (0, 0, Vec::new());
        for item in items {
            match item.get("sk").and_then(|sk| sk.as_s().ok()).map(String::as_str) {
                Some(STOCK) => {
                    (in_stock, out_of_stock) = (number(&item, "in_stock"), number(&item, "out_of_stock"))
                }
                _ => {
                    let id =
                        item.get("category_id").and_then(|id| id.as_s().ok()).and_then(|id| id.parse().ok());
                    if let Some(id) = id {
                        categories.push((CategoryId(id), number(&item, "books")));
                    }
                }
            }
        }
        Ok(CatalogFigures::from_counts(in_stock, out_of_stock, categories))
    }

    async fn find_customer(&self, id: &UserId) -> Result<Option<Customer>, Error> {
        self.customer(id).await
    }

    /// A `Query` on the field's GSI, `begins_with` the folded prefix, one item more than the
    /// page, read on when DynamoDB stops at 1 MB. Eventually consistent: an entry just made
    /// shows a moment later.
    async fn customers(&self, search: &CustomerSearch) -> Result<Page<Customer>, Error> {
        let (index, sort) = index(search.field);
        let wanted = search.limit.get() + 1;
        let mut start = match &search.after {
            Some(after) => {
                let id = id_of_key(after)
                    .ok_or_else(|| Error::invalid("cursor", "is not a cursor this search gave"))?;
                let mut start = customer_key(&id);
                start.insert("directory".into(), s(DIRECTORY));
                start.insert(sort.into(), s(after));
                Some(start)
            }
            None => None,
        };
        let mut found = Vec::with_capacity(wanted);
        loop {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .expression_attribute_values(":directory", s(DIRECTORY))
                .limit(i32::try_from(wanted - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            // DynamoDB refuses an empty `begins_with` operand: no prefix is the whole partition.
            let query = match search.prefix.is_empty() {
                true => query.key_condition_expression("directory = :directory"),
                false => query
                    .key_condition_expression("directory = :directory AND begins_with(#sort, :prefix)")
                    .expression_attribute_names("#sort", sort)
                    .expression_attribute_values(":prefix", s(search.prefix.clone())),
            };
            let output = query.send().await.map_err(|e| unavailable("search customers", e))?;
            for item in output.items.unwrap_or_default() {
                found.push(decode(item)?);
            }
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                return Ok(Page::from_lookahead_by(found, search.limit.get(), |last: &Customer| {
                    encode_cursor(&last.key_in(search.field))
                }));
            }
        }
    }
}
