//! Runs the indexer on every sample event in events/search-indexer/: a stream batch against a
//! published index, and the rebuild command.

use std::sync::Arc;
use std::time::Duration;

use bookworm_domain::catalog::Author;
use bookworm_domain::ids::AuthorId;
use bookworm_domain::ports::{CatalogSearch, CatalogWriter};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{SearchFilter, SearchQuery};
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_search::{FolderIndexStore, IndexPublisher, PublishedIndex};
use search_indexer::{Indexed, Invocation};

#[tokio::test]
async fn every_sample_event_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
    let data = seed::catalog().unwrap();
    catalog.import(&data).await.unwrap();
    let publisher = IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir.path()).unwrap());
    let books = data.books.len() as u64;
    let cases = test_support::sample_events("search-indexer", &["catalog-changes.json", "reindex.json"]);

    // The reindex command builds everything.
    let reindex: Invocation = serde_json::from_str(&cases[1].1).unwrap();
    let built = search_indexer::handle(&publisher, reindex).await.unwrap();
    assert_eq!(built, Indexed { version: 1, books, changes: 0 });

    // The batch renames Austen (her item and a book of hers changed): the listing copy is
    // ignored and the repeated book counted once.
    let austen = AuthorId::derived("Jane Austen");
    catalog.put_author(&Author { id: austen, name: "Jane Austen (1775–1817)".into() }).await.unwrap();
    let batch: Invocation = serde_json::from_str(&cases[0].1).unwrap();
    let indexed = search_indexer::handle(&publisher, batch).await.unwrap();
    assert_eq!(indexed, Indexed { version: 2, books, changes: 2 });

    let reader = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    let filter = SearchFilter { author: Some(austen), ..SearchFilter::default() };
    let hits =
        reader.search(&SearchQuery::new("austen", filter, PageSize::default()).unwrap()).await.unwrap().hits;
    assert_eq!(hits.len(), 6);
    assert!(
        hits.iter().all(|h| h.book.authors[0].name == "Jane Austen (1775–1817)"),
        "every Austen book has the new name"
    );
}

#[test]
fn an_unknown_command_is_refused() {
    assert!(serde_json::from_str::<Invocation>(r#"{"action": "drop_everything"}"#).is_err());
}
