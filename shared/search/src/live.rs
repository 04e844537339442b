//! The local stack's search: one index in the data folder, told of every catalog write in the
//! same request (a [`CatalogObserver`] of an [`ObservedCatalog`](crate::ObservedCatalog)), so a
//! change is searchable at once.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::catalog::CatalogData;
use bookworm_domain::ids::BookId;
use bookworm_domain::ports::{CatalogSearch, CatalogStore};
use bookworm_domain::search::{BookCard, SearchQuery, SearchResults, SimilarBook, Suggestion};
use bookworm_embed::Embedder;
use tantivy::IndexWriter;

use crate::index::{CatalogIndex, Changes};
use crate::indexer::{self, CatalogChange};
use crate::observed::CatalogObserver;

pub struct LiveIndex {
    index: CatalogIndex,
    /// tantivy allows one writer per index; it is kept for the process's life.
    writer: Mutex<IndexWriter>,
    /// One reindex at a time, read and applied together: two writes to one book racing
    /// could otherwise apply the first's (older) read last.
    reindexing: tokio::sync::Mutex<()>,
}

impl LiveIndex {
    /// Opens the index in `dir`, creating it when absent. With a model, every write embeds
    /// the books it changes; an index without their vectors is started anew (to be rebuilt).
    pub fn open(dir: &Path, embedder: Option<Arc<Embedder>>) -> Result<Self, Error> {
        let index = CatalogIndex::open_or_create(dir, embedder)?;
        let writer = Mutex::new(index.writer()?);
        Ok(Self { index, writer, reindexing: tokio::sync::Mutex::new(()) })
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

/// The index follows every catalog write, read back from the catalog as it is now.
#[async_trait]
impl CatalogObserver for LiveIndex {
    async fn changed(&self, catalog: &dyn CatalogStore, change: CatalogChange) -> Result<(), Error> {
        let _one_at_a_time = self.reindexing.lock().await;
        let changes = indexer::resolve(catalog, &[change]).await?;
        self.apply(&changes)
    }

    /// One rebuild instead of a commit per book.
    async fn imported(&self, catalog: &dyn CatalogStore, _data: &CatalogData) -> Result<(), Error> {
        let _one_at_a_time = self.reindexing.lock().await;
        self.rebuild(catalog).await.map(drop)
    }
}
