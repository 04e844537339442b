//! How changes reach searches: the local stack's live index at once, the published index by
//! versions through a store, with racing indexers and a reader that checks at most every N s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::catalog::{Author, BookDraft, BookStatus};
use bookworm_domain::ids::{AuthorId, BookId};
use bookworm_domain::ports::{BookReader, CatalogSearch, CatalogStore, CatalogWriter, IndexStore};
use bookworm_domain::query::PageSize;
use bookworm_domain::search::{IndexPointer, Published, SearchFilter, SearchQuery};
use bookworm_embedded::{EmbeddedCatalog, seed};
use bookworm_search::{
    CatalogChange, FolderIndexStore, IndexPublisher, IndexedCatalog, LiveIndex, PublishedIndex,
};

fn query(text: &str) -> SearchQuery {
    SearchQuery::new(text, SearchFilter::default(), PageSize::new(10).unwrap()).unwrap()
}

async fn titles(search: &dyn CatalogSearch, text: &str) -> Vec<String> {
    search.search(&query(text)).await.unwrap().hits.into_iter().map(|h| h.book.name).collect()
}

async fn seeded_catalog() -> Arc<EmbeddedCatalog> {
    let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    catalog
}

fn draft(name: &str, author: AuthorId) -> BookDraft {
    let data = seed::catalog().unwrap();
    BookDraft {
        name: name.into(),
        description: String::new(),
        price: "9.99".parse().unwrap(),
        sale_price: None,
        status: BookStatus::InStock,
        author_ids: vec![author],
        category_id: data.categories[0].id,
        publisher_id: data.publishers[0].id,
    }
}

#[tokio::test]
async fn the_live_index_sees_every_catalog_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = Arc::new(LiveIndex::open(dir.path()).unwrap());
    let catalog = IndexedCatalog::new(
        Arc::new(EmbeddedCatalog::in_memory().unwrap()) as Arc<dyn CatalogStore>,
        index.clone(),
    );
    catalog.import(&seed::catalog().unwrap()).await.unwrap();
    assert_eq!(index.books(), seed::catalog().unwrap().books.len() as u64, "an import indexes everything");

    let austen = AuthorId::derived("Jane Austen");
    let book = draft("Lady Susan", austen).validate(BookId::derived("Lady Susan")).unwrap();
    catalog.put_book(&book).await.unwrap();
    assert_eq!(titles(&*index, "lady susan").await, ["Lady Susan"], "created");

    let mut sale = book.clone();
    sale.status = BookStatus::OutOfStock;
    catalog.put_book(&sale).await.unwrap();
    let filter = SearchFilter { in_stock: Some(false), ..SearchFilter::default() };
    let out = index.search(&SearchQuery::new("susan", filter, PageSize::default()).unwrap()).await.unwrap();
    assert_eq!(out.total, 1, "stock changes are searchable");

    catalog.put_author(&Author { id: austen, name: "Jane Austen-Leigh".into() }).await.unwrap();
    let renamed = titles(&*index, "leigh").await;
    assert_eq!(renamed.len(), 7, "a rename reaches every book of the author: {renamed:?}");

    catalog.delete_book(book.id).await.unwrap();
    assert!(!titles(&*index, "lady susan").await.contains(&"Lady Susan".to_owned()), "deleted");

    drop(catalog);
    drop(index);
    let reopened = LiveIndex::open(dir.path()).unwrap();
    assert_eq!(titles(&reopened, "leigh").await.len(), 6, "the index survives a restart");
}

/// A store that counts pointer reads, to see how often a reader looks.
struct Counting<S> {
    inner: S,
    reads: AtomicUsize,
}

#[async_trait]
impl<S: IndexStore> IndexStore for Counting<S> {
    async fn current(&self) -> Result<Option<IndexPointer>, Error> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.current().await
    }
    async fn fetch(&self, pointer: &IndexPointer) -> Result<Vec<u8>, Error> {
        self.inner.fetch(pointer).await
    }
    async fn publish(
        &self,
        bundle: Vec<u8>,
        books: u64,
        replacing: Option<&IndexPointer>,
    ) -> Result<Published, Error> {
        self.inner.publish(bundle, books, replacing).await
    }
}

#[tokio::test]
async fn a_published_change_reaches_a_reader_on_its_next_check_and_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = seeded_catalog().await;
    let publisher = IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir.path()).unwrap());
    let reader = PublishedIndex::new(
        Counting { inner: FolderIndexStore::new(dir.path()).unwrap(), reads: AtomicUsize::new(0) },
        Duration::from_secs(3600),
    );
    assert!(reader.search(&query("emma")).await.is_err(), "nothing published yet: unavailable, not empty");

    // The first batch finds no index and builds the whole catalog.
    let first = publisher.apply(&[CatalogChange::Book(BookId::derived("Emma"))]).await.unwrap();
    assert_eq!(first.books, seed::catalog().unwrap().books.len() as u64);
    assert_eq!(titles(&reader, "emma").await, ["Emma"]);

    let book = draft("Lady Susan", AuthorId::derived("Jane Austen"))
        .validate(BookId::derived("Lady Susan"))
        .unwrap();
    catalog.put_book(&book).await.unwrap();
    let second = publisher.apply(&[CatalogChange::Book(book.id)]).await.unwrap();
    assert_eq!(second.version, first.version + 1);
    assert!(
        titles(&reader, "susan").await.is_empty(),
        "checked less than an hour ago: still the old version"
    );

    let fresh = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    assert_eq!(titles(&fresh, "susan").await, ["Lady Susan"], "a reader due to check sees it");
    catalog.delete_book(book.id).await.unwrap();
    publisher.apply(&[CatalogChange::Book(book.id)]).await.unwrap();
    assert!(titles(&fresh, "susan").await.is_empty(), "a deletion is published too");
    assert_eq!(fresh.version().await, Some(second.version + 1));
}

#[tokio::test]
async fn racing_indexers_lose_no_batch() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = seeded_catalog().await;
    let a = IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir.path()).unwrap());
    let b = IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir.path()).unwrap());
    a.rebuild().await.unwrap();
    b.apply(&[]).await.unwrap(); // b now holds the current version in memory

    let one = draft("Lady Susan", AuthorId::derived("Jane Austen"))
        .validate(BookId::derived("Lady Susan"))
        .unwrap();
    let two = draft("The Watsons", AuthorId::derived("Jane Austen"))
        .validate(BookId::derived("The Watsons"))
        .unwrap();
    catalog.put_book(&one).await.unwrap();
    catalog.put_book(&two).await.unwrap();
    // a publishes first; b's cached copy is now stale and must not overwrite a's book.
    a.apply(&[CatalogChange::Book(one.id)]).await.unwrap();
    b.apply(&[CatalogChange::Book(two.id)]).await.unwrap();

    let reader = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    assert_eq!(titles(&reader, "susan").await, ["Lady Susan"], "a's batch survived b's publish");
    assert_eq!(titles(&reader, "watsons").await, ["The Watsons"]);
    assert!(catalog.get_book(one.id).await.unwrap().is_some());
}
