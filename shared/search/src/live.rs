//! The local stack's search: one index in the data folder, updated in the same request as
//! every catalog write ([`IndexedCatalog`]), so a change is searchable at once.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, Book, CatalogData, Category, Publisher};
use bookworm_domain::ids::{AuthorId, BookId, CategoryId, PublisherId};
use bookworm_domain::ports::{BookReader, CatalogSearch, CatalogStore, CatalogWriter, LookupReader};
use bookworm_domain::query::{BookQuery, Page};
use bookworm_domain::search::{BookCard, SearchQuery, SearchResults, SimilarBook, Suggestion};
use bookworm_embed::Embedder;
use tantivy::IndexWriter;

use crate::index::{CatalogIndex, Changes};
use crate::indexer::{self, CatalogChange};

pub struct LiveIndex {
    index: CatalogIndex,
    /// tantivy allows one writer per index; it is kept for the process's life.
    writer: Mutex<IndexWriter>,
}

impl LiveIndex {
    /// Opens the index in `dir`, creating it when absent. With a model, every write embeds
    /// the books it changes; an index without their vectors is started anew (to be rebuilt).
    pub fn open(dir: &Path, embedder: Option<Arc<Embedder>>) -> Result<Self, Error> {
        let index = CatalogIndex::open_or_create(dir, embedder)?;
        let writer = Mutex::new(index.writer()?);
        Ok(Self { index, writer })
    }

    pub fn books(&self) -> u64 {
        self.index.books()
    }

    pub fn apply(&self, changes: &Changes) -> Result<(), Error> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut writer =
            self.writer.lock().map_err(|_| Error::unavailable("search index", "a writer panicked"))?;
        self.index.apply(&mut writer, changes)
    }

    /// Rebuilds the index from the catalog; returns the books indexed.
    pub async fn rebuild<C: indexer::CatalogReader + ?Sized>(&self, catalog: &C) -> Result<u64, Error> {
        let cards = indexer::everything(catalog).await?;
        let mut writer =
            self.writer.lock().map_err(|_| Error::unavailable("search index", "a writer panicked"))?;
        self.index.rebuild(&mut writer, &cards)?;
        Ok(cards.len() as u64)
    }
}

#[async_trait]
impl CatalogSearch for LiveIndex {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, Error> {
        self.index.search(query)
    }

    async fn suggest(&self, prefix: &str) -> Result<Vec<Suggestion>, Error> {
        self.index.suggest(prefix)
    }

    async fn similar(&self, id: BookId, limit: usize) -> Result<Option<Vec<SimilarBook>>, Error> {
        self.index.similar(id, limit)
    }

    async fn cards(&self, ids: &[BookId]) -> Result<Vec<BookCard>, Error> {
        self.index.cards(ids)
    }

    fn ranks_by_meaning(&self) -> bool {
        self.index.has_vectors()
    }
}

/// A catalog store whose every write also updates the live index, after the store accepted it.
pub struct IndexedCatalog {
    catalog: Arc<dyn CatalogStore>,
    index: Arc<LiveIndex>,
    /// One reindex at a time, read and applied together: two writes to one book racing
    /// could otherwise apply the first's (older) read last.
    reindexing: tokio::sync::Mutex<()>,
}

impl IndexedCatalog {
    pub fn new(catalog: Arc<dyn CatalogStore>, index: Arc<LiveIndex>) -> Self {
        Self { catalog, index, reindexing: tokio::sync::Mutex::new(()) }
    }

    async fn reindex(&self, change: CatalogChange) -> Result<(), Error> {
        let _one_at_a_time = self.reindexing.lock().await;
        let changes = indexer::resolve(&*self.catalog, &[change]).await?;
        self.index.apply(&changes)
    }
}

#[async_trait]
impl BookReader for IndexedCatalog {
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
impl LookupReader for IndexedCatalog {
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
impl CatalogWriter for IndexedCatalog {
    async fn put_author(&self, author: &Author) -> Result<(), Error> {
        self.catalog.put_author(author).await?;
        self.reindex(CatalogChange::Author(author.id)).await
    }

    async fn put_category(&self, category: &Category) -> Result<(), Error> {
        self.catalog.put_category(category).await?;
        self.reindex(CatalogChange::Category(category.id)).await
    }

    async fn put_publisher(&self, publisher: &Publisher) -> Result<(), Error> {
        self.catalog.put_publisher(publisher).await?;
        self.reindex(CatalogChange::Publisher(publisher.id)).await
    }

    async fn put_book(&self, book: &Book) -> Result<(), Error> {
        self.catalog.put_book(book).await?;
        self.reindex(CatalogChange::Book(book.id)).await
    }

    async fn delete_book(&self, id: BookId) -> Result<bool, Error> {
        let deleted = self.catalog.delete_book(id).await?;
        self.reindex(CatalogChange::Book(id)).await?;
        Ok(deleted)
    }

    async fn delete_author(&self, id: AuthorId) -> Result<bool, Error> {
        // Only an author without books may be deleted: no book changes.
        self.catalog.delete_author(id).await
    }

    async fn delete_category(&self, id: CategoryId) -> Result<bool, Error> {
        // Only a category without books may be deleted: no book changes.
        self.catalog.delete_category(id).await
    }

    async fn delete_publisher(&self, id: PublisherId) -> Result<bool, Error> {
        // Only a publisher without books may be deleted: no book changes.
        self.catalog.delete_publisher(id).await
    }

    /// The store's bulk path, then one rebuild instead of a commit per book.
    async fn import(&self, data: &CatalogData) -> Result<(), Error> {
        self.catalog.import(data).await?;
        let _one_at_a_time = self.reindexing.lock().await;
        self.index.rebuild(&*self.catalog).await.map(drop)
    }
}
