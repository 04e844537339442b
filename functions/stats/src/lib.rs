//! The keeper of the back office's figures, fed by two DynamoDB streams:
//!
//! - the **events** table's (the outbox): each order event (`checkout.completed`,
//!   `order.completed`, `order.cancelled`) moves its day's counters and the buyer's directory
//!   entry, once. The event is claimed first (`Deduplicator`, as email and fan-out do), and the
//!   write itself carries a marker of the event, so a redelivery, a retried write that had landed,
//!   or a retry after a crash between the write and the claim's completion counts nothing twice;
//!   a crash before the write leaves a lease that runs out, and the retry counts it then.
//! - the **catalog** table's (keys only): each changed book is read as it is now and its count
//!   moved from what the figures held of it, conditioned on that record; repeats and reordered
//!   records converge on the catalog as it is.
//!
//! - each placed order's books, as bought together (`copurchases`): a second step, claimed
//!   apart (consumer `co-purchases`), that moves each book's partners record once.
//!
//! Invoked with `{"action": "recount"}` it counts every live book (a catalog that existed
//! before the function did). A failed record stops the batch there (batch item failure), so each
//! shop's events keep their order, as the relay does.

use std::time::Duration;

pub mod copurchases;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use bookworm_domain::Error;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::figures::{BookCount, CountedBook, OrderFact, Recorded, recording};
use bookworm_domain::ids::{BookId, OrderId};
use bookworm_domain::ports::{BookReader, Claim, CoPurchaseStore, Deduplicator, FigureRecorder, OrderStore};
use bookworm_domain::query::{BookQuery, Cursor, MAX_PAGE_SIZE, PageSize};
use serde::{Deserialize, Serialize};

/// The consumer's name in the claims table.
pub const CONSUMER: &str = "stats";
/// Longer than one record's work: an attempt that died mid-way is retried after it.
pub const CLAIM_LEASE: Duration = Duration::from_secs(60);
/// Attempts of a write that lost a race to another writer of the same entry.
pub(crate) const ATTEMPTS: usize = 10;

/// What the function is invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A batch from the events or the catalog table's stream.
    Stream(Event),
    /// A direct invocation.
    Command(Command),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Recount,
}

/// What the function answers: the batch's failures, or how many books a recount read.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Batch(DynamoDbEventResponse),
    Recounted { books: usize },
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The figures now count it.
    Counted,
    /// Counted before: nothing changed.
    Duplicate,
    /// Not something the figures count (another event type, a listing copy, a TTL removal).
    Ignored,
}

/// What the function needs.
pub struct Stats<'a> {
    pub figures: &'a dyn FigureRecorder,
    pub orders: &'a dyn OrderStore,
    pub books: &'a dyn BookReader,
    pub dedupe: &'a dyn Deduplicator,
    pub co_purchases: &'a dyn CoPurchaseStore,
}

/// What a stream record is about.
enum Source {
    Event(Box<ShopEvent>),
    Book(BookId),
    Other,
}

impl Stats<'_> {
    pub async fn invoke(&self, invocation: Invocation) -> Result<Answer, Error> {
        match invocation {
            Invocation::Stream(batch) => Ok(Answer::Batch(self.handle(batch).await)),
            Invocation::Command(Command::Recount) => Ok(Answer::Recounted { books: self.recount().await? }),
        }
    }

    /// A stream batch, in order; the first record that fails is reported, with everything after
    /// it, for Lambda to retry from there.
    pub async fn handle(&self, batch: Event) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        for record in batch.records {
            if let Err(error) = self.record(&record).await {
                tracing::warn!(sequence = ?record.change.sequence_number, %error, "not counted; the batch resumes here");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                break;
            }
        }
        response
    }

    pub async fn record(&self, record: &EventRecord) -> Result<Outcome, Error> {
        match source(record) {
            // Two steps, each claimed on its own: the figures, then the co-purchases.
            Source::Event(event) => {
                let outcome = self.order_event(&event).await?;
                self.count_co_purchases(&event).await?;
                Ok(outcome)
            }
            Source::Book(book) => self.book(book).await,
            Source::Other => Ok(Outcome::Ignored),
        }
    }

    /// Counts an order event once: claimed, written (with its marker), completed.
    pub async fn order_event(&self, event: &ShopEvent) -> Result<Outcome, Error> {
        let Some((order, fact)) = OrderFact::of(event) else { return Ok(Outcome::Ignored) };
        match self.dedupe.claim(CONSUMER, event.id, CLAIM_LEASE).await? {
            Claim::Claimed => {}
            Claim::Done => {
                bookworm_metrics::count("DuplicateDeliveries", 1.0);
                return Ok(Outcome::Duplicate);
            }
            // Another attempt may be writing it now: fail, so it is retried after the lease.
            Claim::InProgress => {
                return Err(Error::unavailable(
                    "claim the event",
                    format!("{CONSUMER} of {} is in progress", event.id),
                ));
            }
        }
        match self.count(event, order, fact).await {
            Ok(outcome) => {
                self.dedupe.complete(CONSUMER, event.id).await?;
                Ok(outcome)
            }
            Err(error) => {
                self.dedupe.release(CONSUMER, event.id).await?;
                Err(error)
            }
        }
    }

    async fn count(&self, event: &ShopEvent, order: OrderId, fact: OrderFact) -> Result<Outcome, Error> {
        let fact = match fact {
            // The buyer's name and email are the order's (from the token at checkout).
            OrderFact::Placed { order: id, buyer, total, .. } => {
                let stored =
                    self.orders.order(order).await?.ok_or_else(|| Error::not_found("order", order))?;
                OrderFact::Placed {
                    order: id,
                    buyer,
                    total,
                    name: stored.buyer_name,
                    email: stored.buyer_email,
                }
            }
            other => other,
        };
        for _ in 0..ATTEMPTS {
            let stored = self.figures.customer(fact.buyer()).await?;
            match self.figures.record(&recording(event.id, &event.time, &fact, stored.as_ref())?).await? {
                Recorded::Done => {
                    bookworm_metrics::count("EventsCounted", 1.0);
                    tracing::info!(event = %event.id, kind = event.kind(), "counted");
                    return Ok(Outcome::Counted);
                }
                Recorded::Duplicate => return Ok(Outcome::Duplicate),
                Recorded::Stale => continue,
            }
        }
        Err(Error::unavailable("count an order event", "the buyer's entry kept changing"))
    }

    /// Moves `book`'s count from what the figures hold to the book as it is now.
    pub async fn book(&self, book: BookId) -> Result<Outcome, Error> {
        for _ in 0..ATTEMPTS {
            let now = self.books.get_book(book).await?.map(|found| CountedBook::of(&found));
            let before = self.figures.counted_book(book).await?;
            if before.counted == now {
                return Ok(Outcome::Duplicate);
            }
            if self.figures.count_book(&BookCount { book, before, after: now }).await? {
                return Ok(Outcome::Counted);
            }
        }
        Err(Error::unavailable("count a book", "its count kept changing"))
    }

    /// Counts every live book; the number of books read.
    pub async fn recount(&self) -> Result<usize, Error> {
        let mut query = BookQuery { limit: PageSize::new(MAX_PAGE_SIZE)?, ..BookQuery::default() };
        let mut books = 0;
        loop {
            let page = self.books.list_books(&query).await?;
            for book in &page.items {
                self.book(book.id).await?;
            }
            books += page.items.len();
            match page.next_cursor {
                Some(cursor) => query.after = Some(Cursor::decode(&cursor, query.sort)?),
                None => return Ok(books),
            }
        }
    }
}

/// An events-table record carries the whole event in `event` (its new image); a catalog record
/// only its keys, of which a book's canonical item is `BOOK#<id>`, `BOOK`.
fn source(record: &EventRecord) -> Source {
    let text = |image: &serde_dynamo::Item, name: &str| match image.get(name) {
        Some(serde_dynamo::AttributeValue::S(text)) => Some(text.clone()),
        _ => None,
    };
    if let Some(json) = text(&record.change.new_image, "event") {
        return match ShopEvent::from_message(&json) {
            Ok(event) => Source::Event(Box::new(event)),
            Err(error) => {
                tracing::error!(%error, "a stream record without a readable event; skipped");
                Source::Other
            }
        };
    }
    let (pk, sk) = (text(&record.change.keys, "pk"), text(&record.change.keys, "sk"));
    match (pk.as_deref().and_then(|pk| pk.strip_prefix("BOOK#")), sk.as_deref()) {
        (Some(id), Some("BOOK")) => id.parse().map(Source::Book).unwrap_or(Source::Other),
        _ => Source::Other,
    }
}
