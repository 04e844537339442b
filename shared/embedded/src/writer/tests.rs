//! Group commit's rules, each with the test that tries to break it.

use std::sync::Arc;
use std::sync::mpsc as gate;

use bookworm_domain::basket::{Basket, PricedBasket};
use bookworm_domain::contract::{any_event, fixture};
use bookworm_domain::ids::BookId;
use bookworm_domain::ids::ShopId;
use bookworm_domain::orders::Order;
use bookworm_domain::ports::{BasketStore, EventLog, OrderQuery, OrderScope, OrderStore};
use bookworm_domain::query::PageSize;
use futures::future::join_all;
use redb::{ReadableDatabase, ReadableTableMetadata};

use super::*;
use crate::EmbeddedShop;
use crate::layout::{EVENT_EXPIRY, EVENT_TTL, event_key, expiry_key};

/// Keeps the writer busy inside a batch until the returned sender is used or dropped, so that
/// everything queued meanwhile goes into the next batch together.
async fn hold(shop: &Arc<EmbeddedShop>) -> (gate::Sender<()>, tokio::task::JoinHandle<()>) {
    let (release, held) = gate::channel::<()>();
    let (entered, inside) = gate::channel::<()>();
    let writer = shop.clone();
    let task = tokio::spawn(async move {
        writer
            .write(move |_| {
                entered.send(()).ok();
                held.recv().ok();
                Ok(())
            })
            .await
            .expect("the holding write");
    });
    tokio::task::spawn_blocking(move || inside.recv()).await.unwrap().unwrap();
    (release, task)
}

/// Runs `writes` so each has queued its job before the writer is released.
async fn queued_behind<T>(
    release: gate::Sender<()>,
    writes: impl IntoIterator<Item = impl Future<Output = T>>,
) -> Vec<T> {
    let (results, ()) = tokio::join!(join_all(writes), async move {
        // join! polls the writes at least once (queuing every job) before this runs twice.
        tokio::task::yield_now().await;
        release.send(()).ok();
    });
    results
}

fn counts(shop: &EmbeddedShop) -> (u64, u64) {
    let stats = shop.write_stats();
    (stats.writes.load(Ordering::Relaxed), stats.commits.load(Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_one_commit_and_each_is_acknowledged_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Arc::new(EmbeddedShop::open(&dir.path().join("shop.redb")).unwrap());
    let store = shop.clone();
    let shop_id = ShopId::random();
    let (release, held) = hold(&shop).await;
    let events: Vec<_> = (0..50).map(|_| any_event(shop_id)).collect();
    let results = queued_behind(release, events.iter().map(|event| store.append(event))).await;
    held.await.unwrap();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(counts(&shop), (51, 2), "the held write, then all 50 in one commit");
    let page = shop.history(shop_id, None, PageSize::new(100).unwrap()).await.unwrap();
    assert_eq!(page.items.len(), 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_saves_from_one_version_in_one_batch_let_exactly_one_win() {
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let shop_id = ShopId::random();
    let (mut ann, mut other) = (
        Basket::new(shop_id, &bookworm_domain::contract::user("ann")),
        Basket::new(shop_id, &bookworm_domain::contract::user("ann")),
    );
    ann.set(BookId::derived("Emma"), 1).unwrap();
    other.set(BookId::derived("Typee"), 3).unwrap();
    let (release, held) = hold(&shop).await;
    let event = any_event(shop_id);
    let results = queued_behind(
        release,
        [ann.clone(), other.clone()].map(|basket| {
            let (shop, event) = (shop.clone(), event.clone());
            async move { shop.save_basket(&basket, None, &event).await }
        }),
    )
    .await;
    held.await.unwrap();
    assert!(results[0].is_ok(), "the first queued wins");
    assert!(matches!(results[1], Err(bookworm_domain::Error::Conflict(_))), "{:?}", results[1]);
    assert_eq!(shop.basket(shop_id, &bookworm_domain::contract::user("ann")).await.unwrap(), Some(ann));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_failing_half_way_takes_its_batch_down_and_nothing_of_it_is_stored() {
    let shop = Arc::new(EmbeddedShop::in_memory().unwrap());
    let shop_id = ShopId::random();
    let (before, after) = (any_event(shop_id), any_event(shop_id));
    let (release, held) = hold(&shop).await;
    let half_done = {
        let shop = shop.clone();
        let stray = any_event(shop_id);
        async move {
            shop.write(move |batch| {
                batch.append(&stray)?;
                Err::<(), _>(bookworm_domain::Error::unavailable("test", "failed after writing"))
            })
            .await
        }
    };
    let (first, second, third, ()) =
        tokio::join!(shop.append(&before), half_done, shop.append(&after), async move {
            tokio::task::yield_now().await;
            release.send(()).ok();
        });
    held.await.unwrap();
    assert!(first.is_err() && second.is_err() && third.is_err(), "{first:?} {second:?} {third:?}");
    let page = shop.history(shop_id, None, PageSize::new(10).unwrap()).await.unwrap();
    assert!(page.items.is_empty(), "nothing of the failed batch: {:?}", page.items);
    let next = any_event(shop_id);
    shop.append(&next).await.expect("the next batch is unaffected");
    assert_eq!(shop.history(shop_id, None, PageSize::new(10).unwrap()).await.unwrap().items, [next]);
}

#[tokio::test]
async fn a_write_refused_before_writing_fails_alone() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let shop_id = ShopId::random();
    let basket = Basket::new(shop_id, &bookworm_domain::contract::user("ann"));
    let stale = shop.save_basket(&basket, Some(4), &any_event(shop_id)).await;
    assert!(matches!(stale, Err(bookworm_domain::Error::Conflict(_))));
    let event = any_event(shop_id);
    shop.append(&event).await.unwrap();
    assert_eq!(shop.history(shop_id, None, PageSize::new(10).unwrap()).await.unwrap().items, [event]);
}

#[tokio::test]
async fn expired_events_are_swept_by_a_later_batch() {
    let shop = EmbeddedShop::in_memory().unwrap();
    let shop_id = ShopId::random();
    let (old, kept) = (any_event(shop_id), any_event(shop_id));
    shop.append(&old).await.unwrap();
    shop.append(&kept).await.unwrap();
    // Backdate the old event's expiry, as if it were written 30 days ago.
    let key = event_key(shop_id, &old.sort_key());
    shop.write(move |batch| {
        let now = unix_now() + EVENT_TTL.as_secs();
        let read = batch.txn.open_table(EVENT_EXPIRY).map_err(failed)?;
        let current: Vec<Vec<u8>> = read
            .iter()
            .map_err(failed)?
            .filter_map(|row| row.ok().map(|(k, _)| k.value().to_vec()))
            .filter(|k| k[8..] == key[..])
            .collect();
        drop(read);
        assert_eq!(current.len(), 1);
        assert!(u64::from_be_bytes(current[0][..8].try_into().unwrap()) >= now - 5, "30 days out");
        batch.remove(EVENT_EXPIRY, &current[0])?;
        batch.put(EVENT_EXPIRY, &expiry_key(1, &key), &[])
    })
    .await
    .unwrap();
    shop.append(&any_event(ShopId::random())).await.unwrap();
    let page = shop.history(shop_id, None, PageSize::new(10).unwrap()).await.unwrap();
    assert_eq!(page.items, [kept], "the expired event is gone, the other kept");
    let txn = shop.db.begin_read().unwrap();
    let expiry = txn.open_table(EVENT_EXPIRY).unwrap();
    assert_eq!(expiry.len().unwrap(), 2, "its expiry row went with it");
}

#[tokio::test]
async fn a_file_of_the_first_layout_gets_its_order_indexes_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.redb");
    let shop_id = ShopId::random();
    let mut basket = Basket::new(shop_id, &bookworm_domain::contract::user("ann"));
    basket.set(BookId::derived("Emma"), 1).unwrap();
    let books = fixture()
        .books
        .into_iter()
        .map(|mut book| {
            book.status = bookworm_domain::catalog::BookStatus::InStock;
            (book.id, book)
        })
        .collect();
    let order = Order::checkout(
        PricedBasket::price(&basket, &books).unwrap(),
        &bookworm_domain::contract::user("ann"),
        None,
        &bookworm_domain::contract::key("k1"),
    )
    .unwrap();
    {
        let shop = EmbeddedShop::open(&path).unwrap();
        shop.save_basket(&basket, None, &any_event(shop_id)).await.unwrap();
        shop.place_order(&order, &basket, &any_event(shop_id)).await.unwrap();
    }
    {
        // What layout 1 had: the rows, no indexes, no version.
        let db = redb::Database::open(&path).unwrap();
        let txn = db.begin_write().unwrap();
        for name in
            ["order_keys", "orders_by_time", "orders_by_shop", "orders_by_buyer", "meta", "event_expiry"]
        {
            assert!(txn.delete_table(redb::TableDefinition::<&[u8], &[u8]>::new(name)).unwrap(), "{name}");
        }
        txn.commit().unwrap();
    }
    let shop = EmbeddedShop::open(&path).unwrap();
    assert_eq!(
        shop.order_by_key(&bookworm_domain::contract::user("ann"), &bookworm_domain::contract::key("k1"))
            .await
            .unwrap()
            .map(|o| o.id),
        Some(order.id)
    );
    for scope in [
        OrderScope::Everyone,
        OrderScope::Buyer(bookworm_domain::contract::user("ann")),
        OrderScope::Shop(shop_id),
    ] {
        let query = OrderQuery { scope, limit: PageSize::new(5).unwrap(), ..Default::default() };
        assert_eq!(shop.list_orders(&query).await.unwrap().items, std::slice::from_ref(&order));
    }
    let txn = shop.db.begin_read().unwrap();
    assert_eq!(txn.open_table(EVENT_EXPIRY).unwrap().len().unwrap(), 2, "both events expire");
}
