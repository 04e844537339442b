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
    CatalogChange, FolderIndexStore, IndexPublisher, LiveIndex, ObservedCatalog, PublishedIndex,
};

fn query(text: &str) -> SearchQuery {
    SearchQuery::new(text, SearchFilter::default(), PageSize::new(10).unwrap()).unwrap()
}

async fn titles(search: &dyn CatalogSearch, text: &str) -> Vec<String> {
    search.search(&query(text)).await.unwrap().hits.into_iter().map(|h| h.book.name).collect()
}

/// The best hit's title: what a search serves, whatever description matches rank after it
/// (`emma` also finds Madame Bovary, whose heroine is Emma).
async fn top(search: &dyn CatalogSearch, text: &str) -> Option<String> {
    titles(search, text).await.into_iter().next()
}

/// How many of `author`'s books `text` finds: a fuzzy word may also match some description
/// (`leigh` is one letter from `weigh`), so only the author's books are counted.
async fn found_by(search: &dyn CatalogSearch, text: &str, author: AuthorId) -> u64 {
    let filter = SearchFilter { author: Some(author), ..SearchFilter::default() };
    search.search(&SearchQuery::new(text, filter, PageSize::default()).unwrap()).await.unwrap().total
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
    let index = Arc::new(LiveIndex::open(dir.path(), None).unwrap());
    let catalog = ObservedCatalog::new(
        Arc::new(EmbeddedCatalog::in_memory().unwrap()) as Arc<dyn CatalogStore>,
        vec![index.clone()],
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

    assert_eq!(found_by(&*index, "leigh", austen).await, 0, "no book of hers says leigh yet");
    catalog.put_author(&Author { id: austen, name: "Jane Austen-Leigh".into() }).await.unwrap();
    assert_eq!(found_by(&*index, "leigh", austen).await, 7, "a rename reaches every book of the author");

    catalog.delete_book(book.id).await.unwrap();
    assert!(!titles(&*index, "lady susan").await.contains(&"Lady Susan".to_owned()), "deleted");

    drop(catalog);
    drop(index);
    let reopened = LiveIndex::open(dir.path(), None).unwrap();
    assert_eq!(found_by(&reopened, "leigh", austen).await, 6, "the index survives a restart");
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
    assert_eq!(top(&reader, "emma").await.as_deref(), Some("Emma"));

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
    // One read finding nothing, one loading the first version; none since, within the hour.
    assert_eq!(
        reader.store().reads.load(Ordering::SeqCst),
        2,
        "the pointer is read at most once an interval"
    );

    let fresh = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    assert_eq!(titles(&fresh, "susan").await, ["Lady Susan"], "a reader due to check sees it");
    catalog.delete_book(book.id).await.unwrap();
    publisher.apply(&[CatalogChange::Book(book.id)]).await.unwrap();
    assert!(titles(&fresh, "susan").await.is_empty(), "a deletion is published too");
    assert_eq!(fresh.version().await, Some(second.version + 1));
}

/// A store that, on its first publish, first lets something else happen (another indexer
/// publishing a newer change): the race the compare-and-swap exists for.
struct Interfering<S> {
    inner: S,
    meanwhile: tokio::sync::Mutex<Option<futures::future::BoxFuture<'static, ()>>>,
}

#[async_trait]
impl<S: IndexStore> IndexStore for Interfering<S> {
    async fn current(&self) -> Result<Option<IndexPointer>, Error> {
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
        if let Some(meanwhile) = self.meanwhile.lock().await.take() {
            meanwhile.await;
        }
        self.inner.publish(bundle, books, replacing).await
    }
}

#[tokio::test]
async fn an_indexer_that_loses_the_race_neither_drops_its_batch_nor_undoes_the_winners() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = seeded_catalog().await;
    let winner = Arc::new(IndexPublisher::new(catalog.clone(), FolderIndexStore::new(dir.path()).unwrap()));
    winner.rebuild().await.unwrap();

    // The loser's batch: a new book, and Emma as it was when the batch was read.
    let susan = draft("Lady Susan", AuthorId::derived("Jane Austen"))
        .validate(BookId::derived("Lady Susan"))
        .unwrap();
    catalog.put_book(&susan).await.unwrap();
    let emma = catalog.get_book(BookId::derived("Emma")).await.unwrap().unwrap();
    // Meanwhile Emma is renamed and the winner publishes that first.
    let (renamed_catalog, renaming) = (catalog.clone(), winner.clone());
    let renamed = bookworm_domain::catalog::Book { name: "Emma: A Novel".into(), ..emma.clone() };
    let meanwhile = async move {
        renamed_catalog.put_book(&renamed).await.unwrap();
        renaming.apply(&[CatalogChange::Book(renamed.id)]).await.unwrap();
    };
    let loser = IndexPublisher::new(
        catalog.clone(),
        Interfering {
            inner: FolderIndexStore::new(dir.path()).unwrap(),
            meanwhile: tokio::sync::Mutex::new(Some(Box::pin(meanwhile))),
        },
    );
    loser.apply(&[CatalogChange::Book(susan.id), CatalogChange::Book(emma.id)]).await.unwrap();

    let reader = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    assert_eq!(titles(&reader, "lady susan").await[0], "Lady Susan", "the loser's batch is in");
    assert_eq!(titles(&reader, "emma novel").await[0], "Emma: A Novel", "the winner's rename was not undone");
    assert_eq!(reader.version().await, Some(3));
}

#[tokio::test]
async fn a_batch_that_changes_nothing_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = IndexPublisher::new(seeded_catalog().await, FolderIndexStore::new(dir.path()).unwrap());
    let first = publisher.rebuild().await.unwrap();
    assert_eq!(publisher.apply(&[]).await.unwrap(), first, "no new version for warm readers to download");
}

#[tokio::test]
async fn a_version_that_cannot_be_opened_leaves_the_loaded_one_serving() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = IndexPublisher::new(seeded_catalog().await, FolderIndexStore::new(dir.path()).unwrap());
    let good = publisher.rebuild().await.unwrap();
    let reader = PublishedIndex::new(FolderIndexStore::new(dir.path()).unwrap(), Duration::ZERO);
    assert_eq!(top(&reader, "emma").await.as_deref(), Some("Emma"));

    let store = FolderIndexStore::new(dir.path()).unwrap();
    let Published::Current(_) = store.publish(b"not an index".to_vec(), 1, Some(&good)).await.unwrap() else {
        panic!("no one else publishes")
    };
    assert_eq!(
        top(&reader, "emma").await.as_deref(),
        Some("Emma"),
        "still answering, from the version it had"
    );
    assert_eq!(reader.version().await, Some(good.version));

    // The indexer meets the damaged version too, and repairs it with a rebuild.
    let repaired = publisher.apply(&[CatalogChange::Book(BookId::derived("Emma"))]).await.unwrap();
    assert_eq!(repaired.version, good.version + 2);
    assert_eq!(top(&reader, "emma").await.as_deref(), Some("Emma"));
    assert_eq!(reader.version().await, Some(repaired.version), "and the reader moves on to the repair");
}
