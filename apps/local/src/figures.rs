//! The stats function in the local stack: what the events and catalog tables' streams deliver
//! to it in AWS. Order events reach it from the local bus, as a stream record of the events
//! table (the same parsing as in Lambda); catalog writes through [`CountedCatalog`], which
//! counts each written book as the catalog stream's record of it would.

use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::dynamodb::Event;
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, CatalogData, Category, Publisher};
use bookworm_domain::events::ShopEvent;
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, CatalogStore, CatalogWriter, LookupReader};
use bookworm_domain::query::{BookQuery, Page};
use bookworm_embedded::{EmbeddedCoPurchases, EmbeddedFigures, EmbeddedShop};
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

/// The catalog, counting every book it writes into the figures.
pub struct CountedCatalog {
    catalog: Arc<dyn CatalogStore>,
    figures: Arc<EmbeddedFigures>,
    co_purchases: Arc<EmbeddedCoPurchases>,
    shop: Arc<EmbeddedShop>,
}

impl CountedCatalog {
    pub fn new(
        catalog: Arc<dyn CatalogStore>,
        figures: Arc<EmbeddedFigures>,
        co_purchases: Arc<EmbeddedCoPurchases>,
        shop: Arc<EmbeddedShop>,
    ) -> Self {
        Self { catalog, figures, co_purchases, shop }
    }

    /// Counts every live book when the figures have counted none yet (a new data folder, or
    /// one from before the figures).
    pub async fn count_once(&self) -> Result<(), Error> {
        if self.figures.counts_no_books().await {
            let books =
                stats(&self.figures, &self.co_purchases, &self.shop, self.catalog.as_ref()).recount().await?;
            tracing::info!(books, "counted the catalog for the figures");
        }
        Ok(())
    }

    /// The write is done; a count that fails is logged, as the stream would retry it in AWS.
    async fn count(&self, book: BookId) {
        if let Err(error) =
            stats(&self.figures, &self.co_purchases, &self.shop, self.catalog.as_ref()).book(book).await
        {
            tracing::warn!(%book, %error, "the figures missed a book change");
        }
    }
}

#[async_trait]
impl BookReader for CountedCatalog {
    async fn list_books(&self, query: &BookQuery) -> Result<Page<Book>, Error> {
        self.catalog.list_books(query).await
    }

    async fn get_book(&self, id: BookId) -> Result<Option<Book>, Error> {
        self.catalog.get_book(id).await
    }

    async fn get_books(&self, ids: &[BookId]) -> Result<Vec<Book>, Error> {
        self.catalog.get_books(ids).await
    }
}

#[async_trait]
impl LookupReader for CountedCatalog {
    async fn list_authors(&self) -> Result<Vec<Author>, Error> {
        self.catalog.list_authors().await
    }
    async fn list_categories(&self) -> Result<Vec<Category>, Error> {
        self.catalog.list_categories().await
    }
    async fn list_publishers(&self) -> Result<Vec<Publisher>, Error> {
        self.catalog.list_publishers().await
    }
    async fn get_author(&self, id: AuthorId) -> Result<Option<Author>, Error> {
        self.catalog.get_author(id).await
    }
    async fn get_category(&self, id: CategoryId) -> Result<Option<Category>, Error> {
        self.catalog.get_category(id).await
    }
    async fn get_publisher(&self, id: PublisherId) -> Result<Option<Publisher>, Error> {
        self.catalog.get_publisher(id).await
    }
}

#[async_trait]
impl CatalogWriter for CountedCatalog {
    async fn put_author(&self, author: &Author) -> Result<(), Error> {
        self.catalog.put_author(author).await
    }
    async fn put_category(&self, category: &Category) -> Result<(), Error> {
        self.catalog.put_category(category).await
    }
    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error> {
        self.catalog.put_publisher(publisher).await
    }
    async fn put_book(&self, book: &Book) -> Result<(), Error> {
        self.catalog.put_book(book).await?;
        self.count(book.id).await;
        Ok(())
    }
    async fn delete_book(&self, id: BookId) -> Result<bool, Error> {
        let deleted = self.catalog.delete_book(id).await?;
        self.count(id).await;
        Ok(deleted)
    }
    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error> {
        self.catalog.delete_author(id).await
    }
    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error> {
        self.catalog.delete_category(id).await
    }
    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error> {
        self.catalog.delete_publisher(id).await
    }
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        self.catalog.import(data).await?;
        for book in &data.books {
            self.count(book.id).await;
        }
        Ok(())
    }
}
