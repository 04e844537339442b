//! A full rebuild runs the model only for new and changed books: every other book keeps the
//! vector of the version it replaces (its text hash says the text is the same). Counted in
//! model runs, with the real model, through the indexer's own publisher and a folder store.

mod model;

use std::sync::Arc;

use bookworm_domain::catalog::CatalogData;
use bookworm_domain::ids::BookId;
use bookworm_domain::ports::{BookReader, CatalogSearch, CatalogWriter, IndexStore};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{SearchFilter, SearchMode, SearchQuery};
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_search::{CatalogIndex, FolderIndexStore, IndexPublisher, PublishedIndex};

/// Six seed books (with every name they refer to): enough to tell reuse from re-embedding.
async fn small_catalog() -> Arc<EmbeddedCatalog> {
    let seed = seed::catalog().unwrap();
    let data = CatalogData { books: seed.books[..6].to_vec(), ..seed };
    let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
    catalog.import(&data).await.unwrap();
    catalog
}

fn publisher(catalog: &Arc<EmbeddedCatalog>, dir: &std::path::Path) -> IndexPublisher<FolderIndexStore> {
    IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir).unwrap())
        .with_embedder(Some(model::embedder()))
}

async fn semantic_top(dir: &std::path::Path, text: &str) -> Option<String> {
    let reader = PublishedIndex::new(FolderIndexStore::new(dir).unwrap(), std::time::Duration::ZERO)
        .with_embedder(Some(model::embedder()));
    let mut query = SearchQuery::new(text, SearchFilter::default(), PageSize::new(3).unwrap()).unwrap();
    query.mode = SearchMode::Semantic;
    reader.search(&query).await.unwrap().hits.into_iter().next().map(|hit| hit.book.name)
}

#[tokio::test]
async fn a_rebuild_embeds_only_new_or_changed_books() {
    let catalog = small_catalog().await;
    let dir = tempfile::tempdir().unwrap();
    let first = publisher(&catalog, dir.path());

    // The first build has nothing to reuse: every book runs through the model.
    let built = first.rebuild().await.unwrap();
    assert_eq!((built.books, first.books_embedded()), (6, 6));

    // The same catalog again, from the version this publisher holds in memory: no model run.
    let again = first.rebuild().await.unwrap();
    assert_eq!(again.version, built.version + 1, "a rebuild still publishes a new version");
    assert_eq!(first.books_embedded(), 6, "an unchanged catalog was embedded again");

    // A cold indexer (nothing in memory) reuses the published version's vectors the same way.
    let cold = publisher(&catalog, dir.path());
    cold.rebuild().await.unwrap();
    assert_eq!(cold.books_embedded(), 0, "a cold rebuild of an unchanged catalog ran the model");

    // One description rewritten, one book added: those two, and only those, are embedded.
    let books = catalog.list_books(&Default::default()).await.unwrap().items;
    let mut rewritten = books[2].clone();
    rewritten.description = "A sailor's memoir of whaling ships, harpoons and the cold southern seas.".into();
    catalog.put_book(&rewritten).await.unwrap();
    let mut added = books[3].clone();
    added.id = BookId::derived("a new book");
    added.name = "Orbits and Telescopes".into();
    added.description = "An astronomer maps distant galaxies with a new telescope.".into();
    catalog.put_book(&added).await.unwrap();
    let cold = publisher(&catalog, dir.path());
    let after = cold.rebuild().await.unwrap();
    assert_eq!((after.books, cold.books_embedded()), (7, 2));

    // The reused vectors are the right ones: each book is still found by its own meaning,
    // the rewritten one by its new text.
    assert_eq!(semantic_top(dir.path(), "whaling ships and harpoons").await, Some(rewritten.name.clone()));
    assert_eq!(semantic_top(dir.path(), "mapping galaxies with a telescope").await, Some(added.name));
    let bundle = std::fs::read(dir.path().join("versions").join(&after.object)).unwrap();
    let vectors = CatalogIndex::vectors_of_bundle(&bundle).unwrap();
    assert_eq!(vectors.len(), 7);
    let unchanged = &books[0];
    let text = bookworm_search::text_of(&{
        let cards = bookworm_search::indexer::everything(&*catalog).await.unwrap();
        cards.into_iter().find(|card| card.id == unchanged.id).unwrap()
    });
    let fresh = model::embedder().embed_one(&text).unwrap();
    let kept = vectors.vector(unchanged.id).unwrap();
    let cosine: f32 = fresh.iter().zip(kept).map(|(a, b)| a * b).sum();
    assert!(cosine > 0.999, "the reused vector is not the book's own: cosine {cosine}");
}

#[tokio::test]
async fn a_version_whose_vectors_cannot_be_read_is_rebuilt_by_embedding_everything() {
    let catalog = small_catalog().await;
    let dir = tempfile::tempdir().unwrap();
    let store = FolderIndexStore::new(dir.path()).unwrap();
    // A version that is not a bundle at all (damaged): nothing to reuse, nothing fails.
    store.publish(b"not an index".to_vec(), 6, None).await.unwrap();
    let publisher = publisher(&catalog, dir.path());
    let built = publisher.rebuild().await.unwrap();
    assert_eq!((built.version, built.books, publisher.books_embedded()), (2, 6, 6));
}
