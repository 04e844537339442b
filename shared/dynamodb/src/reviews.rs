//! The reviews table: reviews, one guard per account and book, each book's rating counts,
//! helpful and report marks, daily quotas. Every change is one `TransactWriteItems` with its
//! counts, mark, quota, event and (for a new review) a check that the book is live. See
//! `TABLES.md`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use bookworm_domain::Error;
use bookworm_domain::events::EventCursor;
use bookworm_domain::ids::{BookId, ReviewId, UserId};
use bookworm_domain::orders::{Order, OrderStatus};
use bookworm_domain::ports::ReviewWrite;
use bookworm_domain::ports::{Purchases, RatingReader, ReviewStore, ReviewedBooks};
use bookworm_domain::query::Page;
use bookworm_domain::reviews::{
    DailyQuota, Mark, Ratings, ReportedQuery, Review, ReviewCursor, ReviewQuery, ReviewSort, Saved,
};

use crate::{ReadBudget, batch_get, expires_in, required_env, s, transact_checked, unavailable};

type Item = HashMap<String, AttributeValue>;

/// A day's quota record outlives its day by one, whatever the time zone of the reader.
const QUOTA_TTL_SECONDS: u64 = 2 * 24 * 3600;
/// The moderation queue's one partition key value.
const REPORTED: &str = "REPORTED";

/// The tables a review write touches.
#[derive(Debug, Clone)]
pub struct ReviewTables {
    pub reviews: String,
    /// For the check that a reviewed book is live.
    pub catalog: String,
    /// Where review events are appended (the outbox).
    pub events: String,
    /// For the verified-purchase mark (`by_buyer` index).
    pub orders: String,
}

impl ReviewTables {
    /// From `REVIEWS_TABLE`, `CATALOG_TABLE`, `EVENTS_TABLE`, `ORDERS_TABLE`.
    pub fn from_env() -> Result<Self, Error> {
        Ok(Self {
            reviews: required_env("REVIEWS_TABLE")?,
            catalog: required_env("CATALOG_TABLE")?,
            events: required_env("EVENTS_TABLE")?,
            orders: required_env("ORDERS_TABLE")?,
        })
    }
}

#[derive(Clone)]
pub struct DynamoReviews {
    client: Client,
    tables: ReviewTables,
    budget: ReadBudget,
}

impl DynamoReviews {
    pub fn with_tables(client: Client, tables: ReviewTables) -> Self {
        Self { client, tables, budget: ReadBudget::default() }
    }

    /// The same store with another read budget (tests reach the budget's edge with a tiny one).
    pub fn with_read_budget(self, budget: ReadBudget) -> Self {
        Self { budget, ..self }
    }

    pub fn new(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::with_tables(Client::new(config), ReviewTables::from_env()?))
    }
}

/// Ratings only: what the catalog function reads (`REVIEWS_TABLE`).
#[derive(Clone)]
pub struct DynamoRatings {
    client: Client,
    table: String,
}

impl DynamoRatings {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_config(config: &bookworm_aws::SdkConfig) -> Result<Self, Error> {
        Ok(Self::new(Client::new(config), required_env("REVIEWS_TABLE")?))
    }
}

fn review_key(id: ReviewId) -> Item {
    HashMap::from([("pk".to_owned(), s(format!("REVIEW#{id}"))), ("sk".to_owned(), s("REVIEW"))])
}

fn book_key(book: BookId) -> String {
    format!("BOOK#{book}")
}

fn guard_key(book: BookId, reviewer: &UserId) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(book_key(book))),
        ("sk".to_owned(), s(format!("REVIEWER#{reviewer}"))),
    ])
}

fn ratings_key(book: BookId) -> Item {
    HashMap::from([("pk".to_owned(), s(book_key(book))), ("sk".to_owned(), s("RATINGS"))])
}

/// The index over each listing order, and its sort key attribute.
fn index(sort: ReviewSort) -> (&'static str, &'static str) {
    match sort {
        ReviewSort::Newest => ("newest", "newest_key"),
        ReviewSort::Highest => ("highest", "highest_key"),
        ReviewSort::Lowest => ("lowest", "lowest_key"),
        ReviewSort::Helpful => ("helpful", "helpful_key"),
    }
}

/// A review's item: its fields, its listing keys while visible (the indexes are sparse, so a
/// hidden review is in none), and its moderation queue keys while reports are open.
fn review_item(review: &Review) -> Result<Item, Error> {
    let mut item: Item =
        serde_dynamo::to_item(review).map_err(|e| Error::unavailable("encode a review", e))?;
    item.extend(review_key(review.id));
    if review.is_visible() {
        item.insert("book_key".into(), s(book_key(review.book_id)));
        // The `by_reviewer` index: a reader's visible reviews, newest first (recommendations).
        item.insert("reviewer_key".into(), s(review.reviewer_id.as_str()));
        for sort in ReviewSort::ALL {
            item.insert(index(sort).1.into(), s(review.sort_key(sort)));
        }
    }
    if let Some(key) = review.queue_key() {
        item.insert("queue".into(), s(REPORTED));
        item.insert("queue_key".into(), s(key));
    }
    Ok(item)
}

fn decode_review(item: Item) -> Result<Review, Error> {
    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode a review", e))
}

fn build<T, E: std::error::Error + Send + Sync + 'static>(built: Result<T, E>) -> Result<T, Error> {
    built.map_err(|e| unavailable("build a review write", e))
}

/// What each write of the transaction answers for when its condition fails.
struct Writes {
    items: Vec<TransactWriteItem>,
    meaning: Vec<Saved>,
}

impl Writes {
    fn push(&mut self, item: TransactWriteItem, meaning: Saved) {
        self.items.push(item);
        self.meaning.push(meaning);
    }
}

impl DynamoReviews {
    fn writes(&self, change: &ReviewWrite<'_>) -> Result<Writes, Error> {
        let table = &self.tables.reviews;
        let mut writes = Writes { items: Vec::new(), meaning: Vec::new() };
        let revision = |review: &Review| AttributeValue::N(review.revision.to_string());
        match (change.before, change.after) {
            (None, Some(after)) => {
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(review_item(after)?))
                    .condition_expression("attribute_not_exists(pk)");
                writes.push(TransactWriteItem::builder().put(build(put.build())?).build(), Saved::Stale);
                let mut guard = guard_key(after.book_id, &after.reviewer_id);
                guard.insert("review_id".into(), s(after.id.to_string()));
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(guard))
                    .condition_expression("attribute_not_exists(pk)");
                writes.push(TransactWriteItem::builder().put(build(put.build())?).build(), Saved::Stale);
                let check = ConditionCheck::builder()
                    .table_name(&self.tables.catalog)
                    .key("pk", s(book_key(after.book_id)))
                    .key("sk", s("BOOK"))
                    .condition_expression("attribute_exists(pk) AND attribute_not_exists(deleted_at)");
                writes.push(
                    TransactWriteItem::builder().condition_check(build(check.build())?).build(),
                    Saved::BookGone,
                );
            }
            (Some(before), Some(after)) => {
                let put = Put::builder()
                    .table_name(table)
                    .set_item(Some(review_item(after)?))
                    .condition_expression("revision = :revision")
                    .expression_attribute_values(":revision", revision(before));
                writes.push(TransactWriteItem::builder().put(build(put.build())?).build(), Saved::Stale);
            }
            (Some(before), None) => {
                let delete = Delete::builder()
                    .table_name(table)
                    .set_key(Some(review_key(before.id)))
                    .condition_expression("revision = :revision")
                    .expression_attribute_values(":revision", revision(before));
                writes
                    .push(TransactWriteItem::builder().delete(build(delete.build())?).build(), Saved::Stale);
                let guard = guard_key(before.book_id, &before.reviewer_id);
                let guard = if change.bar_reviewer {
                    // The guard stays, marked: no new review by this account of this book.
                    let mut barred = guard;
                    barred.insert("barred".into(), AttributeValue::Bool(true));
                    let put = Put::builder().table_name(table).set_item(Some(barred));
                    TransactWriteItem::builder().put(build(put.build())?).build()
                } else {
                    let delete = Delete::builder().table_name(table).set_key(Some(guard));
                    TransactWriteItem::builder().delete(build(delete.build())?).build()
                };
                writes.push(guard, Saved::Stale);
            }
            (None, None) => {}
        }
        let delta = Ratings::delta(change.before, change.after);
        if let (Some(book), true) = (change.book(), delta.iter().any(|d| *d != 0)) {
            let mut update = Update::builder().table_name(table).set_key(Some(ratings_key(book)));
            let mut adds = Vec::new();
            for (star, d) in (1..).zip(delta).filter(|(_, d)| *d != 0) {
                adds.push(format!("r{star} :r{star}"));
                update =
                    update.expression_attribute_values(format!(":r{star}"), AttributeValue::N(d.to_string()));
            }
            let update = update.update_expression(format!("ADD {}", adds.join(", ")));
            writes.push(TransactWriteItem::builder().update(build(update.build())?).build(), Saved::Stale);
        }
        if let Some(mark) = change.mark {
            let (review, sk, reason) = match mark {
                Mark::Helpful { review, account } => (review, format!("HELPFUL#{account}"), None),
                Mark::Report { review, account, reason } => {
                    (review, format!("REPORT#{account}"), Some(reason))
                }
            };
            let mut item =
                HashMap::from([("pk".to_owned(), s(format!("REVIEW#{review}"))), ("sk".to_owned(), s(sk))]);
            if let Some(reason) = reason {
                item.insert(
                    "reason".into(),
                    serde_dynamo::to_attribute_value(reason)
                        .map_err(|e| Error::unavailable("encode a report", e))?,
                );
            }
            item.insert("at".into(), s(bookworm_domain::clock::now_rfc3339()));
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)");
            writes.push(TransactWriteItem::builder().put(build(put.build())?).build(), Saved::AlreadyMarked);
        }
        if let Some(quota) = change.quota {
            writes.push(quota_write(table, quota)?, Saved::OverQuota);
        }
        if let Some(event) = change.event {
            let put = Put::builder()
                .table_name(&self.tables.events)
                .set_item(Some(crate::shop::event_item(event)?));
            writes.push(TransactWriteItem::builder().put(build(put.build())?).build(), Saved::Stale);
        }
        Ok(writes)
    }
}

/// Counts one more review against the day's cap, if the cap allows it.
fn quota_write(table: &str, quota: &DailyQuota) -> Result<TransactWriteItem, Error> {
    let key = HashMap::from([
        ("pk".to_owned(), s(format!("QUOTA#{}", quota.account))),
        ("sk".to_owned(), s(&quota.day)),
    ]);
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression("ADD #count :one SET expires_at = :expires")
        .condition_expression("attribute_not_exists(#count) OR #count < :limit")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .expression_attribute_values(":limit", AttributeValue::N(quota.limit.to_string()))
        .expression_attribute_values(":expires", expires_in(QUOTA_TTL_SECONDS));
    Ok(TransactWriteItem::builder().update(build(update.build())?).build())
}

/// Reads each book's rating counts (see [`batch_get`]).
async fn read_ratings(client: &Client, table: &str, books: &[BookId]) -> Result<Vec<Ratings>, Error> {
    let mut unique: Vec<BookId> = books.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let keys = unique.iter().map(|book| ratings_key(*book)).collect();
    let mut found: HashMap<String, Ratings> = HashMap::new();
    for item in batch_get(client, table, keys, false, "read ratings").await? {
        let pk = item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
        let count = |star: usize| {
            item.get(&format!("r{star}"))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        found.insert(pk, Ratings { counts: [count(1), count(2), count(3), count(4), count(5)] });
    }
    Ok(books.iter().map(|book| found.get(&book_key(*book)).copied().unwrap_or_default()).collect())
}

#[async_trait]
impl RatingReader for DynamoRatings {
    async fn ratings(&self, books: &[BookId]) -> Result<Vec<Ratings>, Error> {
        read_ratings(&self.client, &self.table, books).await
    }
}

#[async_trait]
impl RatingReader for DynamoReviews {
    async fn ratings(&self, books: &[BookId]) -> Result<Vec<Ratings>, Error> {
        read_ratings(&self.client, &self.tables.reviews, books).await
    }
}

impl DynamoReviews {
    async fn get(&self, key: Item) -> Result<Option<Item>, Error> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.reviews)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| unavailable("read a review", e))?;
        Ok(output.item)
    }

    /// Pages through `index` newest key first, within the read budget; a page the budget cut
    /// short ends with a cursor where reading stopped.
    async fn query_index(
        &self,
        index: &'static str,
        partition: (&'static str, String),
        prefix: Option<(&'static str, String)>,
        filter: Option<(&'static str, AttributeValue)>,
        start: Option<Item>,
        limit: usize,
    ) -> Result<(Vec<Review>, Option<Item>), Error> {
        let wanted = limit + 1;
        let mut start = start;
        let mut found = Vec::with_capacity(wanted);
        for _ in 0..self.budget.calls {
            let mut request = self
                .client
                .query()
                .table_name(&self.tables.reviews)
                .index_name(index)
                .expression_attribute_names("#pk", partition.0)
                .expression_attribute_values(":pk", s(partition.1.clone()))
                .scan_index_forward(false)
                .limit(match filter {
                    Some(_) => self.budget.batch,
                    None => (wanted - found.len()).min(self.budget.batch as usize) as i32,
                })
                .set_exclusive_start_key(start.take());
            request = match &prefix {
                Some((attribute, value)) => request
                    .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                    .expression_attribute_names("#sk", *attribute)
                    .expression_attribute_values(":prefix", s(value.clone())),
                None => request.key_condition_expression("#pk = :pk"),
            };
            if let Some((attribute, value)) = &filter {
                request = request
                    .filter_expression("#filter = :filter")
                    .expression_attribute_names("#filter", *attribute)
                    .expression_attribute_values(":filter", value.clone());
            }
            let output = request.send().await.map_err(|e| unavailable("list reviews", e))?;
            for item in output.items.unwrap_or_default() {
                found.push(decode_review(item)?);
            }
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                found.truncate(wanted);
                return Ok((found, None));
            }
        }
        Ok((found, start))
    }
}

/// The start key that resumes an index listing after the review whose index key is `key`.
fn start_after(review: ReviewId, index: (&str, String), partition: (&str, String)) -> Item {
    let mut key = review_key(review);
    key.insert(partition.0.to_owned(), s(partition.1));
    key.insert(index.0.to_owned(), s(index.1));
    key
}

#[async_trait]
impl ReviewStore for DynamoReviews {
    async fn review(&self, id: ReviewId) -> Result<Option<Review>, Error> {
        self.get(review_key(id)).await?.map(decode_review).transpose()
    }

    async fn review_by(&self, book: BookId, reviewer: &UserId) -> Result<Option<Review>, Error> {
        let Some(guard) = self.get(guard_key(book, reviewer)).await? else { return Ok(None) };
        if guard.contains_key("barred") {
            return Ok(None);
        }
        let id = guard.get("review_id").and_then(|v| v.as_s().ok()).and_then(|id| id.parse().ok());
        match id {
            Some(id) => self.review(id).await,
            None => Err(Error::unavailable("read a review guard", "it names no review")),
        }
    }

    /// The listing's sparse GSI (`newest`, `highest`, `lowest`, `helpful`) on `book_key`: a
    /// star filter is a key prefix on `highest`, or a filter on `helpful`.
    async fn list_reviews(&self, query: &ReviewQuery) -> Result<Page<Review>, Error> {
        let listing = query.listing();
        let (index_name, attribute) = index(listing);
        let partition = ("book_key", book_key(query.book));
        let start = query.after.as_ref().and_then(|after| {
            Some(start_after(after.review_id()?, (attribute, after.key.clone()), partition.clone()))
        });
        let prefix = query.key_prefix().map(|prefix| (attribute, prefix));
        let filter = match (listing, query.rating) {
            (ReviewSort::Helpful, Some(stars)) => Some(("rating", AttributeValue::N(stars.to_string()))),
            _ => None,
        };
        let limit = query.limit.get();
        let (reviews, stopped) =
            self.query_index(index_name, partition, prefix, filter, start, limit).await?;
        if let Some(stopped) = stopped {
            let resume = stopped.get(attribute).and_then(|v| v.as_s().ok()).cloned();
            let next_cursor = resume.map(|key| ReviewCursor { sort: listing, key }.encode());
            return Ok(Page { items: reviews, next_cursor });
        }
        Ok(Page::from_lookahead_by(reviews, limit, |last| ReviewCursor::after(listing, last).encode()))
    }

    /// The `reported` GSI: one partition, latest report first.
    async fn reported(&self, query: &ReportedQuery) -> Result<Page<Review>, Error> {
        let partition = ("queue", REPORTED.to_owned());
        let start = query.after.as_ref().and_then(|after| {
            let id = after.rsplit('#').next()?.parse().ok()?;
            Some(start_after(id, ("queue_key", after.clone()), partition.clone()))
        });
        let filter = query.hidden_only.then(|| ("status", s("hidden")));
        let limit = query.limit.get();
        let (reviews, stopped) = self.query_index("reported", partition, None, filter, start, limit).await?;
        if let Some(stopped) = stopped {
            let resume = stopped.get("queue_key").and_then(|v| v.as_s().ok()).cloned();
            return Ok(Page { items: reviews, next_cursor: resume.map(|key| EventCursor(key).encode()) });
        }
        Ok(Page::from_lookahead_by(reviews, limit, |last| {
            EventCursor(last.queue_key().unwrap_or_default()).encode()
        }))
    }

    async fn write_review(&self, change: &ReviewWrite<'_>) -> Result<Saved, Error> {
        let writes = self.writes(change)?;
        let failed = transact_checked(&self.client, writes.items, "write a review").await?;
        // Several conditions may fail at once; the most telling refusal wins.
        let refusals: Vec<Saved> =
            failed.iter().filter_map(|index| writes.meaning.get(*index).copied()).collect();
        Ok([Saved::BookGone, Saved::Stale, Saved::AlreadyMarked, Saved::OverQuota]
            .into_iter()
            .find(|refusal| refusals.contains(refusal))
            .unwrap_or(if failed.is_empty() { Saved::Done } else { Saved::Stale }))
    }
}

#[async_trait]
impl Purchases for DynamoReviews {
    /// The buyer's completed orders (`by_buyer`, filtered by status), within the read budget:
    /// a buyer with more orders than that is not marked, rather than waiting on a long read.
    async fn bought(&self, buyer: &UserId, book: BookId) -> Result<bool, Error> {
        let mut start = None;
        for _ in 0..self.budget.calls {
            let output = self
                .client
                .query()
                .table_name(&self.tables.orders)
                .index_name("by_buyer")
                .key_condition_expression("buyer_id = :buyer")
                .filter_expression("#status = :completed")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":buyer", s(buyer.as_str()))
                .expression_attribute_values(":completed", s(OrderStatus::Completed.as_str()))
                .limit(self.budget.batch)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| unavailable("read a buyer's orders", e))?;
            for item in output.items.unwrap_or_default() {
                let order: Order =
                    serde_dynamo::from_item(item).map_err(|e| Error::unavailable("decode an order", e))?;
                if order.lines.iter().any(|line| line.book_id == book) {
                    return Ok(true);
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        Ok(false)
    }
}

/// The sparse `by_reviewer` GSI (`reviewer_key`, `newest_key`): one `Query`, newest first.
#[async_trait]
impl ReviewedBooks for DynamoReviews {
    async fn reviewed_by(&self, reviewer: &UserId, limit: usize) -> Result<Vec<(BookId, u8)>, Error> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let partition = ("reviewer_key", reviewer.as_str().to_owned());
        let (mut reviews, _) = self.query_index("by_reviewer", partition, None, None, None, limit).await?;
        reviews.truncate(limit);
        Ok(reviews.into_iter().map(|review| (review.book_id, review.rating)).collect())
    }
}
