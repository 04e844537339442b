//! The indexer's side of the published index: applies a batch of catalog changes to the
//! current version and publishes the result as the next one.
//!
//! A warm indexer keeps the version it last published in memory and only downloads when
//! another indexer (another stream shard) published since. Publishing is a compare-and-swap on
//! the pointer: an indexer that lost the race reloads the winner's version, reads its books
//! again and applies its batch again, so no batch is lost and no book goes back to an older
//! state.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bookworm_domain::Error;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::{IndexPointer, Published};
use bookworm_embed::Embedder;
use tokio::sync::Mutex;

use crate::index::CatalogIndex;
use crate::indexer::{self, CatalogChange, CatalogReader};
use crate::vectors::Vectors;

/// Tries of a publish racing other indexers before the batch fails (and is retried by Lambda).
const ATTEMPTS: usize = 5;

pub struct IndexPublisher<S> {
    catalog: Arc<dyn CatalogReader>,
    store: S,
    /// The model that embeds changed books; every published version has a vector per book.
    embedder: Option<Arc<Embedder>>,
    /// The version this indexer last published or loaded.
    cache: Mutex<Option<(IndexPointer, CatalogIndex)>>,
    /// Books run through the model by this publisher (the rest reused a vector).
    embedded: AtomicU64,
}

impl<S: IndexStore> IndexPublisher<S> {
    pub fn new(catalog: Arc<dyn CatalogReader>, store: S) -> Self {
        Self { catalog, store, embedder: None, cache: Mutex::new(None), embedded: AtomicU64::new(0) }
    }

    /// Embeds changed books with `embedder` (the indexer function always has it). A version
    /// without vectors (published before, or without a model) is rebuilt on the next batch.
    pub fn with_embedder(mut self, embedder: Option<Arc<Embedder>>) -> Self {
        self.embedder = embedder;
        self
    }

    /// Books this publisher ran through the model, over every batch and rebuild: a book whose
    /// embedded text did not change reuses its vector and is not counted.
    pub fn books_embedded(&self) -> u64 {
        self.embedded.load(Ordering::Relaxed)
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
            let before = index.books_embedded();
            index.apply_and_settle(&resolved, false)?;
            self.embedded.fetch_add(index.books_embedded() - before, Ordering::Relaxed);
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
    /// when another publisher moved the pointer first. Every book whose embedded text is the
    /// same as in `replacing` keeps its vector from there (the text hash says so): only new and
    /// changed books run through the model, so rebuilding a large catalog fits an invocation.
    async fn build_and_publish(
        &self,
        replacing: Option<&IndexPointer>,
        cache: &mut Option<(IndexPointer, CatalogIndex)>,
    ) -> Result<Option<IndexPointer>, Error> {
        let started = Instant::now();
        let cards = indexer::everything(&*self.catalog).await?;
        let read = started.elapsed();
        let index = CatalogIndex::in_memory()?.with_embedder(self.embedder.clone())?;
        let cached =
            cache.as_ref().filter(|(cached, _)| replacing.is_some_and(|r| r.object == cached.object));
        match cached {
            // The version in memory is the one replaced: its vectors, without a download.
            Some((_, cached)) => {
                let vectors = cached.vectors()?;
                index.rebuild_reusing(cards, &vectors)?;
            }
            None => index.rebuild_reusing(cards, &self.donor(replacing).await)?,
        }
        let embedded = index.books_embedded();
        self.embedded.fetch_add(embedded, Ordering::Relaxed);
        match self.publish(&index, replacing).await? {
            Published::Current(next) => {
                tracing::info!(
                    version = next.version,
                    books = next.books,
                    embedded,
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

    /// The vectors of `replacing`, for a rebuild to reuse. Without a model there is nothing to
    /// reuse; a version whose vectors cannot be read (damaged, another format) gives none, and
    /// every book is embedded.
    async fn donor(&self, replacing: Option<&IndexPointer>) -> Vectors {
        let Some(pointer) = replacing.filter(|_| self.embedder.is_some()) else { return Vectors::default() };
        let vectors = async { CatalogIndex::vectors_of_bundle(&self.store.fetch(pointer).await?) }.await;
        vectors.unwrap_or_else(|error| {
            tracing::warn!(%error, version = pointer.version, "cannot reuse the current version's vectors; embedding every book");
            Vectors::default()
        })
    }

    async fn publish(
        &self,
        index: &CatalogIndex,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        self.store.publish(index.bundle()?, index.books(), replacing).await
    }
}
