//! The local stack's stand-in for the catalog table's stream: a catalog store that tells its
//! observers of every write once the store has accepted it. In AWS the search indexer and the
//! stats function read the stream; locally the live index and the figures are told in the same
//! request, so a write is searchable and counted at once.

use std::sync::Arc;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, CatalogData, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, CatalogStore, CatalogWriter, LookupReader};
use bookworm_domain::query::{BookQuery, Page};

use crate::indexer::CatalogChange;

/// Something that follows the catalog's writes.
#[async_trait]
pub trait CatalogObserver: Send + Sync {
    /// `change` was written; `catalog` reads it as it is now. An error fails the write's
    /// request (the store has kept the write).
    async fn changed(&self, catalog: &dyn CatalogStore, change: CatalogChange) -> Result<(), Error>;

    /// A whole data set was imported: one notice instead of one per record.
    async fn imported(&self, catalog: &dyn CatalogStore, data: &CatalogData) -> Result<(), Error>;
}

/// A catalog store whose writes its observers are told of, in their order.
pub struct ObservedCatalog {
    catalog: Arc<dyn CatalogStore>,
    observers: Vec<Arc<dyn CatalogObserver>>,
}

impl ObservedCatalog {
    pub fn new(catalog: Arc<dyn CatalogStore>, observers: Vec<Arc<dyn CatalogObserver>>) -> Self {
        Self { catalog, observers }
    }

    async fn tell(&self, change: CatalogChange) -> Result<(), Error> {
        for observer in &self.observers {
            observer.changed(&*self.catalog, change).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl BookReader for ObservedCatalog {
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
impl LookupReader for ObservedCatalog {
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
impl CatalogWriter for ObservedCatalog {
    async fn put_author(&self, author: &Author) -> Result<(), Error> {
        self.catalog.put_author(author).await?;
        self.tell(CatalogChange::Author(author.id)).await
    }
    async fn put_category(&self, category: &Category) -> Result<(), Error> {
        self.catalog.put_category(category).await?;
        self.tell(CatalogChange::Category(category.id)).await
    }
    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error> {
        self.catalog.put_publisher(publisher).await?;
        self.tell(CatalogChange::Publisher(publisher.id)).await
    }
    async fn put_book(&self, book: &Book) -> Result<(), Error> {
        self.catalog.put_book(book).await?;
        self.tell(CatalogChange::Book(book.id)).await
    }
    async fn delete_book(&self, id: BookId) -> Result<bool, Error> {
        let deleted = self.catalog.delete_book(id).await?;
        self.tell(CatalogChange::Book(id)).await?;
        Ok(deleted)
    }
    // Only an author, category or publisher without books may be deleted: no book changes.
    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error> {
        self.catalog.delete_author(id).await
    }
    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error> {
        self.catalog.delete_category(id).await
    }
    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error> {
        self.catalog.delete_publisher(id).await
    }
    /// The store's bulk path, then one notice per observer.
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        self.catalog.import(data).await?;
        for observer in &self.observers {
            observer.imported(&*self.catalog, data).await?;
        }
        Ok(())
    }
}
