//! The contract of the figure store: day counters moved once per event, customer entries
//! written only from the version they were read at, the directory searched by prefix and paged,
//! and the catalog counters moved only from the record they were computed from.

use std::collections::HashSet;

use super::user;
use crate::figures::{
    BookCount, BookTally, CountedBook, CustomerField, CustomerSearch, Day, DayRange, OrderFact, Recorded,
    Recording, Tally, recording,
};
use crate::ids::{BookId, CategoryId, EventId, OrderId};
use crate::ports::{FigureReader, FigureRecorder};
use crate::query::PageSize;

/// Runs every check against one empty store.
pub async fn figure_store<S: FigureRecorder + FigureReader>(store: &S) {
    an_event_counts_once(store).await;
    a_stale_customer_writes_nothing(store).await;
    racing_writers_of_one_customer_write_once(store).await;
    ranges_read_their_days_in_order(store).await;
    the_directory_is_searched_by_prefix_and_paged(store).await;
    catalog_counts_move_from_the_record_they_were_made_from(store).await;
}

fn day(text: &str) -> Day {
    Day::parse("day", text).expect("a day")
}

fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).expect("a range")
}

fn placed(buyer: &str, name: &str, email: &str, total: i64) -> OrderFact {
    OrderFact::Placed {
        order: OrderId::random(),
        buyer: user(buyer),
        total,
        name: Some(name.into()),
        email: Some(email.into()),
    }
}

/// Records `fact` at `time` from the stored entry, as the consumer does (one attempt).
async fn record<S: FigureRecorder>(
    store: &S,
    event: EventId,
    time: &str,
    fact: &OrderFact,
) -> (Recording, Recorded) {
    let stored = store.customer(fact.buyer()).await.expect("customer");
    let recording = recording(event, time, fact, stored.as_ref()).expect("recording");
    let recorded = store.record(&recording).await.expect("record");
    (recording, recorded)
}

async fn tally<S: FigureReader>(store: &S, on: &str) -> Tally {
    let days = store.days(range(on, on)).await.expect("days");
    days.first().map(|figures| figures.tally).unwrap_or_default()
}

async fn an_event_counts_once<S: FigureRecorder + FigureReader>(store: &S) {
    let event = EventId::random();
    let fact = placed("once", "Olive Once", "olive@example.com", 1250);
    let (recording, first) = record(store, event, "2026-01-10T09:00:00.000Z", &fact).await;
    assert_eq!(first, Recorded::Done);
    // The same write again (a retry after its answer was lost): refused by the marker.
    assert_eq!(store.record(&recording).await.expect("record again"), Recorded::Duplicate);
    // The same event again, recomputed from the entry it made: still once.
    let (_, again) = record(store, event, "2026-01-10T09:00:00.000Z", &fact).await;
    assert_eq!(again, Recorded::Duplicate);
    let expected = Tally { orders_placed: 1, revenue: 1250, new_customers: 1, ..Tally::default() };
    assert_eq!(tally(store, "2026-01-10").await, expected);
    let customer = store.find_customer(&user("once")).await.expect("find").expect("the entry");
    assert_eq!((customer.order_count, customer.total_spent, customer.version), (1, 1250, 1));
    assert_eq!(customer.email.as_deref(), Some("olive@example.com"));

    // Counters only without a customer entry (a completion) count once as well.
    let completed = OrderFact::Completed { buyer: user("once") };
    let event = EventId::random();
    assert_eq!(record(store, event, "2026-01-10T10:00:00.000Z", &completed).await.1, Recorded::Done);
    assert_eq!(record(store, event, "2026-01-10T10:00:00.000Z", &completed).await.1, Recorded::Duplicate);
    assert_eq!(tally(store, "2026-01-10").await.orders_completed, 1);
}

async fn a_stale_customer_writes_nothing<S: FigureRecorder + FigureReader>(store: &S) {
    let fact = placed("stale", "Sam Stale", "sam@example.com", 100);
    record(store, EventId::random(), "2026-01-11T09:00:00.000Z", &fact).await;
    // Made from no entry, while one exists now: nothing of it is written, the days included.
    let late = recording(EventId::random(), "2026-01-11T10:00:00.000Z", &fact, None).expect("recording");
    assert_eq!(store.record(&late).await.expect("record"), Recorded::Stale);
    let before = tally(store, "2026-01-11").await;
    assert_eq!((before.orders_placed, before.revenue), (1, 100));
    // Made from an older version.
    let stored = store.customer(&user("stale")).await.expect("customer").expect("entry");
    let mut old = stored.clone();
    old.version -= 1;
    let older =
        recording(EventId::random(), "2026-01-11T11:00:00.000Z", &fact, Some(&old)).expect("recording");
    assert_eq!(store.record(&older).await.expect("record"), Recorded::Stale);
    assert_eq!(tally(store, "2026-01-11").await, before);
    // A stale write of an event already counted is a duplicate: the marker decides first.
    let event = EventId::random();
    record(store, event, "2026-01-11T12:00:00.000Z", &fact).await;
    let replay = recording(event, "2026-01-11T12:00:00.000Z", &fact, Some(&stored)).expect("recording");
    assert_eq!(store.record(&replay).await.expect("record"), Recorded::Duplicate);
}

async fn racing_writers_of_one_customer_write_once<S: FigureRecorder + FigureReader>(store: &S) {
    let fact = placed("race", "Rae Race", "rae@example.com", 10);
    record(store, EventId::random(), "2026-01-12T09:00:00.000Z", &fact).await;
    let stored = store.customer(&user("race")).await.expect("customer");
    let writes: Vec<Recording> = (0..6)
        .map(|_| {
            recording(EventId::random(), "2026-01-12T10:00:00.000Z", &fact, stored.as_ref())
                .expect("recording")
        })
        .collect();
    let results = futures::future::join_all(writes.iter().map(|write| store.record(write))).await;
    let done = results.iter().filter(|result| matches!(result, Ok(Recorded::Done))).count();
    assert_eq!(done, 1, "exactly one write from one version lands: {results:?}");
    assert!(results.iter().all(|result| matches!(result, Ok(Recorded::Done | Recorded::Stale))));
    assert_eq!(tally(store, "2026-01-12").await.orders_placed, 2);
    let customer = store.find_customer(&user("race")).await.expect("find").expect("entry");
    assert_eq!(customer.order_count, 2);
}

async fn ranges_read_their_days_in_order<S: FigureRecorder + FigureReader>(store: &S) {
    for (time, total) in
        [("2026-02-01T00:00:00.000Z", 1), ("2026-02-03T23:59:59.999Z", 2), ("2026-02-05T12:00:00.000Z", 4)]
    {
        record(store, EventId::random(), time, &placed("ranges", "Ray", "ray@example.com", total)).await;
    }
    let cancelled = OrderFact::Cancelled { buyer: user("ranges"), total: 2 };
    record(store, EventId::random(), "2026-02-04T08:00:00.000Z", &cancelled).await;
    let days = store.days(range("2026-02-02", "2026-02-04")).await.expect("days");
    let keys: Vec<String> = days.iter().map(|figures| figures.day.key()).collect();
    assert_eq!(keys, ["2026-02-03", "2026-02-04"], "only days with figures, inside the range, in order");
    assert_eq!((days[0].tally.revenue, days[1].tally.revenue), (2, -2));
    assert_eq!(days[1].tally.orders_cancelled, 1);
    assert!(store.days(range("2025-02-02", "2025-02-04")).await.expect("days").is_empty());
    let all = store.days(range("2026-02-01", "2026-02-05")).await.expect("days");
    assert_eq!(all.len(), 4);
    assert_eq!(all.iter().map(|figures| figures.tally.new_customers).sum::<i64>(), 1);
    let customer = store.find_customer(&user("ranges")).await.expect("find").expect("entry");
    assert_eq!((customer.order_count, customer.cancelled_count, customer.total_spent), (3, 1, 5));
}

async fn the_directory_is_searched_by_prefix_and_paged<S: FigureRecorder + FigureReader>(store: &S) {
    let people = [
        ("dir-1", "Zelda Quill", "zq@shop.example"),
        ("dir-2", "zelda  QUINCE", "Quince@Example.com"),
        ("dir-3", "Zeno Quist", "zeno@example.com"),
        ("dir-4", "Zelda Quarry", "zelda.q@example.com"),
    ];
    for (id, name, email) in people {
        record(store, EventId::random(), "2026-03-01T09:00:00.000Z", &placed(id, name, email, 1)).await;
    }
    let search = |field, prefix: &str, cursor: Option<&str>, limit| {
        CustomerSearch::new(field, prefix, cursor, PageSize::new(limit).expect("limit")).expect("search")
    };
    let ids = |page: &crate::query::Page<crate::figures::Customer>| -> Vec<String> {
        page.items.iter().map(|customer| customer.id.to_string()).collect()
    };
    // Case and spacing do not matter; the order is the folded name's.
    let page = store.customers(&search(CustomerField::Name, "ZELDA q", None, 10)).await.expect("customers");
    assert_eq!(ids(&page), ["dir-4", "dir-1", "dir-2"]);
    assert_eq!(page.next_cursor, None);
    let page = store.customers(&search(CustomerField::Email, "quince@", None, 10)).await.expect("customers");
    assert_eq!(ids(&page), ["dir-2"]);
    assert!(
        store
            .customers(&search(CustomerField::Name, "zz", None, 10))
            .await
            .expect("customers")
            .items
            .is_empty()
    );
    // Pages of one visit each match once, in order, and end without a cursor.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            store.customers(&search(CustomerField::Name, "ze", cursor.as_deref(), 1)).await.expect("page");
        seen.extend(ids(&page));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["dir-4", "dir-1", "dir-2", "dir-3"]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 4);
    // A cursor of another search is refused, not followed.
    let other = store.customers(&search(CustomerField::Name, "zelda", None, 1)).await.expect("page");
    let forged = CustomerSearch::new(
        CustomerField::Name,
        "zeno",
        other.next_cursor.as_deref(),
        PageSize::new(1).unwrap(),
    );
    assert!(forged.is_err());
    assert_eq!(store.find_customer(&user("dir-none")).await.expect("find"), None);
}

async fn catalog_counts_move_from_the_record_they_were_made_from<S: FigureRecorder + FigureReader>(
    store: &S,
) {
    let (fiction, poetry) = (CategoryId::random(), CategoryId::random());
    let (a, b) = (BookId::random(), BookId::random());
    let count = |book, before: BookTally, after: Option<CountedBook>| BookCount { book, before, after };
    let in_fiction = CountedBook { category_id: fiction, in_stock: true };
    assert_eq!(store.counted_book(a).await.expect("counted"), BookTally::default());
    assert!(store.count_book(&count(a, BookTally::default(), Some(in_fiction))).await.expect("count"));
    // The same move again, from the record it was made from: refused, nothing counted twice.
    assert!(!store.count_book(&count(a, BookTally::default(), Some(in_fiction))).await.expect("count"));
    assert!(store.count_book(&count(b, BookTally::default(), Some(in_fiction))).await.expect("count"));
    let stored = store.counted_book(a).await.expect("counted");
    assert_eq!(stored, BookTally { counted: Some(in_fiction), version: 1 });
    // Out of stock and moved to poetry, then deleted.
    let moved = CountedBook { category_id: poetry, in_stock: false };
    assert!(store.count_book(&count(a, stored, Some(moved))).await.expect("count"));
    let figures = store.catalog_figures().await.expect("figures");
    assert_eq!((figures.books_in_stock, figures.books_out_of_stock), (1, 1));
    let by: Vec<(CategoryId, i64)> = figures.by_category.iter().map(|c| (c.category_id, c.books)).collect();
    let mut expected = vec![(fiction, 1), (poetry, 1)];
    expected.sort_by_key(|(id, _)| *id);
    assert_eq!(by, expected);
    let stored = store.counted_book(a).await.expect("counted");
    assert!(store.count_book(&count(a, stored, None)).await.expect("count"));
    let figures = store.catalog_figures().await.expect("figures");
    assert_eq!((figures.books_in_stock, figures.books_out_of_stock), (1, 0));
    assert_eq!(figures.by_category.len(), 1, "a category left with no book is not listed");
    assert_eq!(store.counted_book(a).await.expect("counted"), BookTally { counted: None, version: 3 });
}
