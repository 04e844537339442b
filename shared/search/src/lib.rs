//! Catalog search on [tantivy]: BM25 ranking with field boosts, typo tolerance, prefix matching
//! on the last word, filters, facets, highlights and suggestions.
//!
//! - [`CatalogIndex`]: one index, on disk or in memory, and its bundle (a tar of its files);
//! - [`indexer`]: catalog changes to index changes, read from the catalog as it is now;
//! - [`LiveIndex`]: the local stack's index, a [`CatalogObserver`] of an [`ObservedCatalog`],
//!   so it is updated with every write;
//! - [`IndexPublisher`]: the indexer function's side, versions published to an
//!   [`IndexStore`](bookworm_domain::ports::IndexStore) by compare-and-swap;
//! - [`PublishedIndex`]: the search function's side, the current version loaded and refreshed;
//! - [`FolderIndexStore`]: the store in a local folder (S3's is `bookworm-s3`).

mod engine;
mod folder;
mod index;
pub mod indexer;
mod live;
mod matcher;
mod observed;
mod published;
mod publisher;
mod schema;
mod semantic;
mod vectors;

pub use folder::FolderIndexStore;
pub use index::{CatalogIndex, Changes};
pub use indexer::CatalogChange;
pub use live::LiveIndex;
pub use observed::{CatalogObserver, ObservedCatalog};
pub use published::{DEFAULT_CHECK_EVERY, PublishedIndex, check_every_from_env};
pub use publisher::IndexPublisher;
pub use semantic::{SIMILARITY_FLOOR, embedder_from_env};
pub use vectors::{Facts, NewRow, VECTORS_FILE, Vectors, text_hash, text_of};
