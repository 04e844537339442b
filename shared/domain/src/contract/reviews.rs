//! The contract every review store meets: atomic writes (review, rating counts, mark, quota,
//! event: all or nothing), exact counts under concurrency, and listings that page every
//! visible review once in order.

use std::collections::BTreeSet;

use super::{key, user};
use crate::basket::{Basket, PricedBasket};
use crate::catalog::Book;
use crate::events::{CATALOG_FEED, RemovedBy, ShopEvent};
use crate::identity::Principal;
use crate::ids::ShopId;
use crate::orders::{Order, OrderStatus};
use crate::ports::ReviewWrite;
use crate::ports::{BasketStore, CatalogWriter, EventLog, OrderStore, Purchases, ReviewStore};
use crate::query::PageSize;
use crate::reviews::{
    DailyQuota, Mark, Ratings, ReportReason, ReportedQuery, Review, ReviewContent, ReviewCursor, ReviewQuery,
    ReviewSort, Saved,
};

fn reader(id: &str) -> Principal {
    Principal::sample(id)
}

fn new_review(book: &Book, who: &str, rating: u8) -> Review {
    let content = ReviewContent { rating, title: Some(format!("{rating} stars")), comment: None };
    Review::new(book.id, &reader(who), content, false, crate::clock::now_rfc3339())
}

fn quota(who: &str) -> DailyQuota {
    DailyQuota::today(&user(who), 100)
}

/// Writes a new review with its quota and event; what the store said.
async fn create<S: ReviewStore + ?Sized>(
    store: &S,
    review: &Review,
    quota: &DailyQuota,
) -> (Saved, ShopEvent) {
    let event = ShopEvent::review_changed(review, true);
    let write =
        ReviewWrite { quota: Some(quota), event: Some(&event), ..ReviewWrite::new(None, Some(review)) };
    (store.write_review(&write).await.expect("write a review"), event)
}

async fn ratings<S: ReviewStore + ?Sized>(store: &S, book: &Book) -> Ratings {
    store.ratings(&[book.id]).await.expect("ratings")[0]
}

async fn feed_has(events: &dyn EventLog, event: &ShopEvent) -> bool {
    let page = events.history(CATALOG_FEED, None, PageSize::new(100).unwrap()).await.expect("history");
    page.items.iter().any(|e| e.id == event.id)
}

/// Runs every check against an empty review store whose books live in `catalog` and whose
/// events land in `events`.
pub async fn review_store<S: ReviewStore>(store: &S, catalog: &dyn CatalogWriter, events: &dyn EventLog) {
    let book = |name: &str| {
        let mut book = super::fixture().books[0].clone();
        book.id = crate::ids::BookId::random();
        book.name = name.into();
        book
    };
    let (emma, persuasion, gone) = (book("Emma"), book("Persuasion"), book("Gone"));
    for b in [&emma, &persuasion, &gone] {
        catalog.put_book(b).await.expect("put a book");
    }

    writes_are_atomic_and_counted(store, events, &emma, &persuasion).await;
    marks_and_quotas_hold(store, &persuasion, catalog, &gone).await;
    listings_page_every_visible_review_once(store, catalog).await;
    concurrent_reviews_leave_exact_counts(store, catalog).await;
}

async fn writes_are_atomic_and_counted<S: ReviewStore>(
    store: &S,
    events: &dyn EventLog,
    emma: &Book,
    persuasion: &Book,
) {
    let ann = new_review(emma, "ann", 4);
    let (saved, created) = create(store, &ann, &quota("ann")).await;
    assert_eq!(saved, Saved::Done);
    assert_eq!(store.review(ann.id).await.expect("review").as_ref(), Some(&ann));
    assert_eq!(store.review_by(emma.id, &user("ann")).await.expect("by").as_ref(), Some(&ann));
    assert_eq!(store.review_by(persuasion.id, &user("ann")).await.expect("by"), None);
    assert_eq!(ratings(store, emma).await.counts, [0, 0, 0, 1, 0]);
    assert!(feed_has(events, &created).await, "the event was written with the review");

    // One review per account per book: a second new one is refused, and writes nothing.
    let again = new_review(emma, "ann", 1);
    let (saved, refused) = create(store, &again, &quota("ann")).await;
    assert_eq!(saved, Saved::Stale);
    assert_eq!(store.review(again.id).await.expect("review"), None);
    assert_eq!(ratings(store, emma).await.counts, [0, 0, 0, 1, 0], "counts untouched");
    assert!(!feed_has(events, &refused).await, "no event for a refused write");

    // An edit moves the counts from the old star to the new one.
    let content = ReviewContent { rating: 2, title: None, comment: Some("On reflection, no.".into()) };
    let edited = ann.edited(&reader("ann"), content, true, crate::clock::now_rfc3339());
    let event = ShopEvent::review_changed(&edited, false);
    let write = ReviewWrite { event: Some(&event), ..ReviewWrite::new(Some(&ann), Some(&edited)) };
    assert_eq!(store.write_review(&write).await.expect("edit"), Saved::Done);
    assert_eq!(ratings(store, emma).await.counts, [0, 1, 0, 0, 0]);
    assert_eq!(store.review(ann.id).await.expect("review").as_ref(), Some(&edited));

    // An edit made from an older revision is stale, and changes nothing.
    let late = ann.edited(
        &reader("ann"),
        ReviewContent { rating: 5, title: None, comment: None },
        false,
        crate::clock::now_rfc3339(),
    );
    let late_event = ShopEvent::review_changed(&late, false);
    let write = ReviewWrite { event: Some(&late_event), ..ReviewWrite::new(Some(&ann), Some(&late)) };
    assert_eq!(store.write_review(&write).await.expect("edit"), Saved::Stale);
    assert_eq!(ratings(store, emma).await.counts, [0, 1, 0, 0, 0]);
    assert!(!feed_has(events, &late_event).await);

    // Hidden by reports: out of the counts; restored: back in; deleted: out, and the account
    // may review the book again.
    let hidden = edited.reported(ReportReason::Abuse, 1, crate::clock::now_rfc3339());
    let mark = Mark::Report { review: ann.id, account: user("bob"), reason: ReportReason::Abuse };
    let write = ReviewWrite { mark: Some(&mark), ..ReviewWrite::new(Some(&edited), Some(&hidden)) };
    assert_eq!(store.write_review(&write).await.expect("report"), Saved::Done);
    assert_eq!(ratings(store, emma).await.count(), 0);
    let restored = hidden.restored();
    assert_eq!(
        store.write_review(&ReviewWrite::new(Some(&hidden), Some(&restored))).await.expect("restore"),
        Saved::Done
    );
    assert_eq!(ratings(store, emma).await.counts, [0, 1, 0, 0, 0]);
    let removed = ShopEvent::review_removed(&restored, RemovedBy::Author);
    let write = ReviewWrite { event: Some(&removed), ..ReviewWrite::new(Some(&restored), None) };
    assert_eq!(store.write_review(&write).await.expect("delete"), Saved::Done);
    assert_eq!(store.review(ann.id).await.expect("review"), None);
    assert_eq!(store.review_by(emma.id, &user("ann")).await.expect("by"), None);
    assert_eq!(ratings(store, emma).await, Ratings::default());
    assert!(feed_has(events, &removed).await);
    let anew = new_review(emma, "ann", 5);
    assert_eq!(create(store, &anew, &quota("ann")).await.0, Saved::Done, "after a delete, a new review");

    // A removal that bars the reviewer (moderation) leaves no way to post again.
    let barring = ReviewWrite { bar_reviewer: true, ..ReviewWrite::new(Some(&anew), None) };
    assert_eq!(store.write_review(&barring).await.expect("remove"), Saved::Done);
    assert_eq!(store.review_by(emma.id, &user("ann")).await.expect("by"), None);
    let again = new_review(emma, "ann", 5);
    assert_eq!(create(store, &again, &quota("ann")).await.0, Saved::Stale, "barred");
    assert_eq!(store.review(again.id).await.expect("review"), None);
    let theirs = new_review(emma, "ann-2", 5);
    assert_eq!(create(store, &theirs, &quota("ann-2")).await.0, Saved::Done, "only that account");

    let many = store.ratings(&[persuasion.id, emma.id]).await.expect("ratings");
    assert_eq!(many, vec![Ratings::default(), Ratings { counts: [0, 0, 0, 0, 1] }], "in the order asked");
}

async fn marks_and_quotas_hold<S: ReviewStore>(
    store: &S,
    book: &Book,
    catalog: &dyn CatalogWriter,
    gone: &Book,
) {
    let review = new_review(book, "cat", 3);
    assert_eq!(create(store, &review, &quota("cat")).await.0, Saved::Done);

    let vote = Mark::Helpful { review: review.id, account: user("dan") };
    let voted = review.voted_helpful();
    let write = ReviewWrite { mark: Some(&vote), ..ReviewWrite::new(Some(&review), Some(&voted)) };
    assert_eq!(store.write_review(&write).await.expect("vote"), Saved::Done);
    let twice = voted.voted_helpful();
    let write = ReviewWrite { mark: Some(&vote), ..ReviewWrite::new(Some(&voted), Some(&twice)) };
    assert_eq!(store.write_review(&write).await.expect("vote"), Saved::AlreadyMarked);
    assert_eq!(store.review(review.id).await.expect("review").map(|r| r.helpful), Some(1), "counted once");
    // A report by the same account is a different mark.
    let report = Mark::Report { review: review.id, account: user("dan"), reason: ReportReason::Spam };
    let reported = voted.reported(ReportReason::Spam, 3, crate::clock::now_rfc3339());
    let write = ReviewWrite { mark: Some(&report), ..ReviewWrite::new(Some(&voted), Some(&reported)) };
    assert_eq!(store.write_review(&write).await.expect("report"), Saved::Done);

    // The daily cap: the third new review of the day is refused, and nothing is written.
    let cap = DailyQuota::today(&user("eve"), 2);
    let mut books = Vec::new();
    for i in 0..3 {
        let mut other = book.clone();
        other.id = crate::ids::BookId::random();
        other.name = format!("Capped {i}");
        catalog.put_book(&other).await.expect("put a book");
        books.push(other);
    }
    assert_eq!(create(store, &new_review(&books[0], "eve", 5), &cap).await.0, Saved::Done);
    assert_eq!(create(store, &new_review(&books[1], "eve", 5), &cap).await.0, Saved::Done);
    let over = new_review(&books[2], "eve", 5);
    assert_eq!(create(store, &over, &cap).await.0, Saved::OverQuota);
    assert_eq!(store.review(over.id).await.expect("review"), None);
    assert_eq!(ratings(store, &books[2]).await, Ratings::default());
    let other = new_review(&books[2], "fay", 5);
    assert_eq!(
        create(store, &other, &DailyQuota::today(&user("fay"), 2)).await.0,
        Saved::Done,
        "caps are per account"
    );

    // No new reviews of a deleted book.
    catalog.delete_book(gone.id).await.expect("delete the book");
    let late = new_review(gone, "gus", 4);
    assert_eq!(create(store, &late, &quota("gus")).await.0, Saved::BookGone);
    assert_eq!(store.review(late.id).await.expect("review"), None);
    assert_eq!(ratings(store, gone).await, Ratings::default());
}

async fn listings_page_every_visible_review_once<S: ReviewStore>(store: &S, catalog: &dyn CatalogWriter) {
    let mut book = super::fixture().books[1].clone();
    book.id = crate::ids::BookId::random();
    catalog.put_book(&book).await.expect("put a book");
    let mut reviews = Vec::new();
    for (i, rating) in [5u8, 3, 1, 4, 2, 5, 3, 3].into_iter().enumerate() {
        let review = new_review(&book, &format!("lister-{i}"), rating);
        assert_eq!(create(store, &review, &quota(review.reviewer_id.as_str())).await.0, Saved::Done);
        // Distinct creation times keep "newest first" unambiguous.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        reviews.push(review);
    }
    // Helpful votes: review i gets (i * 3) % 5 of them; review 1 is hidden by a report,
    // review 2 has a report below the threshold.
    for (i, review) in reviews.iter_mut().enumerate() {
        for voter in 0..(i * 3) % 5 {
            let mark = Mark::Helpful { review: review.id, account: user(&format!("voter-{voter}")) };
            let voted = review.voted_helpful();
            let write = ReviewWrite { mark: Some(&mark), ..ReviewWrite::new(Some(review), Some(&voted)) };
            assert_eq!(store.write_review(&write).await.expect("vote"), Saved::Done);
            *review = voted;
        }
    }
    for (i, threshold) in [(1, 1), (2, 3)] {
        let mark =
            Mark::Report { review: reviews[i].id, account: user("reporter"), reason: ReportReason::Spam };
        let reported = reviews[i].reported(ReportReason::Spam, threshold, crate::clock::now_rfc3339());
        let write = ReviewWrite { mark: Some(&mark), ..ReviewWrite::new(Some(&reviews[i]), Some(&reported)) };
        assert_eq!(store.write_review(&write).await.expect("report"), Saved::Done);
        reviews[i] = reported;
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    assert_eq!(ratings(store, &book).await.counts, [1, 1, 2, 1, 2], "the hidden 3 does not count");

    for sort in ReviewSort::ALL {
        for rating in [None, Some(5), Some(3), Some(2)] {
            for limit in [1, 3, 100] {
                let query = ReviewQuery {
                    book: book.id,
                    sort,
                    rating,
                    after: None,
                    limit: PageSize::new(limit).unwrap(),
                };
                let mut expected: Vec<&Review> = reviews.iter().filter(|r| query.admits(r)).collect();
                expected.sort_by_key(|r| std::cmp::Reverse(r.sort_key(query.listing())));
                let got = page_through(store, query.clone()).await;
                let want: Vec<_> = expected.iter().map(|r| r.id).collect();
                assert_eq!(
                    got.iter().map(|r| r.id).collect::<Vec<_>>(),
                    want,
                    "{sort:?} {rating:?} by {limit}"
                );
                assert!(got.iter().all(|r| r.is_visible() && rating.is_none_or(|n| r.rating == n)));
                let ordered = |a: &Review, b: &Review| match sort {
                    ReviewSort::Newest => a.created_at >= b.created_at,
                    ReviewSort::Highest => a.rating >= b.rating,
                    ReviewSort::Lowest => a.rating <= b.rating,
                    ReviewSort::Helpful => a.helpful >= b.helpful,
                };
                assert!(got.windows(2).all(|w| ordered(&w[0], &w[1])), "{sort:?} is in its order");
            }
        }
    }

    let queued = |hidden_only| async move {
        let mut ids = Vec::new();
        let mut query = ReportedQuery { hidden_only, after: None, limit: PageSize::new(1).unwrap() };
        loop {
            let page = store.reported(&query).await.expect("reported");
            ids.extend(page.items.iter().map(|r| (r.id, r.status)));
            match page.next_cursor {
                Some(cursor) => {
                    query.after = Some(crate::events::EventCursor::decode(&cursor).expect("cursor").0)
                }
                None => return ids,
            }
        }
    };
    let all = queued(false).await;
    let (hidden, flagged) = (reviews[1].id, reviews[2].id);
    let at = |id| all.iter().position(|(r, _)| *r == id);
    assert!(
        at(flagged).expect("reported, still visible") < at(hidden).expect("hidden"),
        "latest report first"
    );
    let only_hidden = queued(true).await;
    assert!(only_hidden.iter().all(|(_, status)| *status == crate::reviews::ReviewStatus::Hidden));
    assert!(
        only_hidden.iter().any(|(id, _)| *id == hidden) && !only_hidden.iter().any(|(id, _)| *id == flagged)
    );
    let unique: BTreeSet<_> = all.iter().map(|(id, _)| id).collect();
    assert_eq!(unique.len(), all.len(), "no review twice");
}

async fn page_through<S: ReviewStore>(store: &S, mut query: ReviewQuery) -> Vec<Review> {
    let mut found = Vec::new();
    for _ in 0..50 {
        let page = store.list_reviews(&query).await.expect("list reviews");
        found.extend(page.items);
        match page.next_cursor {
            Some(cursor) => {
                query.after = Some(ReviewCursor::decode(&cursor, query.listing()).expect("cursor"))
            }
            None => return found,
        }
    }
    panic!("the listing never ended");
}

async fn concurrent_reviews_leave_exact_counts<S: ReviewStore>(store: &S, catalog: &dyn CatalogWriter) {
    let mut book = super::fixture().books[2].clone();
    book.id = crate::ids::BookId::random();
    catalog.put_book(&book).await.expect("put a book");
    let reviews: Vec<Review> =
        (0..20).map(|i| new_review(&book, &format!("crowd-{i}"), 1 + (i % 5) as u8)).collect();
    let quotas: Vec<DailyQuota> = (0..20).map(|i| quota(&format!("crowd-{i}"))).collect();
    let writes = reviews.iter().zip(&quotas).map(|(review, quota)| create(store, review, quota));
    let results = futures::future::join_all(writes).await;
    assert!(results.iter().all(|(saved, _)| *saved == Saved::Done), "{results:?}");
    let counted = ratings(store, &book).await;
    assert_eq!(counted.count(), 20);
    assert_eq!(counted.sum(), reviews.iter().map(|r| u64::from(r.rating)).sum::<u64>());
    assert_eq!(counted.counts, [4, 4, 4, 4, 4]);
}

/// `bought` is true only for a completed order of the buyer's containing the book.
pub async fn purchases<S: BasketStore + OrderStore>(orders: &S, purchases: &dyn Purchases) {
    let shop = ShopId::random();
    let data = super::fixture();
    let (book, other) = (&data.books[1], &data.books[2]); // [0] is out of stock
    let books = std::collections::HashMap::from([(book.id, book.clone())]);
    let buyer = user(&format!("buyer-{}", uuid::Uuid::new_v4()));
    let mut basket = Basket::new(shop, &buyer);
    basket.set(book.id, 1).expect("set");
    orders.save_basket(&basket, None, &super::any_event(shop)).await.expect("save a basket");
    let priced = PricedBasket::price(&basket, &books).expect("price");
    let mut order = Order::checkout(priced, &buyer, None, &key("k")).expect("checkout");
    orders.place_order(&order, &basket, &super::any_event(shop)).await.expect("place");
    assert!(!purchases.bought(&buyer, book.id).await.expect("bought"), "a new order is no purchase yet");
    order.transition(OrderStatus::Completed).expect("complete");
    let event = ShopEvent::order_closed(&order).expect("event");
    assert!(orders.update_status(&order, OrderStatus::New, &event).await.expect("complete"));
    assert!(purchases.bought(&buyer, book.id).await.expect("bought"));
    assert!(!purchases.bought(&buyer, other.id).await.expect("bought"), "another book");
    assert!(!purchases.bought(&user("someone-else"), book.id).await.expect("bought"), "another buyer");
}

/// The contract of [`ReviewedBooks`](crate::ports::ReviewedBooks): a reader's visible reviews
/// with their stars, newest first, at most `limit`; never another reader's, never a deleted one.
pub async fn reviewed_books<S: ReviewStore + crate::ports::ReviewedBooks>(
    store: &S,
    catalog: &dyn CatalogWriter,
) {
    let reader = format!("reader-{}", uuid::Uuid::new_v4());
    let mut books = Vec::new();
    for name in ["First", "Second", "Third"] {
        let mut book = super::fixture().books[0].clone();
        book.id = crate::ids::BookId::random();
        book.name = name.into();
        catalog.put_book(&book).await.expect("put a book");
        books.push(book);
    }
    assert_eq!(store.reviewed_by(&user(&reader), 10).await.expect("reviewed_by"), [], "none yet");
    let mut written = Vec::new();
    for (book, stars) in books.iter().zip([5, 2, 4]) {
        let review = new_review(book, &reader, stars);
        assert_eq!(create(store, &review, &quota(&reader)).await.0, Saved::Done);
        written.push(review);
        // Distinct creation times keep "newest first" unambiguous.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let other = new_review(&books[0], &format!("other-{reader}"), 5);
    assert_eq!(create(store, &other, &quota("other")).await.0, Saved::Done);

    let theirs = store.reviewed_by(&user(&reader), 10).await.expect("reviewed_by");
    assert_eq!(theirs, [(books[2].id, 4), (books[1].id, 2), (books[0].id, 5)], "newest first, theirs only");
    assert_eq!(store.reviewed_by(&user(&reader), 2).await.expect("reviewed_by").len(), 2, "at most limit");

    let removed = ShopEvent::review_removed(&written[2], RemovedBy::Author);
    let write = ReviewWrite { event: Some(&removed), ..ReviewWrite::new(Some(&written[2]), None) };
    assert_eq!(store.write_review(&write).await.expect("delete"), Saved::Done);
    let theirs = store.reviewed_by(&user(&reader), 10).await.expect("reviewed_by");
    assert_eq!(theirs, [(books[1].id, 2), (books[0].id, 5)], "a deleted review is gone");
}
