//! The embedded review store: reviews, marks and daily quotas in the shop's redb file, written
//! in the same redb transaction as their event; each book's rating counts rebuilt from the
//! visible reviews at start and kept in memory after.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use bookworm_domain::Error;
use bookworm_domain::events::EventCursor;
use bookworm_domain::ids::{BookId, ReviewId, UserId};
use bookworm_domain::orders::OrderStatus;
use bookworm_domain::ports::ReviewWrite;
use bookworm_domain::ports::{BookReader, Purchases, RatingReader, ReviewStore, ReviewedBooks};
use bookworm_domain::query::Page;
use bookworm_domain::reviews::{
    DailyQuota, Mark, Ratings, ReportedQuery, Review, ReviewCursor, ReviewQuery, Saved,
};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{Mutex, MutexGuard};

use crate::EmbeddedShop;
use crate::shop::Change;

/// Key: the review id's 16 bytes. Value: the review as JSON.
const REVIEWS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("reviews");
/// Key: [`mark_key`]. Value: empty.
const MARKS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("review_marks");
/// Key: [`quota_key`]. Value: the count, as JSON.
const QUOTAS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("review_quotas");

#[derive(Default)]
struct State {
    reviews: HashMap<ReviewId, Review>,
    by_reviewer: HashMap<(BookId, UserId), ReviewId>,
    ratings: HashMap<BookId, Ratings>,
    marks: HashSet<Vec<u8>>,
    /// (book, reviewer) pairs barred from reviewing again; persisted in `MARKS`.
    barred: HashSet<(BookId, UserId)>,
    quotas: HashMap<Vec<u8>, u32>,
}

pub struct EmbeddedReviews {
    shop: Arc<EmbeddedShop>,
    /// Whether a book is live, for new reviews.
    books: Arc<dyn BookReader>,
    /// Held for each check-and-write, which makes the checks and their writes atomic.
    state: Mutex<State>,
}

fn mark_key(mark: &Mark) -> Vec<u8> {
    match mark {
        Mark::Helpful { review, account } => format!("helpful\0{review}\0{account}"),
        Mark::Report { review, account, .. } => format!("report\0{review}\0{account}"),
    }
    .into_bytes()
}

fn barred_key(book: BookId, reviewer: &UserId) -> Vec<u8> {
    format!("barred\0{book}\0{reviewer}").into_bytes()
}

fn quota_key(quota: &DailyQuota) -> Vec<u8> {
    format!("{}\0{}", quota.day, quota.account).into_bytes()
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::unavailable("encode a review record", e))
}

impl EmbeddedReviews {
    /// The review store in `shop`'s file, checking books in `books`.
    pub fn open(shop: Arc<EmbeddedShop>, books: Arc<dyn BookReader>) -> Result<Self, Error> {
        let fail = |e: redb::Error| Error::unavailable("read the review tables", e);
        let txn = shop.db.begin_write().map_err(|e| fail(e.into()))?;
        for table in [REVIEWS, MARKS, QUOTAS] {
            txn.open_table(table).map_err(|e| fail(e.into()))?;
        }
        txn.commit().map_err(|e| fail(e.into()))?;
        let mut state = State::default();
        let txn = shop.db.begin_read().map_err(|e| fail(e.into()))?;
        for row in txn.open_table(REVIEWS).map_err(|e| fail(e.into()))?.iter().map_err(|e| fail(e.into()))? {
            let (_, value) = row.map_err(|e| fail(e.into()))?;
            let review: Review = serde_json::from_slice(value.value())
                .map_err(|e| Error::unavailable("decode a stored review", e))?;
            state.add(review);
        }
        for row in txn.open_table(MARKS).map_err(|e| fail(e.into()))?.iter().map_err(|e| fail(e.into()))? {
            let (key, _) = row.map_err(|e| fail(e.into()))?;
            let key = key.value().to_vec();
            if let Some(barred) = key.strip_prefix(b"barred\0") {
                let text = String::from_utf8_lossy(barred);
                if let Some((book, reviewer)) = text.split_once('\0')
                    && let Ok(book) = book.parse()
                    && let Ok(reviewer) = UserId::new(reviewer)
                {
                    state.barred.insert((book, reviewer));
                }
            }
            state.marks.insert(key);
        }
        // Quotas of days before yesterday count for nothing now: dropped, as DynamoDB's TTL does.
        let yesterday = DailyQuota::oldest_kept_day();
        let mut expired = Vec::new();
        for row in txn.open_table(QUOTAS).map_err(|e| fail(e.into()))?.iter().map_err(|e| fail(e.into()))? {
            let (key, value) = row.map_err(|e| fail(e.into()))?;
            let key = key.value().to_vec();
            if key.split(|b| *b == 0).next().is_some_and(|day| day < yesterday.as_bytes()) {
                expired.push(key);
                continue;
            }
            let count = serde_json::from_slice(value.value()).unwrap_or(u32::MAX);
            state.quotas.insert(key, count);
        }
        drop(txn);
        if !expired.is_empty() {
            // Before any request: straight to the file, not through the writer's queue.
            let txn = shop.db.begin_write().map_err(|e| fail(e.into()))?;
            {
                let mut quotas = txn.open_table(QUOTAS).map_err(|e| fail(e.into()))?;
                for key in &expired {
                    quotas.remove(key.as_slice()).map_err(|e| fail(e.into()))?;
                }
            }
            txn.commit().map_err(|e| fail(e.into()))?;
        }
        Ok(Self { shop, books, state: Mutex::new(state) })
    }

    /// Held across each check and its write's durable commit, which makes them atomic.
    async fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().await
    }
}

impl State {
    fn add(&mut self, review: Review) {
        let ratings = self.ratings.entry(review.book_id).or_default();
        *ratings = ratings.apply(Ratings::delta(None, Some(&review)));
        self.by_reviewer.insert((review.book_id, review.reviewer_id.clone()), review.id);
        self.reviews.insert(review.id, review);
    }

    fn remove(&mut self, review: &Review) {
        let ratings = self.ratings.entry(review.book_id).or_default();
        *ratings = ratings.apply(Ratings::delta(Some(review), None));
        self.by_reviewer.remove(&(review.book_id, review.reviewer_id.clone()));
        self.reviews.remove(&review.id);
    }

    /// Why `change` cannot be written now, if it cannot.
    fn refusal(&self, change: &ReviewWrite<'_>) -> Option<Saved> {
        let stored = change.after.or(change.before).and_then(|review| self.reviews.get(&review.id));
        let current = match change.before {
            None => {
                let after = change.after?;
                let pair = (after.book_id, after.reviewer_id.clone());
                let taken = self.by_reviewer.contains_key(&pair) || self.barred.contains(&pair);
                stored.is_none() && !taken
            }
            Some(before) => stored.is_some_and(|stored| stored.revision == before.revision),
        };
        if !current {
            return Some(Saved::Stale);
        }
        if change.mark.is_some_and(|mark| self.marks.contains(&mark_key(mark))) {
            return Some(Saved::AlreadyMarked);
        }
        let used = |quota: &DailyQuota| self.quotas.get(&quota_key(quota)).copied().unwrap_or(0);
        if change.quota.is_some_and(|quota| used(quota) >= quota.limit) {
            return Some(Saved::OverQuota);
        }
        None
    }
}

/// Up to `limit + 1` reviews by key, descending, after the key `after`: a page and its lookahead,
/// in the order DynamoDB reads the same index backwards.
fn descending_after<'a>(
    keyed: impl Iterator<Item = (String, &'a Review)>,
    after: Option<&str>,
    limit: usize,
) -> Vec<Review> {
    let mut found: Vec<(String, &Review)> =
        keyed.filter(|(key, _)| after.is_none_or(|after| key.as_str() < after)).collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().take(limit + 1).map(|(_, review)| review.clone()).collect()
}

#[async_trait]
impl RatingReader for EmbeddedReviews {
    async fn ratings(&self, books: &[BookId]) -> Result<Vec<Ratings>, Error> {
        let state = self.lock().await;
        Ok(books.iter().map(|book| state.ratings.get(book).copied().unwrap_or_default()).collect())
    }
}

#[async_trait]
impl ReviewStore for EmbeddedReviews {
    async fn review(&self, id: ReviewId) -> Result<Option<Review>, Error> {
        Ok(self.lock().await.reviews.get(&id).cloned())
    }

    async fn review_by(&self, book: BookId, reviewer: &UserId) -> Result<Option<Review>, Error> {
        let state = self.lock().await;
        let id = state.by_reviewer.get(&(book, reviewer.clone()));
        Ok(id.and_then(|id| state.reviews.get(id)).cloned())
    }

    async fn list_reviews(&self, query: &ReviewQuery) -> Result<Page<Review>, Error> {
        let listing = query.listing();
        let state = self.lock().await;
        let keyed = state
            .reviews
            .values()
            .filter(|review| query.admits(review))
            .map(|review| (review.sort_key(listing), review));
        let after = query.after.as_ref().map(|cursor| cursor.key.as_str());
        let items = descending_after(keyed, after, query.limit.get());
        Ok(Page::from_lookahead_by(items, query.limit.get(), |last| {
            ReviewCursor::after(listing, last).encode()
        }))
    }

    async fn reported(&self, query: &ReportedQuery) -> Result<Page<Review>, Error> {
        let state = self.lock().await;
        let keyed = state
            .reviews
            .values()
            .filter(|review| !query.hidden_only || !review.is_visible())
            .filter_map(|review| review.queue_key().map(|key| (key, review)));
        let items = descending_after(keyed, query.after.as_deref(), query.limit.get());
        Ok(Page::from_lookahead_by(items, query.limit.get(), |last: &Review| {
            EventCursor(last.queue_key().unwrap_or_default()).encode()
        }))
    }

    async fn write_review(&self, change: &ReviewWrite<'_>) -> Result<Saved, Error> {
        // The book is checked before the lock (a read may await). DynamoDB checks it inside
        // the transaction; here a deletion racing a first review by microseconds may let it in.
        if let (None, Some(book)) = (change.before, change.book())
            && self.books.get_book(book).await?.is_none()
        {
            return Ok(Saved::BookGone);
        }
        let mut state = self.lock().await;
        if let Some(refusal) = state.refusal(change) {
            return Ok(refusal);
        }
        let mut writes = Vec::new();
        let mut removals = Vec::new();
        match (change.before, change.after) {
            (_, Some(after)) => writes.push((REVIEWS, after.id.0.into_bytes().to_vec(), json(after)?)),
            (Some(before), None) => removals.push((REVIEWS, before.id.0.into_bytes().to_vec())),
            (None, None) => return Ok(Saved::Done),
        }
        if let Some(mark) = change.mark {
            writes.push((MARKS, mark_key(mark), Vec::new()));
        }
        let barred = match (change.before, change.after) {
            (Some(before), None) if change.bar_reviewer => Some((before.book_id, before.reviewer_id.clone())),
            _ => None,
        };
        if let Some((book, reviewer)) = &barred {
            writes.push((MARKS, barred_key(*book, reviewer), Vec::new()));
        }
        let quota = change.quota.map(|quota| {
            let key = quota_key(quota);
            let used = state.quotas.get(&key).copied().unwrap_or(0) + 1;
            (key, used)
        });
        if let Some((key, used)) = &quota {
            writes.push((QUOTAS, key.clone(), json(used)?));
        }
        let events = change.event.into_iter().cloned().collect();
        self.shop.commit(Change { writes, removals, events }).await?;
        if let Some(before) = change.before {
            state.remove(before);
        }
        if let Some(after) = change.after {
            state.add(after.clone());
        }
        if let Some(mark) = change.mark {
            state.marks.insert(mark_key(mark));
        }
        if let Some((key, used)) = quota {
            state.quotas.insert(key, used);
        }
        if let Some(pair) = barred {
            state.barred.insert(pair);
        }
        Ok(Saved::Done)
    }
}

#[async_trait]
impl Purchases for EmbeddedReviews {
    async fn bought(&self, buyer: &UserId, book: BookId) -> Result<bool, Error> {
        Ok(self.shop.orders_of(buyer)?.iter().any(|order| {
            order.buyer_id == *buyer
                && order.status == OrderStatus::Completed
                && order.lines.iter().any(|line| line.book_id == book)
        }))
    }
}

/// A reader's visible reviews from memory, newest first, as DynamoDB's `by_reviewer` index.
#[async_trait]
impl ReviewedBooks for EmbeddedReviews {
    async fn reviewed_by(&self, reviewer: &UserId, limit: usize) -> Result<Vec<(BookId, u8)>, Error> {
        let state = self.lock().await;
        let mut theirs: Vec<&Review> = state
            .by_reviewer
            .iter()
            .filter(|((_, who), _)| who == reviewer)
            .filter_map(|(_, id)| state.reviews.get(id))
            .filter(|review| review.is_visible())
            .collect();
        theirs.sort_by_key(|review| {
            std::cmp::Reverse(review.sort_key(bookworm_domain::reviews::ReviewSort::Newest))
        });
        Ok(theirs.into_iter().take(limit).map(|review| (review.book_id, review.rating)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmbeddedCatalog;

    fn stores() -> (Arc<EmbeddedShop>, Arc<EmbeddedCatalog>, EmbeddedReviews) {
        let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
        let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
        let reviews = EmbeddedReviews::open(shop.clone(), catalog.clone()).unwrap();
        (shop, catalog, reviews)
    }

    #[tokio::test]
    async fn meets_the_review_contract() {
        let (shop, catalog, reviews) = stores();
        bookworm_domain::contract::review_store(&reviews, catalog.as_ref(), shop.as_ref()).await;
        bookworm_domain::contract::reviewed_books(&reviews, catalog.as_ref()).await;
    }

    #[tokio::test]
    async fn meets_the_purchases_contract() {
        let (shop, _, reviews) = stores();
        bookworm_domain::contract::purchases(shop.as_ref(), &reviews).await;
    }

    #[tokio::test]
    async fn reviews_marks_and_counts_survive_a_reopen() {
        let dir = std::env::temp_dir().join(format!("reviews-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let catalog = Arc::new(EmbeddedCatalog::in_memory().unwrap());
        let book = bookworm_domain::contract::fixture().books[0].clone();
        bookworm_domain::ports::CatalogWriter::put_book(catalog.as_ref(), &book).await.unwrap();
        let principal = bookworm_domain::identity::Principal::sample("ann");
        let content = bookworm_domain::reviews::ReviewContent { rating: 4, title: None, comment: None };
        let review = Review::new(book.id, &principal, content, false, bookworm_domain::clock::now_rfc3339());
        let quota = DailyQuota::today(&bookworm_domain::contract::user("ann"), 1);
        {
            let shop = Arc::new(EmbeddedShop::open(&dir.join("shop.redb")).unwrap());
            let reviews = EmbeddedReviews::open(shop, catalog.clone()).unwrap();
            let write = ReviewWrite { quota: Some(&quota), ..ReviewWrite::new(None, Some(&review)) };
            assert_eq!(reviews.write_review(&write).await.unwrap(), Saved::Done);
        }
        let shop = Arc::new(EmbeddedShop::open(&dir.join("shop.redb")).unwrap());
        let reviews = EmbeddedReviews::open(shop, catalog.clone()).unwrap();
        assert_eq!(
            reviews.review_by(book.id, &bookworm_domain::contract::user("ann")).await.unwrap(),
            Some(review.clone())
        );
        assert_eq!(reviews.ratings(&[book.id]).await.unwrap()[0].counts, [0, 0, 0, 1, 0]);
        // Today's quota (one review) was kept too.
        let mut second = bookworm_domain::contract::fixture().books[1].clone();
        second.id = BookId::random();
        bookworm_domain::ports::CatalogWriter::put_book(catalog.as_ref(), &second).await.unwrap();
        let content = bookworm_domain::reviews::ReviewContent { rating: 2, title: None, comment: None };
        let other = Review::new(second.id, &principal, content, false, bookworm_domain::clock::now_rfc3339());
        let write = ReviewWrite { quota: Some(&quota), ..ReviewWrite::new(None, Some(&other)) };
        assert_eq!(reviews.write_review(&write).await.unwrap(), Saved::OverQuota);
        // A quota of long ago is dropped at the next start; today's stays.
        let old = DailyQuota {
            account: bookworm_domain::contract::user("ann"),
            day: "2020-01-01".into(),
            limit: 1,
        };
        reviews
            .shop
            .commit(Change {
                writes: vec![(QUOTAS, quota_key(&old), json(&1u32).unwrap())],
                ..Change::default()
            })
            .await
            .unwrap();
        drop(reviews);
        let shop = Arc::new(EmbeddedShop::open(&dir.join("shop.redb")).unwrap());
        let reviews = EmbeddedReviews::open(shop, catalog.clone()).unwrap();
        let quotas = reviews.lock().await.quotas.keys().cloned().collect::<Vec<_>>();
        assert_eq!(quotas, vec![quota_key(&quota)], "the 2020 quota was pruned");
        std::fs::remove_dir_all(&dir).ok();
    }
}
