//! Ports: one narrow trait per capability. Each has an AWS adapter and an embedded adapter,
//! and both pass the same contract suite (`contract` module, feature `contract-tests`).

use async_trait::async_trait;

use crate::Error;
use crate::catalog::{Author, Book, CatalogData, Category, Publisher};
use crate::ids::{AuthorId, BookId, CategoryId, PublisherId};
use crate::query::{BookQuery, Page};

/// Reads books: what the shopper-facing catalog functions need.
#[async_trait]
pub trait BookReader: Send + Sync {
    /// One page of books matching the query, in its order, resuming after its cursor.
    async fn list_books(&self, query: &BookQuery) -> Result<Page<Book>, Error>;

    async fn get_book(&self, id: BookId) -> Result<Option<Book>, Error>;
}

/// Reads the catalog's reference lists, each ordered by name, and single entries by id.
#[async_trait]
pub trait LookupReader: Send + Sync {
    async fn list_authors(&self) -> Result<Vec<Author>, Error>;
    async fn list_categories(&self) -> Result<Vec<Category>, Error>;
    async fn list_publishers(&self) -> Result<Vec<Publisher>, Error>;
    async fn get_author(&self, id: AuthorId) -> Result<Option<Author>, Error>;
    async fn get_category(&self, id: CategoryId) -> Result<Option<Category>, Error>;
    async fn get_publisher(&self, id: PublisherId) -> Result<Option<Publisher>, Error>;
}

/// Writes the catalog: seeding now, administration later. Every write is an upsert by id.
#[async_trait]
pub trait CatalogWriter: Send + Sync {
    async fn put_author(&self, author: &Author) -> Result<(), Error>;
    async fn put_category(&self, category: &Category) -> Result<(), Error>;
    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error>;
    async fn put_book(&self, book: &Book) -> Result<(), Error>;

    /// Soft-deletes a book: it leaves every list and reads as absent, but its record is kept.
    /// `false` when there was no such (live) book.
    async fn delete_book(&self, id: BookId) -> Result<bool, Error>;

    /// Removes an author; `false` when there was none. Callers check for books first.
    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error>;

    /// Loads a whole data set; adapters may override this with a faster bulk path.
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        for author in &data.authors {
            self.put_author(author).await?;
        }
        for category in &data.categories {
            self.put_category(category).await?;
        }
        for publisher in &data.publishers {
            self.put_publisher(publisher).await?;
        }
        for book in &data.books {
            self.put_book(book).await?;
        }
        Ok(())
    }
}

/// Everything the catalog functions need from one store.
pub trait CatalogStore: BookReader + LookupReader + CatalogWriter {}
impl<T: BookReader + LookupReader + CatalogWriter> CatalogStore for T {}
