//! The contract every catalog store adapter must meet. Adapter crates call [`catalog_store`]
//! from their tests, so the embedded store and DynamoDB cannot drift apart silently.
//!
//! The suite expects an empty store and panics (failing the calling test) on any breach.

use std::collections::HashSet;

mod copurchase;
mod devices;
mod fanout;
mod figures;
mod profile;
mod reviews;
mod search;
mod support;
pub use copurchase::co_purchase_store;
pub use devices::device_store;
pub use fanout::shard_dispatch;
pub use figures::figure_store;
pub use profile::profile_store;
pub use reviews::{purchases, review_store, reviewed_books};
pub use search::index_store;
pub use support::support_store;

use crate::Error;
use crate::Money;
use crate::catalog::{Author, Book, BookStatus, CatalogData, Category, Publisher};
use crate::ids::{
    AuthorId, BookId, CategoryId, ConnectionId, EventId, IdempotencyKey, OrderId, PublisherId, ShopId, UserId,
};
use crate::ports::{
    BasketStore, BookReader, CatalogWriter, Channel, Claim, Connection, Connections, Deduplicator, EventLog,
    Listener, LookupReader, OrderStore,
};
use crate::query::{BookFilter, BookQuery, Cursor, PageSize, SortField};

/// Runs every check against one empty store.
pub async fn catalog_store<S: BookReader + LookupReader + CatalogWriter>(store: &S) {
    let data = fixture();
    store.import(&data).await.expect("import the fixture");

    reads_books_by_id(store, &data).await;
    lists_lookups_by_name(store, &data).await;
    pages_visit_every_book_once_in_order(store, &data).await;
    filters_select_exactly_the_matching_books(store, &data).await;
    replacing_a_book_moves_it_everywhere(store, &data).await;
    deleted_books_and_lookups_are_gone(store, &data).await;
}

async fn reads_books_by_id<S: BookReader>(store: &S, data: &CatalogData) {
    for book in &data.books {
        let found = store.get_book(book.id).await.expect("get_book");
        assert_eq!(found.as_ref(), Some(book), "get_book({})", book.id);
    }
    let missing = store.get_book(BookId::derived("no such book")).await.expect("get_book");
    assert_eq!(missing, None);

    // Together: each once, the missing left out, across more keys than one DynamoDB batch.
    let mut ids: Vec<BookId> = data.books.iter().map(|book| book.id).collect();
    ids.extend(data.books.iter().take(3).map(|book| book.id));
    ids.extend((0..120).map(|i| BookId::derived(&format!("no such book {i}"))));
    let mut found = store.get_books(&ids).await.expect("get_books");
    found.sort_by_key(|book| book.id);
    let mut expected = data.books.clone();
    expected.sort_by_key(|book| book.id);
    assert_eq!(found, expected, "get_books");
    assert_eq!(store.get_books(&[]).await.expect("get_books of none"), []);
}

async fn lists_lookups_by_name<S: LookupReader>(store: &S, data: &CatalogData) {
    let mut authors = data.authors.clone();
    authors.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(store.list_authors().await.expect("list_authors"), authors);
    let mut categories = data.categories.clone();
    categories.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(store.list_categories().await.expect("list_categories"), categories);
    let mut publishers = data.publishers.clone();
    publishers.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(store.list_publishers().await.expect("list_publishers"), publishers);
}

async fn pages_visit_every_book_once_in_order<S: BookReader>(store: &S, data: &CatalogData) {
    for sort in SortField::ALL {
        for descending in [false, true] {
            for limit in [1, 7, 100] {
                let query = BookQuery { sort, descending, limit: page(limit), ..Default::default() };
                let ids = collect(store, query).await;
                assert_eq!(
                    ids,
                    expected(data, &BookFilter::default(), sort, descending),
                    "sort={} descending={descending} limit={limit}",
                    sort.as_str()
                );
            }
        }
    }
}

async fn filters_select_exactly_the_matching_books<S: BookReader>(store: &S, data: &CatalogData) {
    let mut search = BookFilter::default();
    search.set_search("the SEA").expect("valid search");
    let filters = [
        BookFilter { category: Some(data.categories[1].id), ..Default::default() },
        BookFilter { publisher: Some(data.publishers[0].id), ..Default::default() },
        BookFilter { author: Some(data.authors[2].id), ..Default::default() },
        BookFilter { min_price: Some(cents(1000)), max_price: Some(cents(1500)), ..Default::default() },
        BookFilter {
            category: Some(data.categories[0].id),
            author: Some(data.authors[0].id),
            max_price: Some(cents(2000)),
            ..Default::default()
        },
        search,
        BookFilter { category: Some(CategoryId::derived("empty")), ..Default::default() },
    ];
    for filter in filters {
        let want_some = filter.category != Some(CategoryId::derived("empty"));
        for sort in SortField::ALL {
            for descending in [false, true] {
                let query =
                    BookQuery { filter: filter.clone(), sort, descending, limit: page(3), after: None };
                let ids = collect(store, query).await;
                let want = expected(data, &filter, sort, descending);
                assert_eq!(want.is_empty(), !want_some, "fixture covers {filter:?}");
                assert_eq!(ids, want, "{filter:?} sort={} descending={descending}", sort.as_str());
            }
        }
    }
}

async fn replacing_a_book_moves_it_everywhere<S: BookReader + CatalogWriter>(store: &S, data: &CatalogData) {
    let mut moved = data.books[0].clone();
    moved.name = "Zzz Renamed".into();
    moved.price = cents(99_900);
    moved.sale_price = None;
    moved.category_id = data.categories[2].id;
    moved.author_ids = vec![data.authors[3].id];
    store.put_book(&moved).await.expect("put_book");
    assert_eq!(store.get_book(moved.id).await.expect("get_book"), Some(moved.clone()));

    let mut after = data.clone();
    after.books[0] = moved.clone();
    let old_category = BookFilter { category: Some(data.books[0].category_id), ..Default::default() };
    let new_author = BookFilter { author: Some(data.authors[3].id), ..Default::default() };
    for filter in [BookFilter::default(), old_category, new_author] {
        for sort in SortField::ALL {
            let query = BookQuery { filter: filter.clone(), sort, limit: page(5), ..Default::default() };
            assert_eq!(
                collect(store, query).await,
                expected(&after, &filter, sort, false),
                "after replacing a book: {filter:?} sort={}",
                sort.as_str()
            );
        }
    }
}

async fn deleted_books_and_lookups_are_gone<S: BookReader + LookupReader + CatalogWriter>(
    store: &S,
    data: &CatalogData,
) {
    let author = &data.authors[4];
    assert_eq!(store.get_author(author.id).await.expect("get_author").as_ref(), Some(author));
    assert_eq!(
        store.get_category(data.categories[0].id).await.expect("get_category").as_ref(),
        Some(&data.categories[0])
    );
    assert_eq!(
        store.get_publisher(data.publishers[1].id).await.expect("get_publisher").as_ref(),
        Some(&data.publishers[1])
    );
    assert_eq!(store.get_author(AuthorId::derived("nobody")).await.expect("get_author"), None);

    let gone = &data.books[5];
    assert!(store.delete_book(gone.id).await.expect("delete_book"));
    assert!(!store.delete_book(gone.id).await.expect("delete_book again"), "a deleted book is absent");
    assert_eq!(store.get_book(gone.id).await.expect("get_book"), None);
    let kept = &data.books[6];
    let found = store.get_books(&[gone.id, kept.id]).await.expect("get_books");
    assert_eq!(found, std::slice::from_ref(kept), "a deleted book is left out");
    for filter in
        [BookFilter::default(), BookFilter { category: Some(gone.category_id), ..Default::default() }]
    {
        for sort in SortField::ALL {
            let query = BookQuery { filter: filter.clone(), sort, limit: page(100), ..Default::default() };
            assert!(!collect(store, query).await.contains(&gone.id), "a deleted book is listed: {filter:?}");
        }
    }

    assert!(store.delete_author(author.id).await.expect("delete_author"));
    assert!(!store.delete_author(author.id).await.expect("delete_author again"));
    assert!(!store.list_authors().await.expect("list_authors").contains(author));

    // Categories and publishers go the same way; the others stay.
    let (category, kept_category) = (&data.categories[0], &data.categories[1]);
    assert!(store.delete_category(category.id).await.expect("delete_category"));
    assert!(!store.delete_category(category.id).await.expect("delete_category again"));
    assert_eq!(store.get_category(category.id).await.expect("get_category"), None);
    let categories = store.list_categories().await.expect("list_categories");
    assert!(!categories.contains(category) && categories.contains(kept_category), "{categories:?}");
    let (publisher, kept_publisher) = (&data.publishers[1], &data.publishers[0]);
    assert!(store.delete_publisher(publisher.id).await.expect("delete_publisher"));
    assert!(!store.delete_publisher(publisher.id).await.expect("delete_publisher again"));
    assert_eq!(store.get_publisher(publisher.id).await.expect("get_publisher"), None);
    let publishers = store.list_publishers().await.expect("list_publishers");
    assert!(!publishers.contains(publisher) && publishers.contains(kept_publisher), "{publishers:?}");
    assert!(!store.delete_category(CategoryId::derived("no such category")).await.expect("delete_category"));
    assert!(
        !store.delete_publisher(PublisherId::derived("no such publisher")).await.expect("delete_publisher")
    );
}

/// Follows `next_cursor` to the end, checking page sizes and that no book comes twice.
async fn collect<S: BookReader>(store: &S, mut query: BookQuery) -> Vec<BookId> {
    let mut ids = Vec::new();
    loop {
        let page = store.list_books(&query).await.expect("list_books");
        assert!(page.items.len() <= query.limit.get(), "page larger than its limit");
        ids.extend(page.items.iter().map(|book| book.id));
        match page.next_cursor {
            Some(next) => query.after = Some(Cursor::decode(&next, query.sort).expect("own cursor")),
            None => break,
        }
        assert!(ids.len() <= 1_000, "cursor loop does not end");
    }
    let distinct: HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "a book came twice");
    ids
}

fn expected(data: &CatalogData, filter: &BookFilter, sort: SortField, descending: bool) -> Vec<BookId> {
    let mut books: Vec<&Book> = data.books.iter().filter(|book| filter.matches(book)).collect();
    books.sort_by_key(|book| sort.key(book));
    if descending {
        books.reverse();
    }
    books.into_iter().map(|book| book.id).collect()
}

fn page(size: u32) -> PageSize {
    PageSize::new(size).expect("valid page size")
}

fn cents(amount: u64) -> Money {
    Money::from_cents(amount).expect("valid amount")
}

/// A small catalog with the awkward cases: equal prices, titles that prefix each other,
/// mixed case, sale prices, books with several authors.
pub fn fixture() -> CatalogData {
    let authors: Vec<Author> =
        ["Mark Twain", "Jane Austen", "Herman Melville", "Jules Verne", "Mary Shelley"]
            .into_iter()
            .map(|name| Author { id: AuthorId::derived(name), name: name.into() })
            .collect();
    let categories: Vec<Category> = ["Fiction", "Adventure", "Science Fiction"]
        .into_iter()
        .map(|name| Category { id: CategoryId::derived(name), name: name.into() })
        .collect();
    let publishers: Vec<Publisher> = ["Penguin Classics", "Oxford World's Classics"]
        .into_iter()
        .map(|name| Publisher { id: PublisherId::derived(name), name: name.into() })
        .collect();
    let titles = [
        "Emma",
        "emma, volume ii",
        "EMMA Abridged",
        "Moby-Dick",
        "The Sea-Wolf",
        "Twenty Thousand Leagues Under the Sea",
        "Frankenstein",
        "Persuasion",
        "Sense and Sensibility",
        "The Adventures of Tom Sawyer",
        "Roughing It",
        "Typee",
        "Omoo",
        "The Mysterious Island",
        "Around the World in Eighty Days",
        "The Last Man",
        "Pride and Prejudice",
        "Life on the Mississippi",
        "Billy Budd",
        "From the Earth to the Moon",
        "Mathilda",
        "Northanger Abbey",
        "The Innocents Abroad",
    ];
    let books = titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let price = 500 + (i as u64 % 6) * 250; // many equal prices
            Book {
                id: BookId::derived(title),
                name: (*title).into(),
                description: format!("Fixture book {i}."),
                price: cents(price),
                sale_price: (i % 4 == 0).then(|| cents(price - 100)),
                status: if i % 5 == 0 { BookStatus::OutOfStock } else { BookStatus::InStock },
                author_ids: if i % 7 == 0 {
                    vec![authors[i % 5].id, authors[(i + 2) % 5].id]
                } else {
                    vec![authors[i % 5].id]
                },
                category_id: categories[i % 3].id,
                publisher_id: publishers[i % 2].id,
            }
        })
        .collect();
    CatalogData { authors, categories, publishers, books }
}

pub use crate::publish::sample_action;

/// An event for `shop` whose content does not matter to the test.
pub fn any_event(shop: ShopId) -> crate::events::ShopEvent {
    crate::events::ShopEvent::checkout_action(sample_action(shop))
}

/// A user id for the suites (any non-empty text is one).
pub fn user(text: &str) -> UserId {
    UserId::new(text).expect("a user id is not empty")
}

/// An idempotency key for the suites.
pub fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("a valid idempotency key")
}

fn connection_id(text: &str) -> ConnectionId {
    ConnectionId::new(text).expect("a connection id is not empty")
}

/// The contract of the shop stores (event log, connections, claims), on one empty store.
pub async fn shop_store<S: EventLog + Connections + Deduplicator>(store: &S) {
    use crate::events::{EventCursor, ShopEvent};

    let (shop, other) = (ShopId::random(), ShopId::random());
    let mut appended = Vec::new();
    for i in 0..7 {
        let mut action = sample_action(shop);
        action.action_id = i;
        let event = ShopEvent::checkout_action(action);
        store.append(&event).await.expect("append");
        appended.push(event);
    }
    store.append(&any_event(other)).await.expect("append");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.history(shop, cursor.as_ref(), page(3)).await.expect("history");
        assert!(page.items.len() <= 3);
        seen.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(EventCursor::decode(&next).expect("own cursor")),
            None => break,
        }
    }
    appended.sort_by_key(|event| std::cmp::Reverse(event.sort_key()));
    assert_eq!(seen, appended, "a shop's history, newest first, only its own, field for field");

    // 101 events of 12 KB: DynamoDB ends a query at 1 MB, well before a page of 100.
    let crowded = ShopId::random();
    let blob = "x".repeat(12 * 1024);
    for i in 0..101 {
        let mut action = sample_action(crowded);
        (action.action_id, action.product_name) = (i, blob.clone());
        store.append(&ShopEvent::checkout_action(action)).await.expect("append");
    }
    let (mut read, mut cursor) = (0, None);
    loop {
        let page = store.history(crowded, cursor.as_ref(), page(100)).await.expect("history");
        read += page.items.len();
        match page.next_cursor {
            Some(next) => cursor = Some(EventCursor::decode(&next).expect("own cursor")),
            None => break,
        }
    }
    assert_eq!(read, 101, "a page cut short still says that more remain");

    let connection = |id: &str, shop| Connection {
        id: connection_id(id),
        channel: Channel::Shop(shop),
        user_id: user("merchant"),
        connected_at: crate::clock::now_rfc3339(),
        token_expires_at: 4_102_444_800,
    };
    store.add(&connection("a", shop)).await.expect("add");
    store.add(&Connection { token_expires_at: 1_700_000_000, ..connection("b", shop) }).await.expect("add");
    store.add(&connection("c", other)).await.expect("add");
    let mut listeners = store.for_shop(shop).await.expect("for_shop");
    listeners.sort_by(|x, y| x.id.cmp(&y.id));
    let listener = |id: &str, token_expires_at| Listener { id: connection_id(id), token_expires_at };
    assert_eq!(listeners, [listener("a", 4_102_444_800), listener("b", 1_700_000_000)], "with their expiry");
    store.remove(&connection_id("a")).await.expect("remove");
    store.remove(&connection_id("never-there")).await.expect("removing an unknown connection is fine");
    assert_eq!(store.for_shop(shop).await.expect("for_shop"), [listener("b", 1_700_000_000)]);
    fanout::connection_pages(store).await;
    support_connections(store, shop).await;

    let (event, lease) = (EventId::random(), std::time::Duration::from_secs(60));
    let claim = |consumer: &'static str, event, lease| async move {
        store.claim(consumer, event, lease).await.expect("claim")
    };
    assert_eq!(claim("fanout", event, lease).await, Claim::Claimed);
    assert_eq!(
        claim("fanout", event, lease).await,
        Claim::InProgress,
        "a live claim is neither done nor free"
    );
    assert_eq!(claim("email", event, lease).await, Claim::Claimed, "claims are per consumer");
    store.release("fanout", event).await.expect("release");
    assert_eq!(claim("fanout", event, lease).await, Claim::Claimed, "released claims can be made again");
    store.complete("fanout", event).await.expect("complete");
    assert_eq!(claim("fanout", event, lease).await, Claim::Done, "a completed event is never claimed again");

    // A consumer that died mid-way: its lease runs out and the event can be claimed again.
    let crashed = EventId::random();
    assert_eq!(claim("fanout", crashed, std::time::Duration::from_millis(50)).await, Claim::Claimed);
    assert_eq!(claim("fanout", crashed, lease).await, Claim::InProgress, "not while the lease is live");
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    assert_eq!(claim("fanout", crashed, lease).await, Claim::Claimed, "an expired lease can be taken over");
    store.complete("fanout", crashed).await.expect("complete");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_eq!(claim("fanout", crashed, std::time::Duration::ZERO).await, Claim::Done);
}

/// Support-channel sockets are found by their user, agents' all together; a merchant's never.
async fn support_connections<S: Connections>(store: &S, shop: ShopId) {
    use crate::support::AuthorRole;
    let connection = |id: &str, who: &str, channel| Connection {
        id: connection_id(id),
        channel,
        user_id: user(who),
        connected_at: crate::clock::now_rfc3339(),
        token_expires_at: 4_102_444_800,
    };
    let listener = |id: &str| Listener { id: connection_id(id), token_expires_at: 4_102_444_800 };
    store.add(&connection("s1", "cleo", Channel::Support(AuthorRole::Customer))).await.expect("add");
    store.add(&connection("s2", "cleo", Channel::Support(AuthorRole::Customer))).await.expect("add");
    store.add(&connection("s3", "sam", Channel::Support(AuthorRole::Support))).await.expect("add");
    store.add(&connection("s4", "kim", Channel::Support(AuthorRole::Support))).await.expect("add");
    store.add(&connection("s5", "sam", Channel::Shop(shop))).await.expect("add");
    let mut cleo = store.for_user(&user("cleo")).await.expect("for_user");
    cleo.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(cleo, [listener("s1"), listener("s2")]);
    assert_eq!(
        store.for_user(&user("sam")).await.expect("for_user"),
        [listener("s3")],
        "not the shop socket"
    );
    let mut agents = store.agent_connections().await.expect("agent_connections");
    agents.sort_by(|x, y| x.1.id.cmp(&y.1.id));
    assert_eq!(agents, [(user("sam"), listener("s3")), (user("kim"), listener("s4"))]);
    let shop_sockets = store.for_shop(shop).await.expect("for_shop");
    assert!(shop_sockets.contains(&listener("s5")), "the shop socket stays a shop's");
    for id in ["s1", "s2", "s3", "s4", "s5"] {
        store.remove(&connection_id(id)).await.expect("remove");
    }
    assert_eq!(store.for_user(&user("cleo")).await.expect("for_user"), []);
    assert_eq!(store.agent_connections().await.expect("agent_connections"), []);
}

/// The contract of the basket and order stores, on one empty store.
pub async fn commerce_store<S: BasketStore + OrderStore + EventLog>(store: &S) {
    use crate::basket::{Basket, PricedBasket};
    use crate::orders::{Order, Placed};

    let shop = ShopId::random();
    assert_eq!(store.basket(shop, &user("ann")).await.expect("basket"), None);

    let mut basket = Basket::new(shop, &user("ann"));
    basket.set(BookId::derived("Emma"), 2).expect("set");
    store.save_basket(&basket, None, &any_event(shop)).await.expect("first save");
    assert!(
        matches!(store.save_basket(&basket, None, &any_event(shop)).await, Err(Error::Conflict(_))),
        "a second 'new' basket loses"
    );
    let stale = basket.clone();
    basket.set(BookId::derived("Frankenstein"), 1).expect("set");
    store.save_basket(&basket, Some(1), &any_event(shop)).await.expect("save at version 1");
    let mut racing = stale.clone();
    racing.set(BookId::derived("Typee"), 1).expect("set");
    assert!(
        matches!(store.save_basket(&racing, Some(1), &any_event(shop)).await, Err(Error::Conflict(_))),
        "a change made from a stale version loses"
    );
    assert_eq!(store.basket(shop, &user("ann")).await.expect("basket").as_ref(), Some(&basket));
    assert_eq!(store.basket(shop, &user("bob")).await.expect("basket"), None, "baskets are per customer");

    let books: std::collections::HashMap<_, _> = fixture()
        .books
        .into_iter()
        .map(|mut book| {
            book.status = BookStatus::InStock;
            (book.id, book)
        })
        .collect();
    // Read, then the basket is emptied and filled again: the same version number, but another
    // basket. Committing the old read must lose (it would order or delete the new lines).
    let mut first = Basket::new(shop, &user("abe"));
    first.set(BookId::derived("Emma"), 2).expect("set");
    store.save_basket(&first, None, &any_event(shop)).await.expect("save");
    let read = store.basket(shop, &user("abe")).await.expect("basket").expect("saved");
    store.delete_basket(&read, read.version, &any_event(shop)).await.expect("empty");
    let mut refilled = Basket::new(shop, &user("abe"));
    refilled.set(BookId::derived("Persuasion"), 1).expect("set");
    store.save_basket(&refilled, None, &any_event(shop)).await.expect("refill");
    assert_eq!(refilled.version, read.version, "the version numbers recur");
    let mut stale_change = read.clone();
    stale_change.set(BookId::derived("Emma"), 5).expect("set");
    let lost = |result: Result<(), Error>| matches!(result, Err(Error::Conflict(_)));
    assert!(
        lost(store.save_basket(&stale_change, Some(read.version), &any_event(shop)).await),
        "a change read from the old basket is refused"
    );
    assert!(
        lost(store.delete_basket(&read, read.version, &any_event(shop)).await),
        "emptying from a read of the old basket is refused"
    );
    let stale_order =
        Order::checkout(PricedBasket::price(&read, &books).expect("price"), &user("abe"), None, &key("aba"))
            .expect("checkout");
    assert_eq!(
        store.place_order(&stale_order, &read, &any_event(shop)).await.expect("place"),
        Placed::BasketChanged,
        "a checkout of the old basket orders nothing"
    );
    assert_eq!(
        store.basket(shop, &user("abe")).await.expect("basket"),
        Some(refilled),
        "the new basket is untouched"
    );

    let priced = PricedBasket::price(&basket, &books).expect("price");
    let order = Order::checkout(priced, &user("ann"), Some("ann@example.com".into()), &key("key-1"))
        .expect("checkout");
    let placed = any_event(shop);
    assert_eq!(store.place_order(&order, &basket, &placed).await.expect("place"), Placed::New);
    assert_eq!(
        store.basket(shop, &user("ann")).await.expect("basket"),
        None,
        "the basket went with the order"
    );
    assert_eq!(store.order(order.id).await.expect("order").as_ref(), Some(&order));
    assert_eq!(store.order_by_key(&user("ann"), &key("key-1")).await.expect("by key").as_ref(), Some(&order));
    assert_eq!(
        store.order_by_key(&user("bob"), &key("key-1")).await.expect("by key"),
        None,
        "keys are per buyer"
    );
    let history = store.history(shop, None, page(100)).await.expect("history");
    assert!(history.items.iter().any(|e| e.id == placed.id), "the event was written with the order");
    // Whatever a buyer id or key contains, one pair never finds another pair's order (a key is
    // printable ASCII; a buyer id may hold anything).
    for (buyer, key, other_buyer, other_key) in [("a#b", "c", "a", "b#c"), ("a\u{0}b", "c", "a", "b c")] {
        let mut theirs = Basket::new(shop, &user(buyer));
        theirs.set(BookId::derived("Emma"), 1).expect("set");
        store.save_basket(&theirs, None, &any_event(shop)).await.expect("save");
        let priced = PricedBasket::price(&theirs, &books).expect("price");
        let order = Order::checkout(priced, &user(buyer), None, &self::key(key)).expect("checkout");
        assert_eq!(store.place_order(&order, &theirs, &any_event(shop)).await.expect("place"), Placed::New);
        assert_eq!(
            store.order_by_key(&user(other_buyer), &self::key(other_key)).await.expect("by key"),
            None,
            "{buyer:?} {key:?}"
        );
    }

    let again = Order { id: OrderId::random(), ..order.clone() };
    assert_eq!(
        store.place_order(&again, &basket, &any_event(shop)).await.expect("place"),
        Placed::BasketChanged,
        "one basket makes one order"
    );
    assert_eq!(store.order(again.id).await.expect("order"), None);

    orders_list_and_move(store, &books).await;
    orders_by_placed_day(store, &books).await;

    let mut other = Basket::new(shop, &user("bob"));
    other.set(BookId::derived("Emma"), 1).expect("set");
    store.save_basket(&other, None, &any_event(shop)).await.expect("save");
    assert!(matches!(store.delete_basket(&other, 7, &any_event(shop)).await, Err(Error::Conflict(_))));
    store.delete_basket(&other, 1, &any_event(shop)).await.expect("delete");
    assert_eq!(store.basket(shop, &user("bob")).await.expect("basket"), None);
}

async fn orders_list_and_move<S: BasketStore + OrderStore>(
    store: &S,
    books: &std::collections::HashMap<BookId, Book>,
) {
    use crate::basket::{Basket, PricedBasket};
    use crate::events::EventCursor;
    use crate::orders::{Order, OrderStatus};
    use crate::ports::{OrderQuery, OrderScope};

    let shop = ShopId::random();
    let mut placed = Vec::new();
    for (i, buyer) in ["cy", "dee", "cy"].into_iter().enumerate() {
        let mut basket = Basket::new(shop, &user(buyer));
        basket.set(BookId::derived("Emma"), 1 + i as u32).expect("set");
        let event = any_event(shop);
        store.save_basket(&basket, None, &event).await.expect("save");
        let priced = PricedBasket::price(&basket, books).expect("price");
        let order = Order::checkout(priced, &user(buyer), None, &key(&format!("k{i}"))).expect("checkout");
        let done = any_event(shop);
        store.place_order(&order, &basket, &done).await.expect("place");
        placed.push(order);
        // Distinct creation times keep "newest first" unambiguous.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let list = |query: OrderQuery| async move {
        let mut ids = Vec::new();
        let mut query = query;
        loop {
            let page = store.list_orders(&query).await.expect("list_orders");
            ids.extend(page.items.iter().map(|order| order.id));
            match page.next_cursor {
                Some(next) => query.after = Some(EventCursor::decode(&next).expect("own cursor")),
                None => return ids,
            }
        }
    };
    let cy = OrderQuery { scope: OrderScope::Buyer(user("cy")), limit: page(1), ..Default::default() };
    assert_eq!(list(cy.clone()).await, [placed[2].id, placed[0].id], "a buyer's orders, newest first");
    let everyone = list(OrderQuery { limit: page(2), ..Default::default() }).await;
    let ours: Vec<_> = everyone.into_iter().filter(|id| placed.iter().any(|o| o.id == *id)).collect();
    assert_eq!(ours, [placed[2].id, placed[1].id, placed[0].id], "everyone's orders, newest first");

    let mut completed = placed[0].clone();
    completed.transition(OrderStatus::Completed).expect("transition");
    let event = any_event(shop);
    assert!(store.update_status(&completed, OrderStatus::New, &event).await.expect("update"));
    assert!(
        !store.update_status(&completed, OrderStatus::New, &event).await.expect("update"),
        "the stored order is no longer new"
    );
    assert_eq!(
        store.order(completed.id).await.expect("order").map(|o| o.status),
        Some(OrderStatus::Completed)
    );
    let done = OrderQuery {
        scope: OrderScope::Buyer(user("cy")),
        status: Some(OrderStatus::Completed),
        limit: page(5),
        ..Default::default()
    };
    assert_eq!(list(done).await, [completed.id]);
    let fresh = OrderQuery {
        scope: OrderScope::Buyer(user("cy")),
        status: Some(OrderStatus::New),
        limit: page(5),
        ..Default::default()
    };
    assert_eq!(list(fresh).await, [placed[2].id]);

    // Another shop's order, by a buyer the first shop also has: a shop lists its own only.
    let other = ShopId::random();
    let mut basket = Basket::new(other, &user("cy"));
    basket.set(BookId::derived("Emma"), 1).expect("set");
    store.save_basket(&basket, None, &any_event(other)).await.expect("save");
    let priced = PricedBasket::price(&basket, books).expect("price");
    let elsewhere = Order::checkout(priced, &user("cy"), None, &key("k-other")).expect("checkout");
    store.place_order(&elsewhere, &basket, &any_event(other)).await.expect("place");
    let ours = OrderQuery { scope: OrderScope::Shop(shop), limit: page(1), ..Default::default() };
    assert_eq!(list(ours).await, [placed[2].id, placed[1].id, placed[0].id], "a shop's orders, newest first");
    let theirs = OrderQuery { scope: OrderScope::Shop(other), limit: page(5), ..Default::default() };
    assert_eq!(list(theirs).await, [elsewhere.id]);
    let shop_done = OrderQuery {
        scope: OrderScope::Shop(shop),
        status: Some(OrderStatus::Completed),
        limit: page(5),
        ..Default::default()
    };
    assert_eq!(list(shop_done).await, [completed.id], "a shop's orders of one status");
}

/// Orders placed on either side of a day's edges, listed by placed days (both ends included,
/// either open), for one buyer, one shop and everyone, a page of one at a time.
async fn orders_by_placed_day<S: BasketStore + OrderStore>(
    store: &S,
    books: &std::collections::HashMap<BookId, Book>,
) {
    use crate::basket::{Basket, PricedBasket};
    use crate::events::EventCursor;
    use crate::figures::Day;
    use crate::orders::{Order, PlacedWithin};
    use crate::ports::{OrderQuery, OrderScope};

    // A day long past, so the store's other orders (placed now) are outside every range here.
    let times = [
        "2001-02-02T23:59:59.999Z",
        "2001-02-03T00:00:00.000Z",
        "2001-02-03T23:59:59.999Z",
        "2001-02-04T00:00:00.000Z",
    ];
    let (shop, buyer) = (ShopId::random(), user(&format!("placed-{}", uuid::Uuid::new_v4())));
    let mut placed = Vec::new();
    for (i, time) in times.into_iter().enumerate() {
        let mut basket = Basket::new(shop, &buyer);
        basket.set(BookId::derived("Emma"), 1).expect("set");
        store.save_basket(&basket, None, &any_event(shop)).await.expect("save");
        let priced = PricedBasket::price(&basket, books).expect("price");
        let order = Order::checkout(priced, &buyer, None, &key(&format!("{buyer}-{i}"))).expect("checkout");
        let order = Order { created_at: time.to_owned(), ..order };
        store.place_order(&order, &basket, &any_event(shop)).await.expect("place");
        placed.push(order.id);
    }
    let day = |text: &str| Some(Day::parse("day", text).expect("a day"));
    let list = |scope: OrderScope, placed: PlacedWithin| async move {
        let mut query = OrderQuery { scope, placed, limit: page(1), ..Default::default() };
        let mut ids = Vec::new();
        loop {
            let page = store.list_orders(&query).await.expect("list_orders");
            assert!(page.items.len() <= 1, "a page of one");
            ids.extend(page.items.iter().map(|order| order.id));
            match page.next_cursor {
                Some(next) => {
                    let cursor = EventCursor::decode(&next).expect("own cursor");
                    placed.check_cursor(&cursor.0).expect("a cursor of the range");
                    query.after = Some(cursor);
                }
                None => return ids,
            }
        }
    };
    let [before, first, last, after] = [placed[0], placed[1], placed[2], placed[3]];
    let cases = [
        (PlacedWithin::new(day("2001-02-03"), day("2001-02-03")).expect("range"), vec![last, first]),
        (PlacedWithin::new(day("2001-02-03"), None).expect("range"), vec![after, last, first]),
        (PlacedWithin::new(day("2001-02-02"), day("2001-02-02")).expect("range"), vec![before]),
        (
            PlacedWithin::new(day("2001-02-01"), day("2001-02-04")).expect("range"),
            vec![after, last, first, before],
        ),
        (PlacedWithin::new(day("2001-02-05"), day("2001-03-05")).expect("range"), vec![]),
    ];
    for (range, expected) in &cases {
        assert_eq!(list(OrderScope::Buyer(buyer.clone()), *range).await, *expected, "the buyer's, {range:?}");
        assert_eq!(list(OrderScope::Shop(shop), *range).await, *expected, "the shop's, {range:?}");
        let everyone = list(OrderScope::Everyone, *range).await;
        let ours: Vec<_> = everyone.iter().copied().filter(|id| placed.contains(id)).collect();
        assert_eq!(ours, *expected, "everyone's, {range:?}");
    }
    // To a day only: everything up to its end, the store's older orders included.
    let to = PlacedWithin::new(None, day("2001-02-03")).expect("range");
    assert_eq!(list(OrderScope::Buyer(buyer.clone()), to).await, [last, first, before]);
    assert!(PlacedWithin::new(day("2001-02-04"), day("2001-02-03")).is_err(), "to before from");
}

/// The contract of the preference store.
pub async fn preference_store<S: crate::mail::PreferenceStore>(store: &S) {
    use crate::mail::Preferences;
    let user = user(&format!("user-{}", uuid::Uuid::new_v4()));
    assert_eq!(
        store.preferences(&user).await.expect("preferences"),
        Preferences::default(),
        "off unless asked for"
    );
    for chosen in [(true, true), (false, true), (true, false), (false, false)] {
        let chosen = Preferences { sms_notifications: chosen.0, push_notifications: chosen.1 };
        store.set_preferences(&user, &chosen).await.expect("set");
        assert_eq!(store.preferences(&user).await.expect("preferences"), chosen);
    }
}
