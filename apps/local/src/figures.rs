//! The stats function in the local stack: what the events and catalog tables' streams deliver
//! to it in AWS. Order events reach it from the local bus, as a stream record of the events
//! table (the same parsing as in Lambda); catalog writes through [`BookCounter`], which
//! counts each written book as the catalog stream's record of it would.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use bookworm_domain::Error;
use bookworm_domain::catalog::CatalogData;
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::BookId;
use bookworm_domain::ports::{BookReader, CatalogStore};
use bookworm_embedded::{EmbeddedCoPurchases, EmbeddedFigures, EmbeddedShop};
use bookworm_search::{CatalogChange, CatalogObserver};
use stats::Stats;

/// The stats function on the local stores.
pub fn stats<'a>(
    figures: &'a EmbeddedFigures,
    co_purchases: &'a EmbeddedCoPurchases,
    shop: &'a EmbeddedShop,
    books: &'a dyn BookReader,
) -> Stats<'a> {
    Stats { figures, orders: shop, books, dedupe: shop, co_purchases }
}

/// The events table's stream record of `event` (an insert, its new image), as Lambda delivers it.
pub fn stream_batch(event: &ShopEvent) -> Result<Event, Error> {
    let json = serde_json::to_string(event).map_err(|e| Error::unavailable("encode an event", e))?;
    let record = serde_json::json!({
        "eventID": event.id.to_string(), "eventName": "INSERT", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "local",
        "dynamodb": {
            "SequenceNumber": event.sort_key(), "SizeBytes": json.len(), "StreamViewType": "NEW_IMAGE",
            "Keys": {"pk": {"S": format!("SHOP#{}", event.shop_id)}, "sk": {"S": event.sort_key()}},
            "NewImage": {"event": {"S": json}, "type": {"S": event.kind()}}
        },
        "eventSourceARN": "arn:aws:dynamodb:local:000000000000:table/events/stream/local"
    });
    serde_json::from_value(serde_json::json!({ "Records": [record] }))
        .map_err(|e| Error::unavailable("build a stream record", e))
}

/// Counts every book the catalog writes into the figures, as the catalog stream's record of it
/// would: an observer of the local stack's catalog.
pub struct BookCounter {
    figures: Arc<EmbeddedFigures>,
    co_purchases: Arc<EmbeddedCoPurchases>,
    shop: Arc<EmbeddedShop>,
}

impl BookCounter {
    pub fn new(
        figures: Arc<EmbeddedFigures>,
        co_purchases: Arc<EmbeddedCoPurchases>,
        shop: Arc<EmbeddedShop>,
    ) -> Self {
        Self { figures, co_purchases, shop }
    }

    /// Counts every live book when the figures have counted none yet (a new data folder, or
    /// one from before the figures).
    pub async fn count_once(&self, catalog: &dyn BookReader) -> Result<(), Error> {
        if self.figures.counts_no_books().await {
            let books = stats(&self.figures, &self.co_purchases, &self.shop, catalog).recount().await?;
            tracing::info!(books, "counted the catalog for the figures");
        }
        Ok(())
    }

    /// The write is done; a count that fails is logged, as the stream would retry it in AWS.
    async fn count(&self, catalog: &dyn BookReader, book: BookId) {
        if let Err(error) = stats(&self.figures, &self.co_purchases, &self.shop, catalog).book(book).await {
            tracing::warn!(%book, %error, "the figures missed a book change");
        }
    }
}

#[async_trait]
impl CatalogObserver for BookCounter {
    async fn changed(&self, catalog: &dyn CatalogStore, change: CatalogChange) -> Result<(), Error> {
        // Renamed authors, categories and publishers move no count.
        if let CatalogChange::Book(book) = change {
            self.count(catalog, book).await;
        }
        Ok(())
    }

    async fn imported(&self, catalog: &dyn CatalogStore, data: &CatalogData) -> Result<(), Error> {
        for book in &data.books {
            self.count(catalog, book.id).await;
        }
        Ok(())
    }
}
