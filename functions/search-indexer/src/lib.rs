//! The search indexer. Fed by the catalog table's stream, it turns each batch of changed items
//! into one new index version (one commit, one upload), published by compare-and-swap.
//!
//! - a book's canonical item (`pk = BOOK#<id>`, `sk = BOOK`): that book, as it is now;
//! - an author, category or publisher item: every book that names it (a rename);
//! - listing copies are ignored: the canonical item changes with them.
//!
//! Invoked directly with `{"action": "reindex"}` it rebuilds the whole index: the repair
//! command (`aws lambda invoke`, see the README). A failed batch fails whole, so Lambda retries
//! it (halving it on repeated failure) and sends what still fails to the dead-letter queue.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use bookworm_domain::Error;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::IndexPointer;
use bookworm_search::{CatalogChange, IndexPublisher};
use serde::{Deserialize, Serialize};

/// What the function is invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Invocation {
    /// A batch from the catalog table's stream.
    Stream(Event),
    /// A direct invocation.
    Command(Command),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Reindex,
}

/// What the function answers: the version now current.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Indexed {
    pub version: u64,
    pub books: u64,
    pub changes: usize,
}

impl Indexed {
    fn new(pointer: &IndexPointer, changes: usize) -> Self {
        Self { version: pointer.version, books: pointer.books, changes }
    }
}

pub async fn handle<S: IndexStore>(
    publisher: &IndexPublisher<S>,
    invocation: Invocation,
) -> Result<Indexed, Error> {
    match invocation {
        Invocation::Command(Command::Reindex) => Ok(Indexed::new(&publisher.rebuild().await?, 0)),
        Invocation::Stream(batch) => {
            let mut changes: Vec<CatalogChange> = batch.records.iter().filter_map(change).collect();
            changes.sort_unstable();
            changes.dedup();
            let pointer = publisher.apply(&changes).await?;
            tracing::info!(
                records = batch.records.len(),
                changes = changes.len(),
                version = pointer.version,
                "indexed"
            );
            Ok(Indexed::new(&pointer, changes.len()))
        }
    }
}

/// What a stream record says changed, from its keys (present on every kind of record).
fn change(record: &EventRecord) -> Option<CatalogChange> {
    let key = |name: &str| match record.change.keys.get(name) {
        Some(serde_dynamo::AttributeValue::S(text)) => Some(text.as_str()),
        _ => None,
    };
    let (pk, sk) = (key("pk")?, key("sk")?);
    let change = match (pk, sk) {
        (_, "BOOK") => pk.strip_prefix("BOOK#")?.parse().ok().map(CatalogChange::Book),
        ("AUTHORS", id) => id.parse().ok().map(CatalogChange::Author),
        ("CATEGORIES", id) => id.parse().ok().map(CatalogChange::Category),
        ("PUBLISHERS", id) => id.parse().ok().map(CatalogChange::Publisher),
        _ => None,
    };
    if change.is_none() {
        tracing::debug!(pk, sk, "not an item search indexes");
    }
    change
}
