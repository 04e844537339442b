//! The real model and the seed catalog indexed with it, once per test binary.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bookworm_embed::Embedder;
use bookworm_embedded::seed;
use bookworm_search::{CatalogIndex, Changes, indexer};

/// The model `scripts/model` fetched (`BOOKWORM_MODEL_DIR`, else the repository's `.model/`).
pub fn embedder() -> Arc<Embedder> {
    static EMBEDDER: OnceLock<Arc<Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let folder = std::env::var("BOOKWORM_MODEL_DIR").map(PathBuf::from).unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.model/all-MiniLM-L6-v2")
            });
            let embedder = Embedder::load(&folder)
                .unwrap_or_else(|e| panic!("{e} (run scripts/model to fetch the model)"));
            Arc::new(embedder)
        })
        .clone()
}

/// The seed catalog (202 books) in an index with its vectors.
#[allow(dead_code)] // each test binary that includes this module uses what it needs
pub fn seeded() -> &'static CatalogIndex {
    static INDEX: OnceLock<CatalogIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = CatalogIndex::in_memory().unwrap().with_embedder(Some(embedder())).unwrap();
        let cards = indexer::cards(&seed::catalog().unwrap());
        let started = std::time::Instant::now();
        index.apply_and_settle(&Changes { upserts: cards, deletes: Vec::new() }, true).unwrap();
        eprintln!("indexed and embedded the seed catalog in {:.2} s", started.elapsed().as_secs_f64());
        index
    })
}
