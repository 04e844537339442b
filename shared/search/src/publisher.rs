//! The indexer's side of the published index: applies a batch of catalog changes to the
//! current version and publishes the result as the next one.
//!
//! A warm indexer keeps the version it last published in memory and only downloads when
//! another indexer (another stream shard) published since. Publishing is a compare-and-swap on
//! the pointer: an indexer that lost the race reloads the winner's version, reads its books
//! again and applies its batch again, so no batch is lost and no book goes back to an older
//! state.

use std::sync::Arc;
use std::time::Instant;

use bookworm_domain::Error;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::{IndexPointer, Published};
use bookworm_embed::Embedder;
use tokio::sync::Mutex;

use crate::index::{CatalogIndex, Changes};
use crate::indexer::{self, CatalogChange, CatalogReader};

/// Tries of a publish racing other indexers before the batch fails (and is retried by Lambda).
const ATTEMPTS: usize = 5;

pub struct IndexPublisher<S> {
    catalog: Arc<dyn CatalogReader>,
    store: S,
    /// The model that embeds changed books; every published version has a vector per book.
    embedder: Option<Arc<Embedder>>,
    /// The version this indexer last published or loaded.
    cache: Mutex<Option<(IndexPointer, CatalogIndex)>>,
}

impl<S: IndexStore> IndexPublisher<S> {
    pub fn new(catalog: Arc<dyn CatalogReader>, store: S) -> Self {
        Self { catalog, store, embedder: None, cache: Mutex::new(None) }
    }

    /// Embeds changed books with `embedder` (the indexer function always has it). A version
    /// without vectors (published before, or without a model) is rebuilt on the next batch.
    pub fn with_embedder(mut self, embedder: Option<Arc<Embedder>>) -> Self {
        self.embedder = embedder;
        self
    }

    /// Brings the books `changes` touch up to date in a new version; the current one when
    /// nothing in the index changes. With no index published yet, builds the whole catalog.
    ///
    /// The books are read after the pointer, on every try: a try that lost the race starts
    /// from the winner's version *and* re-reads the catalog, so it never writes a book as it
    /// was before a change the winner already published.
    pub async fn apply(&self, changes: &[CatalogChange]) -> Result<IndexPointer, Error> {
        let mut cache = self.cache.lock().await;
        for _ in 0..ATTEMPTS {
            let Some(pointer) = self.store.current().await? else {
                // Nothing to apply the batch to: build everything, which includes the batch.
                // Another shard may build the first version meanwhile; then apply on top of it.
                if let Some(built) = self.build_and_publish(None, &mut cache).await? {
                    return Ok(built);
                }
                continue;
            };
            let resolved = indexer::resolve(&*self.catalog, changes).await?;
            if resolved.is_empty() {
                return Ok(pointer);
            }
            let cached = cache.take().filter(|(cached, _)| cached.object == pointer.object);
            let index = match cached {
                Some((_, index)) => index,
                None => match self.load(&pointer).await {
                    Ok(index) => index,
                    // A version this code cannot open (another schema, a damaged object) is
                    // replaced by a rebuild rather than failing every batch into the DLQ.
                    Err(error) => {
                        tracing::warn!(%error, version = pointer.version, "cannot open the current search index; rebuilding it");
                        match self.build_and_publish(Some(&pointer), &mut cache).await? {
                            Some(built) => return Ok(built),
                            None => continue,
                        }
                    }
                },
            };
            index.apply_and_settle(&resolved, false)?;
            match self.publish(&index, Some(&pointer)).await? {
                Published::Current(next) => {
                    *cache = Some((next.clone(), index));
                    return Ok(next);
                }
                Published::Stale => tracing::info!(
                    version = pointer.version,
                    "another indexer published first; applying the batch again"
                ),
            }
        }
        Err(Error::unavailable("search index", format!("lost the publish race {ATTEMPTS} times")))
    }

    /// Builds the whole catalog into a new version: a repair, or a schema change.
    ///
    /// The pointer is read before the catalog, and the new version replaces only that one: a
    /// batch published meanwhile may hold a change this read missed, so the rebuild starts over
    /// rather than overwrite it. On a catalog written more often than a rebuild takes, pause
    /// the indexer's event source mapping while rebuilding (README, "Search").
    pub async fn rebuild(&self) -> Result<IndexPointer, Error> {
        let mut cache = self.cache.lock().await;
        for _ in 0..ATTEMPTS {
            let current = self.store.current().await?;
            if let Some(built) = self.build_and_publish(current.as_ref(), &mut cache).await? {
                return Ok(built);
            }
            tracing::info!("an indexer published during the rebuild; starting over");
        }
        Err(Error::unavailable("search index", format!("lost the publish race {ATTEMPTS} times")))
    }

    async fn load(&self, pointer: &IndexPointer) -> Result<CatalogIndex, Error> {
        CatalogIndex::from_bundle(&self.store.fetch(pointer).await?)?.with_embedder(self.embedder.clone())
    }

    /// Reads every book, builds a version and publishes it in place of `replacing`; `None`
    /// when another publisher moved the pointer first.
    async fn build_and_publish(
        &self,
        replacing: Option<&IndexPointer>,
        cache: &mut Option<(IndexPointer, CatalogIndex)>,
    ) -> Result<Option<IndexPointer>, Error> {
        let started = Instant::now();
        let cards = indexer::everything(&*self.catalog).await?;
        let read = started.elapsed();
        let index = CatalogIndex::in_memory()?.with_embedder(self.embedder.clone())?;
        index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true)?;
        match self.publish(&index, replacing).await? {
            Published::Current(next) => {
                tracing::info!(
                    version = next.version,
                    books = next.books,
                    bytes = next.bytes,
                    read_ms = read.as_millis() as u64,
                    total_ms = started.elapsed().as_millis() as u64,
                    "search index rebuilt"
                );
                *cache = Some((next.clone(), index));
                Ok(Some(next))
            }
            Published::Stale => Ok(None),
        }
    }

    async fn publish(
        &self,
        index: &CatalogIndex,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        self.store.publish(index.bundle()?, index.books(), replacing).await
    }
}
