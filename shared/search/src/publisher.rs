//! The indexer's side of the published index: applies a batch of catalog changes to the
//! current version and publishes the result as the next one.
//!
//! A warm indexer keeps the version it last published in memory and only downloads when
//! another indexer (another stream shard) published since. Publishing is a compare-and-swap on
//! the pointer: an indexer that lost the race reloads the winner's version and applies its batch
//! again, so no batch is lost and none is applied to a stale copy.

use std::sync::Arc;
use std::time::Instant;

use bookworm_domain::Error;
use bookworm_domain::ports::IndexStore;
use bookworm_domain::search::{IndexPointer, Published};
use tokio::sync::Mutex;

use crate::index::{CatalogIndex, Changes};
use crate::indexer::{self, CatalogChange, CatalogReader};

/// Tries of a publish racing other indexers before the batch fails (and is retried by Lambda).
const ATTEMPTS: usize = 5;

pub struct IndexPublisher<S> {
    catalog: Arc<dyn CatalogReader>,
    store: S,
    /// The version this indexer last published or loaded.
    cache: Mutex<Option<(IndexPointer, CatalogIndex)>>,
}

impl<S: IndexStore> IndexPublisher<S> {
    pub fn new(catalog: Arc<dyn CatalogReader>, store: S) -> Self {
        Self { catalog, store, cache: Mutex::new(None) }
    }

    /// Brings the books `changes` touch up to date in a new version. With no index published
    /// yet, builds the whole catalog instead.
    pub async fn apply(&self, changes: &[CatalogChange]) -> Result<IndexPointer, Error> {
        let resolved = indexer::resolve(&*self.catalog, changes).await?;
        let mut cache = self.cache.lock().await;
        for _ in 0..ATTEMPTS {
            let Some(pointer) = self.store.current().await? else {
                // Nothing to apply the batch to: build everything, which includes the batch.
                drop(cache);
                return self.rebuild().await;
            };
            let index = match cache.take() {
                Some((cached, index)) if cached.version == pointer.version => index,
                _ => CatalogIndex::from_bundle(&self.store.fetch(&pointer).await?)?,
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

    /// Builds the whole catalog into a new version: the first index, or a repair.
    ///
    /// The pointer is read before the catalog, and the new version replaces only that one: a
    /// batch published meanwhile may hold a change this read missed, so the rebuild starts over
    /// rather than overwrite it.
    pub async fn rebuild(&self) -> Result<IndexPointer, Error> {
        let mut cache = self.cache.lock().await;
        for _ in 0..ATTEMPTS {
            let started = Instant::now();
            let current = self.store.current().await?;
            let cards = indexer::everything(&*self.catalog).await?;
            let read = started.elapsed();
            let index = CatalogIndex::in_memory()?;
            index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true)?;
            match self.publish(&index, current.as_ref()).await? {
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
                    return Ok(next);
                }
                Published::Stale => tracing::info!("an indexer published during the rebuild; starting over"),
            }
        }
        Err(Error::unavailable("search index", format!("lost the publish race {ATTEMPTS} times")))
    }

    async fn publish(
        &self,
        index: &CatalogIndex,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        self.store.publish(index.bundle()?, index.books(), replacing).await
    }
}
