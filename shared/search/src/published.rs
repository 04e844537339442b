//! The search function's view of the published index: loaded from the store on first use,
//! kept in memory, and swapped for a newer version when the pointer moves. The pointer is read
//! at most once per `check_every`, so a warm function pays one small GET per interval, not one
//! per query.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::ids::BookId;
use bookworm_domain::ports::{CatalogSearch, IndexStore};
use bookworm_domain::search::{BookCard, IndexPointer, SearchQuery, SearchResults, SimilarBook, Suggestion};
use bookworm_embed::Embedder;
use tokio::sync::Mutex;

use crate::index::CatalogIndex;

/// How often a warm search function looks for a newer index by default.
pub const DEFAULT_CHECK_EVERY: Duration = Duration::from_secs(15);

/// `SEARCH_INDEX_CHECK_SECONDS` (0–300), else [`DEFAULT_CHECK_EVERY`].
pub fn check_every_from_env() -> Result<Duration, Error> {
    match std::env::var("SEARCH_INDEX_CHECK_SECONDS") {
        Err(_) => Ok(DEFAULT_CHECK_EVERY),
        Ok(text) => {
            text.trim().parse().ok().filter(|s| *s <= 300).map(Duration::from_secs).ok_or_else(|| {
                Error::unavailable(
                    "configuration",
                    "SEARCH_INDEX_CHECK_SECONDS must be a number from 0 to 300",
                )
            })
        }
    }
}

pub struct PublishedIndex<S> {
    store: S,
    check_every: Duration,
    /// The model queries are embedded with; each loaded version must have its vectors.
    embedder: Option<Arc<Embedder>>,
    loaded: Mutex<Option<Loaded>>,
}

struct Loaded {
    index: Arc<CatalogIndex>,
    pointer: IndexPointer,
    checked: Instant,
}

impl<S: IndexStore> PublishedIndex<S> {
    pub fn new(store: S, check_every: Duration) -> Self {
        Self { store, check_every, embedder: None, loaded: Mutex::new(None) }
    }

    /// Ranks by meaning with `embedder` too (the search function always has it).
    pub fn with_embedder(mut self, embedder: Option<Arc<Embedder>>) -> Self {
        self.embedder = embedder;
        self
    }

    /// The store versions are loaded from.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The version in use, if one was loaded.
    pub async fn version(&self) -> Option<u64> {
        self.loaded.lock().await.as_ref().map(|loaded| loaded.pointer.version)
    }

    /// Loads the index now (at init), so the first query does not pay for the download.
    pub async fn warm_up(&self) -> Result<(), Error> {
        self.index().await.map(drop)
    }

    /// The current index: the loaded one while fresh, else the pointer's.
    async fn index(&self) -> Result<Arc<CatalogIndex>, Error> {
        let mut loaded = self.loaded.lock().await;
        if let Some(current) = loaded.as_ref()
            && current.checked.elapsed() < self.check_every
        {
            return Ok(current.index.clone());
        }
        let pointer = match self.store.current().await {
            Ok(pointer) => pointer,
            Err(error) => return keep_serving(&mut loaded, error, "could not read the search index pointer"),
        };
        let Some(pointer) = pointer else {
            return Err(Error::unavailable("search index", "no index has been published yet"));
        };
        if let Some(current) = loaded.as_mut()
            && current.pointer.object == pointer.object
        {
            current.checked = Instant::now();
            return Ok(current.index.clone());
        }
        let started = Instant::now();
        let opened = self.store.fetch(&pointer).await.and_then(|bundle| {
            let bytes = bundle.len();
            let index = CatalogIndex::from_bundle(&bundle)?.with_embedder(self.embedder.clone())?;
            Ok((Arc::new(index), bytes))
        });
        let (index, bytes) = match opened {
            Ok(opened) => opened,
            Err(error) => return keep_serving(&mut loaded, error, "could not load the new search index"),
        };
        tracing::info!(
            version = pointer.version,
            books = pointer.books,
            bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "search index loaded"
        );
        *loaded = Some(Loaded { index: index.clone(), pointer, checked: Instant::now() });
        Ok(index)
    }
}

/// A store hiccup must not take search down while an index is loaded: the loaded version keeps
/// serving, and the store is tried again after the next interval. With none loaded, the error.
fn keep_serving(loaded: &mut Option<Loaded>, error: Error, what: &str) -> Result<Arc<CatalogIndex>, Error> {
    match loaded.as_mut() {
        Some(current) => {
            tracing::warn!(%error, version = current.pointer.version, "{what}; serving the loaded version");
            current.checked = Instant::now();
            Ok(current.index.clone())
        }
        None => Err(error),
    }
}

#[async_trait]
impl<S: IndexStore> CatalogSearch for PublishedIndex<S> {
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, Error> {
        self.index().await?.search(query)
    }

    async fn suggest(&self, prefix: &str) -> Result<Vec<Suggestion>, Error> {
        self.index().await?.suggest(prefix)
    }

    async fn similar(&self, id: BookId, limit: usize) -> Result<Option<Vec<SimilarBook>>, Error> {
        self.index().await?.similar(id, limit)
    }

    async fn cards(&self, ids: &[BookId]) -> Result<Vec<BookCard>, Error> {
        self.index().await?.cards(ids)
    }

    fn ranks_by_meaning(&self) -> bool {
        self.embedder.is_some()
    }
}
